"""The tenant's partners as arrays for the engine, cached per tenant with explicit
invalidation.

Built in a constant number of queries (one per related table, never one per partner) and
kept in the Django cache. Call `partner_table_invalidate(tenant_id)` after a change to
partners, their profiles or their tiers. The load (open leads + pending offers) changes
with every offer, so routing refreshes it with one cheap aggregate query instead of a
rebuild.

Outcome events reach a cached table incrementally: each `partner_table_get` reads only the
events recorded since its previous read (one indexed query), re-reading the last
EVENT_OVERLAP so that a transaction that committed a little late is not missed. The table is
rebuilt from all events when it is older than REBUILD_SECONDS, when a partner changes, or on
invalidation. Staleness bound (docs/matching.md): the performance factor includes every
outcome committed before the routing, except an event whose transaction took longer than
EVENT_OVERLAP to commit, which waits for the next full rebuild (≤ REBUILD_SECONDS).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone

from feedback.models import OutcomeEvent
from leads.models import OPEN_STATUSES, Lead
from matching.engine import EventRecord, PartnerRecord, PartnerTable
from matching.engine.types import EVENT_KINDS
from matching.models import Offer, OfferStatus
from partners.models import (
    Partner,
    PartnerCertification,
    PartnerCompetency,
    PartnerIndustry,
    PartnerProduct,
    PartnerStatus,
    PartnerTerritory,
    TaxonomyTerm,
    TermKind,
)

# A table is rebuilt from all events at least this often (by the clock the code reads);
# in between, new events are appended (see the module docstring).
REBUILD_SECONDS = 24 * 3600
CACHE_SECONDS = REBUILD_SECONDS
EVENT_OVERLAP = timedelta(minutes=10)
CACHE_VERSION = 3  # 3: events carry their leads' fit criteria


def _cache_key(tenant_id: int) -> str:
    return f"matching:partner-table:v{CACHE_VERSION}:{tenant_id}"


def partner_table_invalidate(tenant_id: int) -> None:
    """Call after a change to partners, their load or their statistics."""
    cache.delete(_cache_key(tenant_id))


def partner_load(partner_ids=None) -> dict[int, int]:
    """Open leads (assigned, accepted or in progress) plus pending offers, per partner, in
    the current tenant scope: one query (two aggregates in a UNION ALL)."""
    open_leads = Lead.objects.filter(status__in=OPEN_STATUSES, assigned_partner__isnull=False)
    pending = Offer.objects.filter(status=OfferStatus.PENDING)
    if partner_ids is not None:
        open_leads = open_leads.filter(assigned_partner_id__in=partner_ids)
        pending = pending.filter(partner_id__in=partner_ids)
    load: dict[int, int] = {}
    rows = (open_leads.values_list("assigned_partner_id").annotate(n=Count("id")).order_by()
            .union(pending.values_list("partner_id").annotate(n=Count("id")).order_by(),
                   all=True))
    for partner_id, n in rows:
        load[partner_id] = load.get(partner_id, 0) + n
    return load


def _counted_events():
    return OutcomeEvent.objects.filter(kind__in=list(EVENT_KINDS), partner__isnull=False)


# The lead's fields its profile (matching.routing.lead_profile) reads.
_LEAD_FIELDS = ("industry", "employees", "country", "postal_code", "latitude", "longitude",
                "deal_value", "competencies", "certifications", "products", "language")


def _events(recorded_since: datetime | None = None, ids: list[int] | None = None
            ) -> tuple[list[EventRecord], dict[int, datetime]]:
    """Matured outcomes that the performance model counts, with the lead's segment and
    profile (for the fit the skill estimate compares each outcome with; one profile per
    lead, shared by its events) — all, those recorded since `recorded_since`, or those with
    `ids` — and {id: recorded_at}."""
    rows = _counted_events()
    if recorded_since is not None:
        rows = rows.filter(recorded_at__gte=recorded_since)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    from matching.routing import lead_profile  # routing reads the table through this module

    records, recorded, profiles = [], {}, {}
    for event_id, pid, kind, occurred, at, lead_id, *lead_values in rows.values_list(
            "id", "partner_id", "kind", "occurred_at", "recorded_at", "lead_id",
            *(f"lead__{name}" for name in _LEAD_FIELDS)).iterator(chunk_size=5000):
        lead = profiles.get(lead_id)
        if lead is None:  # an unsaved Lead carrying the read fields: no query
            lead = profiles[lead_id] = lead_profile(
                Lead(pk=lead_id, **dict(zip(_LEAD_FIELDS, lead_values, strict=True))),
                excluded_partner_ids=[])
        records.append(EventRecord(partner_id=pid, kind=kind, segment=lead.segment,
                                   occurred=occurred, lead=lead))
        recorded[event_id] = at
    return records, recorded


def _events_read(table: PartnerTable, recorded: dict[int, datetime], now: datetime) -> None:
    """After a full build: remember when the table read events and the ids of those
    recorded within EVENT_OVERLAP of that: the next read starts there and skips them."""
    table.events_read_at = now
    table.events_recent = {event_id for event_id, at in recorded.items()
                           if at >= now - EVENT_OVERLAP}


def _events_catch_up(table: PartnerTable, now: datetime) -> int:
    """Append the events recorded since the table's last read; returns how many. The
    overlap is re-read as ids only (a busy tenant records thousands of events in it, and
    parsing their timestamps would cost more than the routing); whole rows are read for
    the ids not seen yet. The ids of this read are what the next one skips (they cover its
    window, which starts later)."""
    window = set(_counted_events().filter(
        recorded_at__gte=table.events_read_at - EVENT_OVERLAP).values_list("id", flat=True))
    fresh_ids = sorted(window - set(table.events_recent))
    fresh = _events(ids=fresh_ids)[0] if fresh_ids else []
    added = table.add_events(fresh) if fresh else 0
    table.events_read_at, table.events_recent = now, window
    return added


def partner_table_build() -> PartnerTable:
    """Read the current tenant's routable partners (active or paused; offboarded partners are
    not candidates at all) into a PartnerTable. A dozen queries (the stored tiers
    included), whatever the partner count."""
    partners = list(
        Partner.objects.exclude(status=PartnerStatus.OFFBOARDED).order_by("id").values_list(
            "id", "name", "status", "paused_until", "employees", "capacity", "deal_value_min",
            "deal_value_max", "level", "country", "latitude", "longitude", "languages"))
    records: dict[int, PartnerRecord] = {}
    for (pid, name, status, paused_until, employees, capacity, deal_min, deal_max, level,
         country, lat, lon, languages) in partners:
        records[pid] = PartnerRecord(
            id=pid, name=name, status=status, paused_until=paused_until,
            employees=employees or 1, capacity=capacity, deal_min=float(deal_min or 0),
            deal_max=None if deal_max is None else float(deal_max), level=level,
            country=country, latitude=lat, longitude=lon, languages=list(languages or []))

    for pid, country, prefixes, radius in PartnerTerritory.objects.values_list(
            "partner_id", "country", "postal_prefixes", "radius_km"):
        if pid in records:
            records[pid].territories.append((country, list(prefixes or []), radius))
    for pid, code in PartnerIndustry.objects.values_list(
            "partner_id", "term__code"):
        if pid in records:
            records[pid].industries.append(code)
    for pid, code, level in PartnerCompetency.objects.values_list(
            "partner_id", "term__code", "level"):
        if pid in records:
            records[pid].competencies[code] = level
    for pid, code, valid_until in PartnerCertification.objects.values_list(
            "partner_id", "term__code", "valid_until"):
        if pid in records:
            records[pid].certifications[code] = valid_until
    for pid, code, available in PartnerProduct.objects.values_list(
            "partner_id", "term__code", "available"):
        if pid in records:
            records[pid].products[code] = available
    levels = dict(TaxonomyTerm.objects.filter(kind=TermKind.CERTIFICATION)
                  .values_list("code", "level"))
    for pid, count in partner_load().items():
        if pid in records:
            records[pid].load = count
    now = timezone.now()
    events, recorded = _events()
    table = PartnerTable.build(list(records.values()), events, levels)
    table.built_at = now
    _events_read(table, recorded, now)
    _attach_feedback(table)
    return table


def _attach_feedback(table: PartnerTable) -> None:
    """The tiers the feedback loop keeps (with a manager's or a rule's promotions and
    demotions) take precedence over the engine's own estimate, and the fast-closer rule's
    boost multiplies the score. Two queries."""
    from feedback.tiers import boosts_for_tenant, tiers_for_tenant

    tiers, boosts = tiers_for_tenant(), boosts_for_tenant()
    table.stored_tier = np.array([tiers.get(int(pid), "") for pid in table.ids], dtype=object)
    table.boost = np.array([float(boosts.get(int(pid), 1.0)) for pid in table.ids])


def _stamp() -> str:
    """Changes whenever a partner row is added, removed or saved: a cached table with another
    stamp is stale even if someone forgot to invalidate (one cheap aggregate query)."""
    row = Partner.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return f"{row['n']}:{row['top']}:{row['last'].isoformat() if row['last'] else ''}"


def partner_table_get(tenant_id: int, *, refresh_load: bool = True) -> PartnerTable:
    """The tenant's table from the cache (built on a miss, when stale or older than
    REBUILD_SECONDS; otherwise brought up to date with the events recorded since). Must run
    in the tenant's scope. With `refresh_load`, the load is re-read (one query) so capacity
    is exact."""
    key = _cache_key(tenant_id)
    stamp = _stamp()
    cached = cache.get(key)
    now = timezone.now()
    if cached is None or cached[0] != stamp or now < cached[1].events_read_at \
            or (now - cached[1].built_at).total_seconds() > REBUILD_SECONDS:
        table = partner_table_build()
        cache.set(key, (stamp, table), CACHE_SECONDS)
        return table
    table = cached[1]
    if _events_catch_up(table, now):
        cache.set(key, (stamp, table), CACHE_SECONDS)
    if refresh_load:
        table.with_load(partner_load())
    return table
