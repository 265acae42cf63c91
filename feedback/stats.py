"""Partner statistics derived from outcome events: incrementally and by full recompute.

Both paths feed the same facts through the same `_apply`, so they agree by construction
(and tests/feedback/test_stats_recompute.py checks it over random event streams):

- `stats_apply_many(events=...)` — called by `events_record` inside the service's
  transaction (`stats_apply_facts` for events written by SQL); sums counter events per row
  into one upsert, and locks the partner's (at most four) rows for the others.
- `stats_recompute(now=...)` — deletes and rebuilds the current tenant's rows from all its
  events (nightly and `manage.py recompute_stats`).

Rows: per partner × segment ("" = overall) × period ("all" / "window"). The window is
the last `window_days` (default 180) before *now*: an event enters window rows when it
happens, and leaves them at the next rebuild (nightly) — see docs/feedback.md.

Medians: durations are kept as a sorted list of [epoch, seconds] pairs, the most recent
DURATION_CAP per row, and the medians stored next to them; order of arrival does not matter.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from feedback.models import OVERALL, OutcomeEvent, OutcomeKind, PartnerStats, StatsPeriod
from feedback.tenant_settings import feedback_settings_get
from matching.engine.types import segment_of

DURATION_CAP = 500
COUNTED_KINDS = frozenset({OutcomeKind.OFFERED, OutcomeKind.ACCEPTED, OutcomeKind.REJECTED,
                           OutcomeKind.EXPIRED, OutcomeKind.RETURNED, OutcomeKind.WON,
                           OutcomeKind.LOST})


@dataclass(frozen=True)
class EventFacts:
    """What statistics need of one event (from a model instance or a values() row)."""

    id: int
    partner_id: int
    kind: str
    reason: str
    value: Decimal | None
    occurred_at: datetime
    segment: str
    accept_seconds: int | None
    close_seconds: int | None


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(int((later - earlier).total_seconds()), 0)


def facts_of(*, event_id: int, partner_id: int, kind: str, reason: str, value,
             occurred_at: datetime, industry: str, employees: int | None,
             offered_at: datetime | None, responded_at: datetime | None) -> EventFacts:
    """Time to accept: offer made → accepted. Time to close: offer accepted → won/lost."""
    return EventFacts(
        id=event_id, partner_id=partner_id, kind=kind, reason=reason or "",
        value=value, occurred_at=occurred_at, segment=segment_of(industry or "", employees),
        accept_seconds=_seconds(occurred_at, offered_at) if kind == OutcomeKind.ACCEPTED
        else None,
        close_seconds=_seconds(occurred_at, responded_at)
        if kind in (OutcomeKind.WON, OutcomeKind.LOST) else None,
    )


def _insert_duration(durations: list, occurred_at: datetime, seconds: int) -> None:
    bisect.insort(durations, [int(occurred_at.timestamp()), seconds])
    if len(durations) > DURATION_CAP:
        del durations[: len(durations) - DURATION_CAP]


def _median(durations: list) -> float | None:
    return float(statistics.median(s for _, s in durations)) if durations else None


def _refresh_medians(row: PartnerStats) -> None:
    row.median_accept_seconds = _median(row.accept_durations)
    row.median_close_seconds = _median(row.close_durations)


def _count(counter: dict, key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def _apply(row: PartnerStats, f: EventFacts) -> None:
    """Add one event to one row (the one rule both paths share)."""
    kind = f.kind
    if kind == OutcomeKind.OFFERED:
        row.offers += 1
    elif kind == OutcomeKind.ACCEPTED:
        row.accepts += 1
        row.expiry_streak = 0
        if f.accept_seconds is not None:
            _insert_duration(row.accept_durations, f.occurred_at, f.accept_seconds)
    elif kind == OutcomeKind.REJECTED:
        row.rejects += 1
        row.expiry_streak = 0
        _count(row.reject_reasons, f.reason or "other")
    elif kind == OutcomeKind.EXPIRED:
        row.expiries += 1
        row.expiry_streak += 1
        row.last_expired_event = f.id
    elif kind == OutcomeKind.RETURNED:
        row.returns += 1
    elif kind in (OutcomeKind.WON, OutcomeKind.LOST):
        if kind == OutcomeKind.WON:
            row.won += 1
            row.revenue = Decimal(row.revenue) + (f.value or Decimal("0"))
        else:
            row.lost += 1
            _count(row.loss_reasons, f.reason or "other")
        if f.close_seconds is not None:
            _insert_duration(row.close_durations, f.occurred_at, f.close_seconds)


def _row_keys(f: EventFacts, window_start: datetime) -> list[tuple[str, str]]:
    periods = [StatsPeriod.ALL]
    if f.occurred_at >= window_start:
        periods.append(StatsPeriod.WINDOW)
    return [(segment, period) for segment in (OVERALL, f.segment) for period in periods]


def _window_start(tenant_id: int, now: datetime) -> datetime:
    return now - timedelta(days=feedback_settings_get(tenant=tenant_id).window_days)


class _Window:
    """Where the window starts, read from the settings only when an event might be older
    than that: an event at `now` or later is inside any window (window_days ≥ 0), and
    nearly every event is recorded as it happens."""

    def __init__(self, tenant_id: int, now: datetime) -> None:
        self.tenant_id, self.now, self._start = tenant_id, now, None

    def start_for(self, occurred_at: datetime) -> datetime:
        if occurred_at >= self.now:
            return self.now
        if self._start is None:
            self._start = _window_start(self.tenant_id, self.now)
        return self._start


def stats_apply_many(*, events: list[OutcomeEvent], now: datetime | None = None) -> None:
    """Add just-recorded events of one tenant (each with its `lead` and `offer` attached),
    in the order they happened, to the partners' statistics (see `stats_apply_facts`)."""
    counted = [event for event in events
               if event.partner_id is not None and event.kind in COUNTED_KINDS]
    if counted:
        stats_apply_facts(tenant_id=counted[0].tenant_id,
                          facts=[_facts_of_event(event) for event in counted], now=now)


