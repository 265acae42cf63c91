"""The manager dashboard's numbers: SQL aggregates only (a constant number of queries per
page, never a Python loop over leads or events).

Counting rules: leads are counted by when they were received; events (offers, accepts,
wins, …) by when they happened. A period is [start, end) in whole days of the tenant's time
zone; the previous period is the same length right before it.

Event counts come from the rollup for the whole days it holds and from the raw events for
the rest (feedback.rollup_reads): the same numbers, without scanning a year of events.
Medians come from the raw events (an index-only scan); see docs/feedback.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from feedback.aggregates import median_float
from feedback.models import (
    OVERALL,
    OutcomeEvent,
    OutcomeKind,
    PartnerStats,
    PartnerTier,
    RuleAction,
    StatsPeriod,
    Tier,
    TierChange,
)
from feedback.rollup_reads import Coverage, counts, split
from leads.models import Lead, LeadStatus
from partners.models import Partner, PartnerStatus

ZERO = Decimal("0")
PERIOD_CHOICES = (7, 30, 90, 180, 365)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return max((self.end - self.start).days, 1)

    @property
    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start)

    @property
    def last_day(self) -> date:
        return timezone.localdate(self.end - timedelta(seconds=1), self.end.tzinfo)


def period_parse(days: str | None, end: str | None = None, tz: tzinfo | None = None
                 ) -> Period:
    """`days` (7/30/90/180/365, default 30) ending with the day `end` (ISO date, default
    today), in the time zone `tz` (the tenant's; default the current one)."""
    tz = tz or timezone.get_current_timezone()
    n = int(days) if (days or "").isdigit() and int(days) in PERIOD_CHOICES else 30
    try:
        last = date.fromisoformat(end) if end else timezone.localdate(timezone=tz)
    except ValueError:
        last = timezone.localdate(timezone=tz)
    stop = timezone.make_aware(datetime.combine(last + timedelta(days=1), datetime.min.time()),
                               tz)
    return Period(stop - timedelta(days=n), stop)


def _in(period: Period, field: str = "occurred_at") -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _speed_aggregates(period: Period, prefix: str) -> dict:
    inp = _in(period)
    return {
        f"{prefix}time_to_accept": median_float(
            "seconds", filter=inp & Q(kind=OutcomeKind.ACCEPTED)),
        f"{prefix}time_to_close": median_float(
            "seconds", filter=inp & Q(kind__in=[OutcomeKind.WON, OutcomeKind.LOST])),
    }


SPEED_KINDS = [OutcomeKind.ACCEPTED, OutcomeKind.WON, OutcomeKind.LOST]
COUNTED = ("offered", "accepted", "rejected", "expired", "returned", "won", "lost", "revenue")


def _lead_aggregates(period: Period, prefix: str) -> dict:
    inp = _in(period, "received_at")
    routed = Q(routed_at__isnull=False) & ~Q(status__in=[LeadStatus.UNROUTED, LeadStatus.NEW,
                                                         LeadStatus.ROUTING])
    return {f"{prefix}received": Count("id", filter=inp),
            f"{prefix}routed": Count("id", filter=inp & routed),
            f"{prefix}unrouted": Count("id", filter=inp & Q(status=LeadStatus.UNROUTED))}


def overview(period: Period, *, coverage: Coverage | None) -> dict:
    """KPIs of the period and the previous one: three queries (event counts, medians,
    leads)."""
    prev = period.previous
    both = Q(occurred_at__gte=prev.start, occurred_at__lt=period.end)
    row = next(iter(counts({"cur_": split(period, coverage), "prev_": split(prev, coverage)})),
               {})
    events = {f"{p}{f}": row.get(f"{p}{f}", 0) for p in ("cur_", "prev_") for f in COUNTED}
    for p in ("cur_", "prev_"):  # no wins: no revenue ("—"), as the SQL SUM says
        if not events[f"{p}won"]:
            events[f"{p}revenue"] = None
    events.update(OutcomeEvent.objects.filter(both, kind__in=SPEED_KINDS).aggregate(
        **_speed_aggregates(period, "cur_"), **_speed_aggregates(prev, "prev_")))
    leads = Lead.objects.filter(received_at__gte=prev.start, received_at__lt=period.end) \
        .aggregate(**_lead_aggregates(period, "cur_"), **_lead_aggregates(prev, "prev_"))
    values = {**events, **leads}
    rows = []
    for key, label, kind in KPI_ROWS:
        cur, old = values.get(f"cur_{key}"), values.get(f"prev_{key}")
        if key == "routed_pct":
            cur = _ratio(values["cur_routed"], values["cur_received"])
            old = _ratio(values["prev_routed"], values["prev_received"])
        rows.append({"key": key, "label": label, "kind": kind, "current": cur,
                     "previous": old, "change": _change(cur, old)})
    funnel = [(str(label), values.get(f"cur_{key}") or 0) for key, label in FUNNEL]
    leakage = [(str(label), values.get(f"cur_{key}") or 0) for key, label in LEAKAGE]
    return {"rows": rows, "values": values, "funnel": funnel, "leakage": leakage}


def _label(text):
    from django.utils.translation import gettext_lazy

    return gettext_lazy(text)


KPI_ROWS = [
    ("received", gettext_lazy("Leads received"), "count"),
    ("routed_pct", gettext_lazy("Routed"), "pct"),
    ("offered", gettext_lazy("Offers made"), "count"),
    ("accepted", gettext_lazy("Offers accepted"), "count"),
    ("won", gettext_lazy("Won"), "count"),
    ("revenue", gettext_lazy("Revenue won"), "money"),
    ("time_to_accept", gettext_lazy("Median time to accept"), "duration"),
    ("time_to_close", gettext_lazy("Median time to close"), "duration"),
    ("expired", gettext_lazy("Offers expired"), "count"),
    ("returned", gettext_lazy("Leads returned"), "count"),
    ("unrouted", gettext_lazy("Leads unrouted"), "count"),
]
FUNNEL = [("received", gettext_lazy("Received")), ("routed", gettext_lazy("Routed")),
          ("offered", gettext_lazy("Offers")), ("accepted", gettext_lazy("Accepted")),
          ("won", gettext_lazy("Won"))]
LEAKAGE = [("expired", gettext_lazy("Expired offers")),
           ("returned", gettext_lazy("Returned leads")),
           ("unrouted", gettext_lazy("Unrouted leads"))]


def _ratio(a, b) -> float | None:
    return (a or 0) / b if b else None


def _change(cur, old) -> float | None:
    if cur is None or old is None:
        return None
    if isinstance(cur, timedelta):
        cur, old = cur.total_seconds(), old.total_seconds()
    cur, old = float(cur), float(old)
    return (cur - old) / old if old else None


# --- Pareto of revenue by partner ---------------------------------------------------------

def pareto(period: Period, *, coverage: Coverage | None) -> dict:
    """Won revenue per partner, biggest first, and the share of the top 20 % of partners
    (of all partners that are not offboarded). Two queries."""
    rows = counts({"": split(period, coverage)}, group=("partner_id", "partner__name"),
                  fields=("won", "revenue"),
                  events=Q(kind=OutcomeKind.WON, partner__isnull=False),
                  rollups=Q(won__gt=0, partner__isnull=False))
    rows.sort(key=lambda r: (-r["revenue"], r["partner_id"]))
    partners = Partner.objects.exclude(status=PartnerStatus.OFFBOARDED).count()
    total = sum((r["revenue"] for r in rows), ZERO)
    top_n = math.ceil(partners * 0.2) if partners else 0
    top = sum((r["revenue"] for r in rows[:top_n]), ZERO)
    cumulative = ZERO
    for r in rows:
        cumulative += r["revenue"]
        r["share"] = float(r["revenue"] / total) if total else 0.0
        r["cumulative"] = float(cumulative / total) if total else 0.0
    return {"rows": rows, "total": total, "partners": partners, "top_n": top_n,
            "top_share": float(top / total) if total else None}


# --- Tiers --------------------------------------------------------------------------------

def tier_distribution() -> list[dict]:
    counts = dict(PartnerTier.objects.filter(partner__status__in=[PartnerStatus.ACTIVE,
                                                                   PartnerStatus.PAUSED])
                  .values_list("tier").annotate(n=Count("id")).order_by())
    active = Partner.objects.exclude(status=PartnerStatus.OFFBOARDED).count()
    counts[Tier.NEW] = counts.get(Tier.NEW, 0) + max(active - sum(counts.values()), 0)
    return [{"tier": t, "label": t.label, "count": counts.get(t, 0)} for t in Tier]


def tier_movement(period: Period) -> list[dict]:
    return list(TierChange.objects.filter(_in(period, "created_at"))
                .values("from_tier", "to_tier").annotate(count=Count("id"))
                .order_by("-count", "from_tier", "to_tier"))


# --- SLA breaches -------------------------------------------------------------------------

def sla_breaches(period: Period, *, coverage: Coverage | None, limit: int = 10
                 ) -> list[dict]:
    """Partners who let the most offers expire in the period. One query."""
    rows = counts({"": split(period, coverage)}, group=("partner_id", "partner__name"),
                  fields=("expired",),
                  events=Q(kind=OutcomeKind.EXPIRED, partner__isnull=False),
                  rollups=Q(expired__gt=0, partner__isnull=False))
    rows.sort(key=lambda r: (-r["expired"], r["partner_id"]))
    return rows[:limit]


# --- ROMI ---------------------------------------------------------------------------------

def romi(period: Period) -> list[dict]:
    """Per source and campaign of the leads received in the period: cost, won revenue,
    ROMI = (revenue − cost) / cost. One query."""
    rows = list(Lead.objects.filter(_in(period, "received_at"))
                .values("source", "campaign")
                .annotate(leads=Count("id"), cost=Coalesce(Sum("cost"), ZERO),
                          won=Count("id", filter=Q(status=LeadStatus.WON)),
                          revenue=Coalesce(Sum("deal_value", filter=Q(status=LeadStatus.WON)),
                                           ZERO))
                .order_by("source", "campaign"))
    for r in rows:
        r["romi"] = float((r["revenue"] - r["cost"]) / r["cost"]) if r["cost"] else None
        r["cost_per_won"] = (r["cost"] / r["won"]) if r["won"] else None
    return rows


# --- Leaderboard --------------------------------------------------------------------------

LEADERBOARD_SORTS = {
    "name": "partner__name", "offers": "offers", "accepts": "accepts",
    "accept_rate": "accept_rate", "won": "won", "conversion": "conversion",
    "revenue": "revenue", "time_to_accept": "time_to_accept", "expired": "expired",
}


def leaderboard(period: Period, sort: str = "-revenue", limit: int | None = 50, *,
                coverage: Coverage | None) -> list[dict]:
    """Per partner in the period, sortable by any column (prefix "-" for descending).

    Three queries: the counts (rollup + raw events, feedback.rollup_reads), the median time
    to accept (accepted events only) and the partners; merged and sorted here — at most one
    row per partner, never per lead or event."""
    key = sort.lstrip("-")
    if key not in LEADERBOARD_SORTS:
        sort, key = "-revenue", "revenue"
    rows = counts({"": split(period, coverage)}, group=("partner_id",),
                  events=Q(partner__isnull=False), rollups=Q(partner__isnull=False))
    for r in rows:
        r["offers"], r["accepts"] = r.pop("offered"), r.pop("accepted")
        r["answered"] = r["accepts"] + r["rejected"] + r["expired"]
        r["closed"] = r["won"] + r["lost"]
    partners = {p["id"]: p for p in Partner.objects.filter(pk__in=[r["partner_id"] for r in rows])
                .values("id", "name", "status", "tier_state__tier")}
    for r in rows:
        p = partners.get(r["partner_id"], {})
        r["partner__name"], r["partner__status"] = p.get("name", ""), p.get("status", "")
        r["partner__tier_state__tier"] = p.get("tier_state__tier")
        r["accept_rate"] = r["accepts"] / r["answered"] if r["answered"] else None
        r["conversion"] = r["won"] / r["closed"] if r["closed"] else None
    field, descending = LEADERBOARD_SORTS[key], sort.startswith("-")
    if key != "time_to_accept" and limit:
        # The order does not depend on the medians: only the shown partners need theirs.
        rows = _sorted(rows, field, descending)[:limit]
        speed = _median_accept(period, [r["partner_id"] for r in rows])
    else:
        speed = _median_accept(period)
    for r in rows:
        r["time_to_accept"] = speed.get(r["partner_id"])
    rows = _sorted(rows, field, descending)
    return rows[:limit] if limit else rows


def _sorted(rows: list[dict], field: str, descending: bool) -> list[dict]:
    present = [r for r in rows if r[field] is not None]
    missing = [r for r in rows if r[field] is None]
    present.sort(key=lambda r: (r[field], r["partner_id"]), reverse=descending)
    return present + sorted(missing, key=lambda r: r["partner_id"])  # nulls last


def _median_accept(period: Period, partner_ids: list[int] | None = None) -> dict:
    """Median seconds from offer to accept per partner (of `partner_ids`, else all)."""
    events = OutcomeEvent.objects.filter(_in(period), kind=OutcomeKind.ACCEPTED,
                                         partner__isnull=False)
    if partner_ids is not None:
        events = events.filter(partner_id__in=partner_ids)
    return dict(events.values("partner_id").annotate(m=median_float("seconds"))
                .order_by().values_list("partner_id", "m"))


# --- One partner --------------------------------------------------------------------------

def partner_segments(partner_id: int) -> list[dict]:
    """The partner's conversion (won / closed) and accept rate per segment over the sliding
    window, against the tenant average in the same segment. Two queries."""
    own = {r.segment: r for r in PartnerStats.objects.filter(
        partner_id=partner_id, period=StatsPeriod.WINDOW).exclude(segment=OVERALL)}
    tenant = {r["segment"]: r for r in PartnerStats.objects.filter(
        period=StatsPeriod.WINDOW, segment__in=list(own))
        .values("segment").annotate(accepts=Sum("accepts"), rejects=Sum("rejects"),
                                    expiries=Sum("expiries"), won=Sum("won"),
                                    lost=Sum("lost")).order_by()}
    rows = []
    for segment, r in sorted(own.items()):
        t = tenant.get(segment, {})
        t_closed = (t.get("won") or 0) + (t.get("lost") or 0)
        t_answered = (t.get("accepts") or 0) + (t.get("rejects") or 0) + (t.get("expiries") or 0)
        conversion, avg = r.conversion_closed, _ratio(t.get("won"), t_closed)
        rows.append({
            "segment": segment, "offers": r.offers, "accept_rate": r.accept_rate,
            "tenant_accept_rate": _ratio(t.get("accepts"), t_answered),
            "closed": r.closed, "won": r.won, "conversion": conversion,
            "tenant_conversion": avg, "revenue": r.revenue,
            "verdict": _verdict(conversion, avg, r.closed),
        })
    return rows


def _verdict(value: float | None, average: float | None, closed: int) -> str:
    """strength / weakness / even / too few (fewer than 3 closed leads say nothing)."""
    if value is None or average is None or closed < 3:
        return "few"
    if value >= average * 1.2 and value > average:
        return "strength"
    if value <= average * 0.8 and value < average:
        return "weakness"
    return "even"


def partner_reasons(partner_id: int) -> dict:
    """Reject and loss reasons (all time and window), from the overall statistics rows."""
    rows = {r.period: r for r in PartnerStats.objects.filter(partner_id=partner_id,
                                                              segment=OVERALL)}
    result = {}
    for period in StatsPeriod.values:
        r = rows.get(period)
        result[period] = {
            "reject": sorted((r.reject_reasons if r else {}).items(), key=lambda i: -i[1]),
            "loss": sorted((r.loss_reasons if r else {}).items(), key=lambda i: -i[1]),
        }
    return result


def partner_trend(partner_id: int, months: int = 12) -> list[dict]:
    """Offers, accepts, won and revenue per month over the last `months`. One query."""
    since = timezone.now() - timedelta(days=31 * months)
    return list(OutcomeEvent.objects.filter(partner_id=partner_id, occurred_at__gte=since)
                .annotate(month=TruncMonth("occurred_at")).values("month")
                .annotate(offers=Count("id", filter=Q(kind=OutcomeKind.OFFERED)),
                          accepts=Count("id", filter=Q(kind=OutcomeKind.ACCEPTED)),
                          won=Count("id", filter=Q(kind=OutcomeKind.WON)),
                          lost=Count("id", filter=Q(kind=OutcomeKind.LOST)),
                          revenue=Coalesce(Sum("value", filter=Q(kind=OutcomeKind.WON)), ZERO))
                .order_by("month"))


def rule_actions(period: Period | None = None, partner_id: int | None = None,
                 limit: int = 100):
    actions = RuleAction.objects.select_related("partner").order_by("-created_at", "-id")
    if partner_id is not None:
        actions = actions.filter(partner_id=partner_id)
    if period is not None:
        actions = actions.filter(_in(period, "created_at"))
    return actions[:limit]
