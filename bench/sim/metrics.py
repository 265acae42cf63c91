"""Metrics of one simulated run, and their aggregation over seeds with 95 % intervals."""

from __future__ import annotations

import math
import statistics

import numpy as np

from bench.sim.driver import RunResult

WINDOW = 500  # leads per learning-curve window
NEW_PARTNER_WINDOW = 5000  # leads after a partner joins that count as its first window
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}


def gini(values) -> float:
    """Gini coefficient: 0 = everyone the same, → 1 = one gets everything."""
    x = np.sort(np.asarray(values, dtype=float))
    if not len(x) or x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def summarize(result: RunResult) -> dict:
    """Everything the report shows about one run (JSON-able)."""
    world, leads = result.world, result.leads
    n = len(leads) or 1
    accepted_hours = [r.accepted_hours for r in leads if r.accepted_hours is not None]
    returned = sum(1 for r in leads if r.returned)
    founders = [p for p in world.partners if p.join_lead == 0]
    per_partner = result.leads_per_partner
    capacity = np.array([p.capacity for p in world.partners], dtype=float)
    idx = np.array([p.index for p in founders], dtype=int)
    joiners = [p for p in world.partners if p.join_lead > 0]
    joiner_leads, joiner_days = [], []
    for p in joiners:
        window_end = p.join_lead + NEW_PARTNER_WINDOW
        joiner_leads.append(sum(1 for r in leads if r.holder == p.index
                                and p.join_lead <= r.index < window_end))
        first = result.first_offer_hours.get(p.index)
        joined = world.leads[p.join_lead].hours
        joiner_days.append(None if first is None else (first - joined) / 24)
    calibration = np.array(result.calibration, dtype=float).reshape(-1, 4)
    curve = [float(sum(r.p_win for r in leads[k:k + WINDOW]))
             for k in range(0, len(leads), WINDOW)]
    return {
        "policy": result.policy,
        "seed": world.seed,
        "leads": len(leads),
        "expected_conversions": float(sum(r.p_win for r in leads)),
        "expected_revenue": float(sum(r.p_win * world.leads[r.index].deal_value
                                      for r in leads)),
        "won": sum(1 for r in leads if r.won),
        "won_revenue": float(sum(r.won_value for r in leads)),
        "leakage": (result.unrouted + returned) / n,
        "unrouted": result.unrouted / n,
        "unrouted_exhausted": result.unrouted_why["exhausted"] / n,
        "unrouted_short": result.unrouted_why["short"] / n,
        "unrouted_nobody": result.unrouted_why["nobody"] / n,
        "offers_rejected": result.offer_statuses.get("rejected", 0) / max(result.offers, 1),
        "returned": returned / n,
        "expired_offers": result.expired / max(result.offers, 1),
        "offers_per_lead": result.offers / n,
        "median_hours_to_accept": statistics.median(accepted_hours) if accepted_hours else None,
        "capacity_violations": result.capacity_violations,
        "gini_raw": gini(per_partner[idx]) if len(idx) else 0.0,
        "gini_per_capacity": gini(per_partner[idx] / capacity[idx]) if len(idx) else 0.0,
        "new_partner_leads_min": min(joiner_leads) if joiner_leads else None,
        "new_partner_leads_median": statistics.median(joiner_leads) if joiner_leads else None,
        "new_partner_days_to_first_offer": (
            max((d for d in joiner_days if d is not None), default=None)
            if joiners else None),
        "new_partners_never_offered": sum(d is None for d in joiner_days),
        "brier_conversion": float(np.mean((calibration[:, 0] - calibration[:, 1]) ** 2))
        if len(calibration) else None,
        "brier_win": float(np.mean((calibration[:, 2] - calibration[:, 3]) ** 2))
        if len(calibration) else None,
        "curve": curve,
        "seconds": round(result.seconds, 1),
    }


def interval(values: list[float]) -> tuple[float, float]:
    """(mean, half-width of the 95 % t-interval) over seeds."""
    values = [v for v in values if v is not None]
    if not values:
        return float("nan"), float("nan")
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, float("nan")
    t = T95.get(len(values) - 1, 1.96)
    return mean, t * statistics.stdev(values) / math.sqrt(len(values))


def aggregate(summaries: list[dict]) -> dict[str, dict]:
    """Per policy: each metric's mean and 95 % half-width over seeds; conversions and
    revenue also as a ratio to the oracle of the same seed (and the learning curve too)."""
    by_seed_oracle = {s["seed"]: s for s in summaries if s["policy"] == "oracle"}
    policies: dict[str, list[dict]] = {}
    for s in summaries:
        policies.setdefault(s["policy"], []).append(s)
    table: dict[str, dict] = {}
    for policy, runs in policies.items():
        row: dict[str, tuple[float, float] | list] = {}
        for key in ("expected_conversions", "expected_revenue", "won", "leakage",
                    "unrouted", "unrouted_exhausted", "unrouted_short", "unrouted_nobody",
                    "offers_rejected", "returned", "expired_offers", "offers_per_lead",
                    "median_hours_to_accept", "capacity_violations", "gini_raw",
                    "gini_per_capacity", "new_partner_leads_min", "new_partner_leads_median",
                    "new_partner_days_to_first_offer", "brier_conversion", "brier_win"):
            row[key] = interval([r[key] for r in runs])
        oracle = [(r, by_seed_oracle.get(r["seed"])) for r in runs]
        row["conversion_ratio"] = interval([r["expected_conversions"] / o["expected_conversions"]
                                            for r, o in oracle
                                            if o and o["expected_conversions"]])
        row["revenue_ratio"] = interval([r["expected_revenue"] / o["expected_revenue"]
                                         for r, o in oracle if o and o["expected_revenue"]])
        curves = [[a / b if b else float("nan") for a, b in zip(r["curve"], o["curve"],
                                                                 strict=False)]
                  for r, o in oracle if o]
        row["curve_ratio"] = [interval([c[k] for c in curves if k < len(c)])[0]
                              for k in range(max((len(c) for c in curves), default=0))]
        # Per lead, as the last window may be shorter than WINDOW.
        row["curve_mean"] = [interval([r["curve"][k] / min(WINDOW, r["leads"] - k * WINDOW)
                                       for r in runs if k < len(r["curve"])])[0]
                             for k in range(max(len(r["curve"]) for r in runs))]
        row["leads"] = max(r["leads"] for r in runs)
        row["runs"] = len(runs)
        table[policy] = row
    return table