# Facts held by `stats_deferred` until the end of its block.
_held: ContextVar[list[tuple[int, list[EventFacts], datetime]] | None] = ContextVar(
    "stats_held", default=None)


@contextmanager
def stats_deferred() -> Iterator[None]:
    """Hold the statistics of the events recorded in the block and add them at its end, in
    the order they were recorded. A sweep batch records its expiries and then its next
    offers: held, their counters take one upsert, which locks the rows in one order, so
    sweeps side by side cannot deadlock on them. Use inside the block's transaction; on an
    error nothing is added (the transaction rolls back anyway)."""
    held: list[tuple[int, list[EventFacts], datetime]] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    while held:
        tenant_id, facts, now = held.pop(0)
        while held and held[0][0] == tenant_id and held[0][2] == now:
            facts = facts + held.pop(0)[1]
        stats_apply_facts(tenant_id=tenant_id, facts=facts, now=now)


def stats_apply_facts(*, tenant_id: int, facts: list[EventFacts],
                      now: datetime | None = None) -> None:
    """Add the facts of just-recorded events of one tenant, in the order they happened
    (inside `stats_deferred`: at the end of its block).

    Pure counters (offered, expired, returned — most events, and all of a routing burst or
    an expiry sweep) are summed per row and added by one upsert that increments in SQL, so
    no row is read. The others (durations, reason counts, revenue) take the locked
    read-modify-write of `_rows_apply`, one event at a time, in order."""
    now = now or timezone.now()
    held = _held.get()
    if held is not None:
        held.append((tenant_id, list(facts), now))
        return
    window = _Window(tenant_id, now)
    counters: dict[tuple[int, str, str], _Counter] = {}
    for f in facts:
        if f.partner_id is None or f.kind not in COUNTED_KINDS:
            continue
        keys = _row_keys(f, window.start_for(f.occurred_at))
        if f.kind in COUNTER_KINDS:
            for segment, period in keys:
                counters.setdefault((f.partner_id, segment, period), _Counter()).add(f)
            continue
        _counters_upsert(tenant_id, counters, now)  # what came before, first
        counters = {}
        _rows_apply(tenant_id, f, keys, now)
    if counters:
        _counters_upsert(tenant_id, counters, now)


