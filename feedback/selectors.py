"""Reads of the feedback app for the API, the partner portal and the tier page."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone

from feedback import analytics
from feedback.models import OVERALL, PartnerStats, PartnerTier, StatsPeriod, Tier
from feedback.rollup_reads import coverage_get
from feedback.tenant_settings import feedback_settings_get
from matching.company_size import size_label
from matching.models import RoutingDecision
from partners.models import Partner


def get_partner_for_user(*, partner_id: int, partner_scope: int | None = None) -> Partner:
    """The partner, or 404: unknown, another tenant's (the scope hides it), or another
    partner's when the caller is a partner user or partner-scoped key."""
    if partner_scope is not None and partner_scope != partner_id:
        raise Http404
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        raise Http404
    return partner


def _stats_dict(row: PartnerStats | None) -> dict:
    row = row or PartnerStats()
    return {
        "offers": row.offers, "accepts": row.accepts, "rejects": row.rejects,
        "expiries": row.expiries, "returns": row.returns, "closed": row.closed,
        "won": row.won, "lost": row.lost, "accept_rate": row.accept_rate,
        "median_time_to_accept_seconds": row.median_accept_seconds,
        "conversion_closed": row.conversion_closed,
        "conversion_accepted": row.conversion_accepted, "revenue": row.revenue,
        "median_time_to_close_seconds": row.median_close_seconds,
        "reject_reasons": row.reject_reasons or {}, "loss_reasons": row.loss_reasons or {},
    }


def partner_stats(*, partner: Partner) -> dict:
    """Everything the stats API returns: overall and per segment, all time and window,
    with the tier. Three queries."""
    settings = feedback_settings_get(tenant=partner.tenant_id)
    rows = list(PartnerStats.objects.filter(partner=partner).order_by("segment", "period"))
    state = PartnerTier.objects.filter(partner=partner).first()
    by_key = {(r.segment, r.period): r for r in rows}
    segments = sorted({r.segment for r in rows if r.segment != OVERALL})
    return {
        "partner": partner.pk,
        "tier": state.tier if state else Tier.NEW,
        "computed_tier": state.computed if state else Tier.NEW,
        "posterior_conversion": state.posterior if state else None,
        "boost": state.boost if state else 1.0,
        "tier_computed_at": state.computed_at if state else None,
        "window_days": settings.window_days,
        "all_time": _stats_dict(by_key.get((OVERALL, StatsPeriod.ALL))),
        "window": _stats_dict(by_key.get((OVERALL, StatsPeriod.WINDOW))),
        "segments": [{"segment": s,
                      "all_time": _stats_dict(by_key.get((s, StatsPeriod.ALL))),
                      "window": _stats_dict(by_key.get((s, StatsPeriod.WINDOW)))}
                     for s in segments],
    }


def tenant_average(*, period: str = StatsPeriod.WINDOW) -> dict:
    """Pooled rates over all partners (overall rows): one query."""
    t = PartnerStats.objects.filter(segment=OVERALL, period=period).aggregate(
        accepts=Sum("accepts"), rejects=Sum("rejects"), expiries=Sum("expiries"),
        won=Sum("won"), lost=Sum("lost"))
    answered = (t["accepts"] or 0) + (t["rejects"] or 0) + (t["expiries"] or 0)
    closed = (t["won"] or 0) + (t["lost"] or 0)
    return {"accept_rate": (t["accepts"] or 0) / answered if answered else None,
            "conversion_closed": (t["won"] or 0) / closed if closed else None,
            "conversion_accepted": (t["won"] or 0) / t["accepts"] if t["accepts"] else None}


def tenant_median_accept_seconds(*, period: str = StatsPeriod.WINDOW) -> float | None:
    """Median over partners of their median time to accept (one query)."""
    from feedback.aggregates import median_float

    return PartnerStats.objects.filter(segment=OVERALL, period=period,
                                       median_accept_seconds__isnull=False).aggregate(
        m=median_float("median_accept_seconds"))["m"]


def decisions_for_partner(*, partner_id: int, scan: int = 200, limit: int = 20) -> dict:
    """Why recent leads did or did not come to this partner, from the routing decisions —
    the partner's own criteria and rank only, never another partner's name or id."""
    decisions = (RoutingDecision.objects.select_related("lead")
                 .only("created_at", "candidates", "chosen", "excluded", "lead__industry",
                       "lead__employees", "lead__city", "lead__country")
                 .order_by("-created_at", "-id")[:scan])
    shown, absent = [], 0
    for decision in decisions:
        candidates = decision.candidates or []
        mine = next((c for c in candidates if c.get("partner") == partner_id), None)
        if mine is None:
            absent += 1
            continue
        if len(shown) >= limit:
            continue
        chosen = list(decision.chosen or [])
        rank = 1 + sorted(-float(c.get("score") or 0) for c in candidates).index(
            -float(mine.get("score") or 0))
        criteria = {k: float(v) for k, v in (mine.get("criteria") or {}).items()
                    if isinstance(v, (int, float))}
        weakest = min(criteria.items(), key=lambda kv: kv[1]) if criteria else None
        best = max((float(c.get("score") or 0) for c in candidates), default=0.0)
        shown.append({
            "when": decision.created_at, "industry": decision.lead.industry,
            "size": size_label(decision.lead.employees), "city": decision.lead.city,
            "country": decision.lead.country, "offered": partner_id in chosen,
            "rank": rank, "candidates": len(candidates),
            "score": float(mine.get("score") or 0), "best_score": best,
            "criteria": sorted(criteria.items(), key=lambda kv: -kv[1]),
            "weakest": weakest,
        })
    return {"decisions": shown, "absent": absent, "scanned": len(decisions)}


# The overview's figures aggregate every event of the period: on a busy tenant that is
# hundreds of thousands of rows per request, and managers keep the page open. The page shows
# figures at most this old (and says so); CSV exports compute fresh ones.
OVERVIEW_CACHE_SECONDS = 30


def overview_figures(*, tenant, period: analytics.Period, fresh: bool = False) -> dict:
    """The manager overview's figures for `period`: KPIs against the period before, funnel
    and leakage (`data`), revenue by partner (`pareto`), tiers, tier movement, SLA breaches,
    and when they were computed (`at`). Cached per tenant and period for
    OVERVIEW_CACHE_SECONDS unless `fresh`."""
    # Tenant ids restart when a database is recreated (tests, benchmarks); the tenant's
    # creation time keeps a recreated tenant from reading its predecessor's figures.
    key = (f"insights:overview:{tenant.pk}:{tenant.created_at.timestamp()}:"
           f"{period.start.isoformat()}:{period.end.isoformat()}")
    figures = None if fresh else cache.get(key)
    if figures is None:
        coverage = coverage_get()
        figures = {
            "data": analytics.overview(period, coverage=coverage),
            "pareto": analytics.pareto(period, coverage=coverage),
            "tiers": analytics.tier_distribution(),
            "movement": analytics.tier_movement(period),
            "breaches": analytics.sla_breaches(period, coverage=coverage),
            "at": timezone.now(),
        }
        cache.set(key, figures, timeout=OVERVIEW_CACHE_SECONDS)
    return figures
