"""Rate limit of the public web form: at most N submissions per IP and form per window,
counted in the shared Django cache (Redis in production, so all web workers agree)."""

from django.conf import settings
from django.core.cache import cache


def _limits() -> tuple[int, int]:
    return getattr(settings, "LEADS_FORM_RATE_LIMIT", (5, 600))  # (submissions, seconds)


def form_submission_allowed(*, form_key: str, ip: str) -> bool:
    """Count one submission; False once the IP is over the limit for this window."""
    limit, window = _limits()
    key = f"leads:form-rate:{form_key}:{ip}"
    # add() starts the window only if none is running; incr() is atomic on Redis.
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy sets it;
    # behind one, configure the proxy (or a middleware) to put the real address here.
    return request.META.get("REMOTE_ADDR", "") or "unknown"