def _facts_of_event(event: OutcomeEvent) -> EventFacts:
    lead, offer = event.lead, event.offer
    return facts_of(event_id=event.pk, partner_id=event.partner_id, kind=event.kind,
                    reason=event.reason, value=event.value, occurred_at=event.occurred_at,
                    industry=lead.industry, employees=lead.employees,
                    offered_at=offer.offered_at if offer is not None else None,
                    responded_at=offer.responded_at if offer is not None else None)


def _rows_apply(tenant_id: int, f: EventFacts, keys, now: datetime) -> None:
    # No savepoint of its own (two statements per event): inside the caller's transaction
    # an error here fails that transaction, as it would anyway; alone, this is the
    # transaction the row locks need.
    with transaction.atomic(savepoint=False):
        rows = _locked_rows(tenant_id, f.partner_id, keys)
        if len(rows) < len(keys):
            PartnerStats.objects.bulk_create(
                [PartnerStats(tenant_id=tenant_id, partner_id=f.partner_id,
                              segment=segment, period=period)
                 for segment, period in keys if (segment, period) not in rows],
                ignore_conflicts=True)
            rows = _locked_rows(tenant_id, f.partner_id, keys)
        for row in rows.values():
            _apply(row, f)
            _refresh_medians(row)
            row.updated_at = now
        _rows_update(list(rows.values()))


# Events that only add to counters: `_apply` does nothing else for them.
COUNTER_KINDS = frozenset({OutcomeKind.OFFERED, OutcomeKind.EXPIRED, OutcomeKind.RETURNED})


@dataclass
class _Counter:
    """What counter events add to one row (the same arithmetic as `_apply`)."""

    offers: int = 0
    expiries: int = 0
    returns: int = 0
    last_expired_event: int | None = None

    def add(self, f: EventFacts) -> None:
        if f.kind == OutcomeKind.OFFERED:
            self.offers += 1
        elif f.kind == OutcomeKind.EXPIRED:
            self.expiries += 1
            self.last_expired_event = f.id
        elif f.kind == OutcomeKind.RETURNED:
            self.returns += 1


def _counters_upsert(tenant_id: int, counters: dict, now: datetime) -> None:
    """One INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite alike) that creates missing
    rows and adds to existing ones. Rows go in (partner, segment, period) order, so two
    transactions lock shared rows in the same order and cannot deadlock each other.

    Thousands of rows per statement: the integers (ids and counts, all made here) are
    written as literals and the few distinct strings as named parameters, which keeps the
    driver from quoting tens of thousands of parameters."""
    if not counters:
        return
    table = connection.ops.quote_name(PartnerStats._meta.db_table)
    params: dict[str, object] = {"now": now}
    names: dict[str, str] = {}

    def named(text: str) -> str:
        if text not in names:
            names[text] = f"t{len(names)}"
            params[names[text]] = text
        return f"%({names[text]})s"

    values = []
    for (partner_id, segment, period), c in sorted(counters.items()):
        last = "NULL" if c.last_expired_event is None else int(c.last_expired_event)
        values.append(
            f"({int(tenant_id)}, {int(partner_id)}, {named(segment)}, {named(period)}, "
            f"{int(c.offers)}, 0, 0, {int(c.expiries)}, {int(c.returns)}, 0, 0, 0, '{{}}', "
            f"'{{}}', '[]', '[]', {int(c.expiries)}, {last}, %(now)s)")
    sql = (
        f"INSERT INTO {table} (tenant_id, partner_id, segment, period, offers, accepts, "
        "rejects, expiries, returns, won, lost, revenue, reject_reasons, loss_reasons, "
        "accept_durations, close_durations, expiry_streak, last_expired_event, updated_at) "
        f"VALUES {', '.join(values)} "
        "ON CONFLICT (tenant_id, partner_id, segment, period) DO UPDATE SET "
        f"offers = {table}.offers + excluded.offers, "
        f"expiries = {table}.expiries + excluded.expiries, "
        f"returns = {table}.returns + excluded.returns, "
        f"expiry_streak = {table}.expiry_streak + excluded.expiry_streak, "
        f"last_expired_event = COALESCE(excluded.last_expired_event, "
        f"{table}.last_expired_event), "
        "updated_at = excluded.updated_at")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


