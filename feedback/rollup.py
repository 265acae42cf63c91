"""The dashboard's rollup: outcome-event counts per partner per block of tenant-local days.

A 365-day leaderboard counted from raw events scans ~350,000 rows; one row per partner and
day barely halves that (most partners have an event or two a day). So days are grouped
into aligned blocks of 2**level days (level 0 = one day … MAX_LEVEL = 512 days, aligned on
the date's ordinal): any range of whole days is at most two blocks per level, a few
thousand rows for a year (`blocks_covering`).

What the rows hold (RollupState, one row per tenant): every event *recorded* before
`settled_before` whose tenant-local day is on or before `through_day`. The dashboard reads
those days' blocks and takes from the raw events everything else — the open edge (today,
days not rolled up yet) and the events recorded since `settled_before` (late reports about
a past day, and anything still in flight) — so it adds up to exactly what the raw events
say (feedback.rollup_reads).

`settled_before` trails the clock by SETTLE: an event's recorded_at is taken before its
transaction commits, so an event recorded just before a rollup run may not be visible to
it yet; one hour is far longer than any of our transactions.

`rollup_advance` (beat, hourly; and `manage.py rollup_rebuild`) moves the state forward in
one transaction: it rebuilds (delete + insert) the level-0 rows of every day that gained
events since the last run, then the blocks above them, then the state. A worker dying
half-way rolls it all back; readers see the old rows and the old state until the commit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from feedback.models import OutcomeEvent, OutcomeKind, OutcomeRollup, RollupState
from leadrouter.tenancy.models import Tenant

SETTLE = timedelta(hours=1)
MAX_LEVEL = 9
KINDS = ("offered", "accepted", "rejected", "expired", "returned", "won", "lost")
# `other`: contacted / qualified / proposal, counted only so that a partner with nothing
# but those in a period still gets its (empty) leaderboard row, as from the raw events.
COUNTS = (*KINDS, "other", "revenue")
ZERO = Decimal("0")
_DAY_CHUNK = 31  # days per level-0 query (bounds memory on a full rebuild)


def tenant_zone(name: str) -> tzinfo:
    """The tenant's time zone (the server's if the name is unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", str(tz))


def midnight(day: date, tz: tzinfo) -> datetime:
    """The moment `day` starts in `tz` (the dashboard's periods start there too)."""
    return timezone.make_aware(datetime.combine(day, time.min), tz)


def block_start(day: date, level: int) -> date:
    ordinal = day.toordinal()
    return date.fromordinal(ordinal - ordinal % (1 << level))


def blocks_covering(first: date, last: date) -> list[tuple[int, date]]:
    """The aligned blocks (level, first day) that cover first..last exactly, largest
    first-fit from the left: at most two per level."""
    blocks = []
    day, end = first.toordinal(), last.toordinal()
    while day <= end:
        level = MAX_LEVEL
        while level and (day % (1 << level) or day + (1 << level) - 1 > end):
            level -= 1
        blocks.append((level, date.fromordinal(day)))
        day += 1 << level
    return blocks


def event_counts() -> dict:
    """Per kind counted, and won revenue: the SQL aggregates a level-0 row is made of."""
    counts = {kind: Count("id", filter=Q(kind=kind)) for kind in KINDS}
    counts["other"] = Count("id", filter=~Q(kind__in=KINDS))
    counts["revenue"] = Coalesce(Sum("value", filter=Q(kind=OutcomeKind.WON)), ZERO)
    return counts


def rollup_advance(*, tenant_id: int, now: datetime | None = None) -> dict:
    """Bring the current tenant's rollup up to yesterday and `now - SETTLE`. Runs in the
    tenant's scope; idempotent. Returns what it did."""
    return _run(tenant_id=tenant_id, now=now or timezone.now(), rebuild=False)


def rollup_rebuild(*, tenant_id: int, now: datetime | None = None) -> dict:
    """Throw the current tenant's rollup away and build it again from all its events (after
    a time-zone change, or to repair rows after events were deleted)."""
    return _run(tenant_id=tenant_id, now=now or timezone.now(), rebuild=True)


