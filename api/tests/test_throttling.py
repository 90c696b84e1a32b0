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


def test_the_limit_is_a_count_per_window_that_starts_again_when_the_window_ends(world, api_as, monkeypatch):
    import hashlib
    from unittest import mock

    from django.core.cache import cache

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "2/min"})
    client = api_as(world.agent)
    with mock.patch("time.time", return_value=1_000_000.0) as clock:
        assert [client.get("/api/v1/statuses/").status_code for _ in range(3)] == [200, 200, 429]
        clock.return_value += 45
        refused = client.get("/api/v1/statuses/")
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) == 15  # what is left of the minute that began with the first request
        # What the cache holds is a count and the window's end, however many requests were made.
        key = "request-count:" + hashlib.sha256(f"api-throttle:throttle_user_{world.agent.pk}".encode()).hexdigest()
        assert cache.get(key) == (4, 1_000_060.0)
        clock.return_value += 15
        assert [client.get("/api/v1/statuses/").status_code for _ in range(3)] == [200, 200, 429]
