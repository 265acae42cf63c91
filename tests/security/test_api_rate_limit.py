"""API rate limit per key: over the limit a key gets 429 with Retry-After in our error
shape; other keys go on. Counted in Redis when REDIS_URL is set (as in CI)."""

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import caches

from leadrouter.security.throttling import rate_count, rate_parse
from tests.conftest import _api_client

NOON = datetime(2026, 3, 2, 11, 0, 30, tzinfo=UTC)  # 30 s into a minute


@pytest.fixture
def limit_3(settings):
    settings.API_RATE_LIMIT = "3/minute"
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def _whoami(api):
    return api.get("/api/v1/whoami/")


def test_it_answers_429_with_retry_after_over_the_limit(api_a, limit_3):
    assert [_whoami(api_a).status_code for _ in range(3)] == [200, 200, 200]
    response = _whoami(api_a)
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    error = response.json()["error"]
    assert error["code"] == "throttled" and error["fields"] == {}
    assert "30 seconds" in error["message"]


def test_it_counts_each_key_apart(api_a, api_b, tenant_a, limit_3):
    for _ in range(4):
        _whoami(api_a)
    assert _whoami(api_b).status_code == 200
    second_key_a = _api_client(tenant_a, name="ERP")
    assert _whoami(second_key_a).status_code == 200


def test_it_starts_over_in_the_next_window(api_a, limit_3):
    for _ in range(4):
        _whoami(api_a)
    limit_3.shift(timedelta(seconds=30))
    assert _whoami(api_a).status_code == 200


def test_it_limits_writes_too(api_a, limit_3):
    statuses = [api_a.post("/api/v1/leads/", {}, format="json").status_code
                for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_it_leaves_requests_without_a_key_to_authentication(client, limit_3):
    assert [client.get("/api/v1/whoami/").status_code for _ in range(5)] == [401] * 5


def test_it_is_off_with_an_empty_setting(api_a, settings):
    settings.API_RATE_LIMIT = ""
    assert all(_whoami(api_a).status_code == 200 for _ in range(5))


def test_it_reads_rates():
    assert rate_parse("600/minute") == (600, 60)
    assert rate_parse("10/s") == (10, 1)
    assert rate_parse("100/15minute") == (100, 900)
    assert rate_parse("") is None
    with pytest.raises(ValueError):
        rate_parse("5/fortnight")


@pytest.mark.server
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)")
def test_it_counts_atomically_in_redis():
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    key = f"test-{os.getpid()}-{threading.get_ident()}-{datetime.now().timestamp()}"
    counts: list[int] = []
    lock = threading.Lock()

    def hit():
        count, _ = rate_count(key=key, window=60, now=NOON.timestamp())
        with lock:
            counts.append(count)

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == list(range(1, 41))
    client = cache._cache.get_client(None, write=True)
    redis_key = cache.make_key(f"throttle:{key}:60:{int(NOON.timestamp() // 60)}")
    assert 0 < client.pttl(redis_key) <= 61_000
