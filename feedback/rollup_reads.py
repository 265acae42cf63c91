"""Event counts for a period from the rollup and the raw events together.

A period splits into the whole tenant-local days the rollup holds, read as blocks
(feedback.rollup), and everything else, read from OutcomeEvent: the edges (today, days not
rolled up yet, a partial first day) and, inside the rolled-up days, the events recorded
since the rollup's watermark (late reports, events still in flight). Both halves run as one
UNION ALL statement that reads the watermark itself, so a rollup run committing meanwhile
cannot make a page count an event twice or not at all; each half gives at most one row per
group, added up here. Without a rollup (or one in another time zone) everything comes from
the raw events, as before.

One gap, knowingly left: a page being computed at the very moment the rollup is rebuilt for
a new tenant time zone may miss that page's rolled-up days' settled events (the blocks are
no longer in its zone); the next request is right. Closing it would cost the recorded_at
index on every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, IntegerField, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from feedback.models import OutcomeEvent, OutcomeKind, OutcomeRollup, RollupState
from feedback.rollup import COUNTS, blocks_covering, midnight, zone_name

ZERO = Decimal("0.00")  # money: cents, with or without the rollup
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Coverage:
    """The days the current tenant's rollup holds: read once per page."""

    time_zone: str
    through_day: date
    settled_before: datetime


def coverage_get() -> Coverage | None:
    row = (RollupState.objects.filter(through_day__isnull=False)
           .values_list("time_zone", "through_day", "settled_before").first())
    return Coverage(*row) if row else None


@dataclass(frozen=True)
class Split:
    """A period's events (`whole`), those of them that come raw (`raw`), and the rollup
    rows holding the rest (`blocks`, None when the rollup holds none of the period; `days`
    tells them apart from another period's blocks)."""

    whole: Q
    raw: Q
    blocks: Q | None = None
    days: Q | None = None


def split(period, coverage: Coverage | None) -> Split:
    """Cut `period` (feedback.analytics.Period) into rollup blocks and raw events."""
    whole = Q(occurred_at__gte=period.start, occurred_at__lt=period.end)
    tz = period.start.tzinfo
    name = zone_name(tz)
    if coverage is None or coverage.time_zone != name:
        return Split(whole, whole)
    first = timezone.localdate(period.start, tz)
    if midnight(first, tz) < period.start:
        first += timedelta(days=1)
    last = min(timezone.localdate(period.end, tz) - timedelta(days=1), coverage.through_day)
    if first > last:
        return Split(whole, whole)
    held_from, held_until = midnight(first, tz), midnight(last + timedelta(days=1), tz)
    # Late events: recorded since the watermark as of this very statement (a run may have
    # committed since `coverage` was read; the watermark only moves forward, so the one
    # read before is a lower bound the planner can use on the recorded_at index).
    settled = Coalesce(Subquery(RollupState.objects.filter(time_zone=name)
                                .values("settled_before")[:1]), Value(EARLIEST))
    raw = Q(occurred_at__gte=held_from, occurred_at__lt=held_until,
            recorded_at__gte=coverage.settled_before) & Q(recorded_at__gte=settled)
    if period.start < held_from:
        raw |= Q(occurred_at__gte=period.start, occurred_at__lt=held_from)
    if held_until < period.end:
        raw |= Q(occurred_at__gte=held_until, occurred_at__lt=period.end)
    by_level: dict[int, list[date]] = {}
    for level, day in blocks_covering(first, last):
        by_level.setdefault(level, []).append(day)
    blocks = Q()
    for level, days in by_level.items():
        blocks |= Q(level=level, day__in=days)
    held = Exists(RollupState.objects.filter(time_zone=name, through_day__gte=last))
    return Split(whole, raw, blocks & Q(held), Q(day__gte=first, day__lte=last))


def _event_aggregate(field: str, where: Q):
    if field == "revenue":
        return Coalesce(Sum("value", filter=where & Q(kind=OutcomeKind.WON)), ZERO)
    return Count("id", filter=where & Q(kind=field))


def _rollup_aggregate(field: str, where: Q | None):
    if where is None:
        return (Value(ZERO, output_field=DecimalField()) if field == "revenue"
                else Value(0, output_field=IntegerField()))
    if field == "revenue":
        return Coalesce(Sum(field, filter=where), ZERO)
    return Sum(field, filter=where, default=0)


def counts(splits: dict[str, Split], *, group: tuple[str, ...] = ("tenant_id",),
           fields: tuple[str, ...] = COUNTS, events: Q | None = None,
           rollups: Q | None = None) -> list[dict]:
    """Per `group` (default: the whole tenant), `{prefix}{field}` for each split, e.g.
    `cur_won`: event counts per kind and won revenue. One statement. `events` / `rollups`
    narrow the two halves (e.g. only expiries) without changing the result. The splits'
    periods must not overlap: an event is told apart by its period's bounds alone."""
    names = [f"{prefix}{field}" for prefix in splits for field in fields]
    raw = Q()
    for s in splits.values():
        raw |= s.raw
    query = (OutcomeEvent.objects.filter(raw, events or Q()).values(*group)
             .annotate(**{f"{p}{f}": _event_aggregate(f, s.whole)
                          for p, s in splits.items() for f in fields})
             .values_list(*group, *names).order_by())
    held = [s.blocks for s in splits.values() if s.blocks is not None]
    if held:
        where = Q()
        for blocks in held:
            where |= blocks
        rolled = (OutcomeRollup.objects.filter(where, rollups or Q()).values(*group)
                  .annotate(**{f"{p}{f}": _rollup_aggregate(f, s.days)
                               for p, s in splits.items() for f in fields})
                  .values_list(*group, *names).order_by())
        query = rolled.union(query, all=True)
    totals: dict[tuple, list] = {}
    for row in query:
        key, values = row[:len(group)], row[len(group):]
        if key in totals:
            totals[key] = [a + b for a, b in zip(totals[key], values, strict=True)]
        else:
            totals[key] = list(values)
    return [dict(zip((*group, *names), (*key, *values), strict=True))
            for key, values in totals.items()]
