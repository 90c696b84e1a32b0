from rest_framework.throttling import SimpleRateThrottle


def test_too_many_requests_get_429_with_retry_after(world, api_as, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/min"})
    client = api_as(world.agent)
    other = api_as(world.admin)

    statuses = [client.get("/api/v1/statuses/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/tickets/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Request was throttled.")
    # The limit is per user.
    assert other.get("/api/v1/statuses/").status_code == 200
