"""API rate limit per API key (setting API_RATE_LIMIT, e.g. "600/minute").

Fixed windows counted in the shared cache so all web workers agree. On Redis the count is
one atomic round trip (INCR, and PEXPIRE on the first hit of a window, in a Lua script);
other cache backends fall back to `cache.add` + `cache.incr`.
"""

import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from leadrouter.cache_client import redis_client
from leadrouter.tenancy.models import ApiKey

PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60,
           "h": 3600, "hour": 3600, "d": 86400, "day": 86400}

# KEYS[1]: counter; ARGV[1]: window in ms. Returns the count after this request.
_INCR_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def rate_parse(rate: str | None) -> tuple[int, int] | None:
    """"600/minute" → (600, 60); None or "" → None (no limit)."""
    if not rate:
        return None
    count, _, period = str(rate).partition("/")
    period = period.strip().lower()
    multiplier, unit = 1, period
    digits = "".join(ch for ch in period if ch.isdigit())
    if digits:  # "15minute", "10s"
        multiplier, unit = int(digits), period[len(digits):]
    if unit not in PERIODS:
        raise ValueError(f"Unknown rate period in {rate!r}")
    return int(count), multiplier * PERIODS[unit]


def rate_count(*, key: str, window: int, now: float | None = None) -> tuple[int, float]:
    """Count one request for `key` in the current window of `window` seconds.

    Returns (requests in this window including this one, seconds until the window ends).
    """
    now = time.time() if now is None else now
    index = int(now // window)
    remaining = (index + 1) * window - now
    cache = caches["default"]
    cache_key = cache.make_key(f"throttle:{key}:{window}:{index}")
    client = redis_client(cache)
    if client is not None:
        count = client.eval(_INCR_SCRIPT, 1, cache_key, int(window * 1000) + 1000)
        return int(count), remaining
    plain_key = f"throttle:{key}:{window}:{index}"
    cache.add(plain_key, 0, timeout=window + 1)
    try:
        count = cache.incr(plain_key)
    except ValueError:  # expired between add and incr
        cache.set(plain_key, 1, timeout=window + 1)
        count = 1
    return int(count), remaining


class ApiKeyRateThrottle(BaseThrottle):
    """DRF throttle: at most API_RATE_LIMIT requests per API key and window.

    Requests without an API key are left to authentication (401) and other limits.
    """

    def __init__(self):
        self._wait: float | None = None

    def allow_request(self, request, view) -> bool:
        limit = rate_parse(getattr(settings, "API_RATE_LIMIT", None))
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        if limit is None or api_key is None:
            return True
        allowed, window = limit
        count, remaining = rate_count(key=f"api-key:{api_key.prefix}", window=window)
        if count <= allowed:
            return True
        self._wait = max(1.0, remaining)
        return False

    def wait(self) -> float | None:
        return self._wait
