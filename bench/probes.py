"""Which concurrency bench/load.py runs its main run at, from its probes (no side effects:
bench/load.py configures Django at import, this the tests can import)."""


def main_concurrency(probes: list[dict]) -> int:
    """The fewest clients that reach the highest rate: among the probes under 0.1 % errors,
    the smallest concurrency within 5 % of the most requests/s. Closed-loop clients beyond
    that knee add no rate (a 16-client probe served +5 % over 8 at twice the p95), only
    queueing, so the main run would measure the queue instead of the server."""
    good = [p for p in probes if p["error_rate"] < 0.001] or probes
    best = max(p["requests_per_s"] for p in good)
    return min(p["concurrency"] for p in good if p["requests_per_s"] >= 0.95 * best)
