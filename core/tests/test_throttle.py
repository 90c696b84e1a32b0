"""core/throttle.py: fixed-window counters, on the file cache and on a real Redis (127.0.0.1:6379)."""

import hashlib
import threading
import time
import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings

from core.throttle import count_in_window, count_request

REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/11"}}


@pytest.fixture
def redis_cache():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS["default"]["LOCATION"], socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    with override_settings(CACHES=REDIS):
        yield caches["default"]


def test_redis_counts_in_one_window_that_ends_and_starts_again(redis_cache):
    # given a fresh identifier and a 1-second window
    name = f"test:{uuid.uuid4()}"
    # when counted three times
    counts = [count_in_window(name, window=1) for _ in range(3)]
    # then the counts go up within the window, which runs for at most its length
    assert [count for count, _left in counts] == [1, 2, 3]
    assert all(0 < left <= 1 for _count, left in counts)
    # and once the window is over the count starts again
    time.sleep(1.1)
    assert count_request(name, window=1) == 1


def test_redis_counts_concurrent_requests_without_losing_any(redis_cache):
    # given one identifier hit from 8 threads at once, 25 times each
    name = f"test:{uuid.uuid4()}"
    seen: list[int] = []
    lock = threading.Lock()

    def hit():
        for _ in range(25):
            count = count_request(name, window=60)
            with lock:
                seen.append(count)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every request got its own number: none was lost or counted twice
    assert sorted(seen) == list(range(1, 201))


def test_a_redis_counter_that_lost_its_expiry_gets_it_back(redis_cache):
    # given a counter whose key was made persistent (by hand, or a server restored without TTLs)
    import redis

    name = f"test:{uuid.uuid4()}"
    count_request(name, window=60)
    client = redis.Redis.from_url(REDIS["default"]["LOCATION"])
    key = redis_cache.make_and_validate_key("request-window:" + hashlib.sha256(name.encode()).hexdigest())
    assert client.get(key) == b"1"
    client.persist(key)
    # when counted again
    count, left = count_in_window(name, window=60)
    # then it counts on and the window ends again
    assert count == 2
    assert 0 < left <= 60
    assert 0 < client.ttl(key) <= 60


def test_the_file_cache_counts_in_windows_too(tmp_path):
    files = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    with override_settings(CACHES={"default": files}):
        name = f"test:{uuid.uuid4()}"
        assert [count_request(name, window=60) for _ in range(3)] == [1, 2, 3]