UPDATED_FIELDS = ["offers", "accepts", "rejects", "expiries", "returns", "won", "lost",
                  "revenue", "reject_reasons", "loss_reasons", "accept_durations",
                  "close_durations", "median_accept_seconds", "median_close_seconds",
                  "expiry_streak", "last_expired_event", "updated_at"]


def _rows_update(rows: list[PartnerStats]) -> None:
    """Write the rows' UPDATED_FIELDS back with one prepared UPDATE per row (executemany):
    `bulk_update`'s CASE expressions cost more to build than the four rows take to write."""
    fields = [PartnerStats._meta.get_field(name) for name in UPDATED_FIELDS]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(PartnerStats._meta.db_table)} SET "
           + ", ".join(f"{quote(field.column)} = %s" for field in fields) + " WHERE id = %s")
    params = [[field.get_db_prep_save(getattr(row, field.attname), connection)
               for field in fields] + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _locked_rows(tenant_id: int, partner_id: int, keys) -> dict[tuple[str, str], PartnerStats]:
    segments = {segment for segment, _ in keys}
    periods = {period for _, period in keys}
    rows = (PartnerStats.objects.select_for_update()
            .filter(tenant_id=tenant_id, partner_id=partner_id, segment__in=segments,
                    period__in=periods).order_by("id"))
    return {(r.segment, r.period): r for r in rows if (r.segment, r.period) in keys}


def events_as_facts(queryset=None):
    """Every counted event of the current tenant as facts, oldest first (streaming)."""
    queryset = queryset if queryset is not None else OutcomeEvent.objects.all()
    rows = (queryset.filter(kind__in=list(COUNTED_KINDS), partner__isnull=False)
            .order_by("occurred_at", "id")
            .values_list("id", "partner_id", "kind", "reason", "value", "occurred_at",
                         "lead__industry", "lead__employees", "offer__offered_at",
                         "offer__responded_at"))
    for (event_id, partner_id, kind, reason, value, occurred_at, industry, employees,
         offered_at, responded_at) in rows.iterator(chunk_size=5000):
        yield facts_of(event_id=event_id, partner_id=partner_id, kind=kind, reason=reason,
                       value=value, occurred_at=occurred_at, industry=industry,
                       employees=employees, offered_at=offered_at, responded_at=responded_at)


def stats_recompute(*, tenant_id: int, now: datetime | None = None) -> int:
    """Rebuild the tenant's statistics from all its events; returns the number of rows.
    Runs in the tenant's scope."""
    now = now or timezone.now()
    window_start = _window_start(tenant_id, now)
    rows: dict[tuple[int, str, str], PartnerStats] = {}
    for f in events_as_facts():
        for segment, period in _row_keys(f, window_start):
            key = (f.partner_id, segment, period)
            row = rows.get(key)
            if row is None:
                row = rows[key] = PartnerStats(tenant_id=tenant_id, partner_id=f.partner_id,
                                               segment=segment, period=period, updated_at=now,
                                               reject_reasons={}, loss_reasons={},
                                               accept_durations=[], close_durations=[])
            _apply(row, f)
    for row in rows.values():
        _refresh_medians(row)
    with transaction.atomic():
        PartnerStats.objects.filter(tenant_id=tenant_id).delete()
        PartnerStats.objects.bulk_create(rows.values(), batch_size=1000)
    return len(rows)