def _run(*, tenant_id: int, now: datetime, rebuild: bool) -> dict:
    tz_name = Tenant.objects.values_list("timezone", flat=True).get(pk=tenant_id)
    tz = tenant_zone(tz_name)
    tz_name = zone_name(tz)
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(
            tenant_id=tenant_id, defaults={"time_zone": tz_name})
        if rebuild or state.time_zone != tz_name:
            OutcomeRollup.objects.all().delete()
            state.time_zone, state.through_day, state.settled_before = tz_name, None, None
        settled = max(now - SETTLE, state.settled_before or now - SETTLE)
        through = max(timezone.localdate(now, tz) - timedelta(days=1),
                      state.through_day or date.min)
        days = _days_to_rebuild(state, settled, through, tz)
        _rebuild_days(days, settled, tz, tenant_id)
        state.through_day, state.settled_before, state.updated_at = through, settled, now
        state.save()
    return {"days": len(days), "through_day": through, "settled_before": settled}


def _days_to_rebuild(state: RollupState, settled: datetime, through: date,
                     tz: tzinfo) -> list[date]:
    """Days up to `through` with events recorded before `settled` that the rows do not hold
    yet: recorded since the last run, or on days after the last rolled-up day."""
    events = OutcomeEvent.objects.filter(recorded_at__lt=settled,
                                         occurred_at__lt=midnight(through + timedelta(days=1),
                                                                  tz))
    if state.settled_before is not None:
        new = Q(recorded_at__gte=state.settled_before)
        if state.through_day is not None:
            new |= Q(occurred_at__gte=midnight(state.through_day + timedelta(days=1), tz))
        events = events.filter(new)
    return sorted(events.annotate(day=TruncDate("occurred_at", tzinfo=tz))
                  .values_list("day", flat=True).distinct().order_by())


def _rebuild_days(days: list[date], settled: datetime, tz: tzinfo, tenant_id: int) -> None:
    for i in range(0, len(days), _DAY_CHUNK):
        chunk = days[i:i + _DAY_CHUNK]
        rows = (OutcomeEvent.objects
                .filter(occurred_at__gte=midnight(chunk[0], tz),
                        occurred_at__lt=midnight(chunk[-1] + timedelta(days=1), tz),
                        recorded_at__lt=settled)
                .annotate(day=TruncDate("occurred_at", tzinfo=tz)).filter(day__in=chunk)
                .values("day", "partner_id").annotate(**event_counts())
                .values_list("day", "partner_id", *COUNTS).order_by())
        OutcomeRollup.objects.filter(level=0, day__in=chunk).delete()
        _insert(0, rows, tenant_id)
    for level in range(1, MAX_LEVEL + 1):
        _rebuild_level(level, sorted({block_start(d, level) for d in days}), tenant_id)


def _rebuild_level(level: int, starts: list[date], tenant_id: int) -> None:
    """Each block of `level` starting in `starts` := the sum of its two halves."""
    half = timedelta(days=1 << (level - 1))
    for i in range(0, len(starts), _DAY_CHUNK):
        chunk = starts[i:i + _DAY_CHUNK]
        halves = [d for start in chunk for d in (start, start + half)]
        sums: dict[tuple[date, int | None], list] = defaultdict(lambda: [0] * len(COUNTS))
        for day, partner_id, *counts in (OutcomeRollup.objects
                                         .filter(level=level - 1, day__in=halves)
                                         .values_list("day", "partner_id", *COUNTS)
                                         .iterator(chunk_size=5000)):
            total = sums[(block_start(day, level), partner_id)]
            for j, value in enumerate(counts):
                total[j] += value
        OutcomeRollup.objects.filter(level=level, day__in=chunk).delete()
        _insert(level, ((day, partner_id, *counts)
                        for (day, partner_id), counts in sums.items()), tenant_id)


def _insert(level: int, rows, tenant_id: int) -> None:
    batch = []
    for day, partner_id, *counts in rows:
        batch.append(OutcomeRollup(tenant_id=tenant_id, level=level, day=day,
                                   partner_id=partner_id, **dict(zip(COUNTS, counts, strict=True))))
        if len(batch) == 5000:
            OutcomeRollup.objects.bulk_create(batch)
            batch = []
    if batch:
        OutcomeRollup.objects.bulk_create(batch)
