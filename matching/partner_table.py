"""The tenant's partners as arrays for the engine, cached per tenant with explicit
invalidation.

Built in a constant number of queries (one per related table, never one per partner) and
kept in the Django cache. Call `partner_table_invalidate(tenant_id)` after a change to
partners, their profiles or their statistics. The load (open leads + pending offers) changes
with every offer, so routing refreshes it with two cheap aggregate queries instead of a
rebuild. Outcome statistics also age out of the cache after CACHE_SECONDS.
"""

from __future__ import annotations

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max

from feedback.models import OutcomeEvent
from leads.models import OPEN_STATUSES, Lead
from matching.engine import EventRecord, PartnerRecord, PartnerTable, segment_of
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

CACHE_SECONDS = 15 * 60
CACHE_VERSION = 1


def _cache_key(tenant_id: int) -> str:
    return f"matching:partner-table:v{CACHE_VERSION}:{tenant_id}"


def partner_table_invalidate(tenant_id: int) -> None:
    """Call after a change to partners, their load or their statistics."""
    cache.delete(_cache_key(tenant_id))


def partner_load(partner_ids=None) -> dict[int, int]:
    """Open leads (assigned, accepted or in progress) plus pending offers, per partner, in
    the current tenant scope: two aggregate queries."""
    open_leads = Lead.objects.filter(status__in=OPEN_STATUSES, assigned_partner__isnull=False)
    pending = Offer.objects.filter(status=OfferStatus.PENDING)
    if partner_ids is not None:
        open_leads = open_leads.filter(assigned_partner_id__in=partner_ids)
        pending = pending.filter(partner_id__in=partner_ids)
    load: dict[int, int] = {}
    rows = open_leads.values("assigned_partner_id").annotate(n=Count("id")).order_by()
    for row in rows:
        load[row["assigned_partner_id"]] = load.get(row["assigned_partner_id"], 0) + row["n"]
    for row in pending.values("partner_id").annotate(n=Count("id")).order_by():
        load[row["partner_id"]] = load.get(row["partner_id"], 0) + row["n"]
    return load


def _events() -> list[EventRecord]:
    """Matured outcomes that the performance model counts, with the lead's segment."""
    rows = (OutcomeEvent.objects.filter(kind__in=list(EVENT_KINDS), partner__isnull=False)
            .values_list("partner_id", "kind", "occurred_at", "lead__industry",
                         "lead__employees"))
    return [EventRecord(partner_id=pid, kind=kind, segment=segment_of(industry, employees),
                        occurred=occurred)
            for pid, kind, occurred, industry, employees in rows.iterator(chunk_size=5000)]


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
    table = PartnerTable.build(list(records.values()), _events(), levels)
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
    """The tenant's table from the cache (built on a miss or when stale). Must run in the
    tenant's scope. With `refresh_load`, the load is re-read (two queries) so capacity is
    exact."""
    key = _cache_key(tenant_id)
    stamp = _stamp()
    cached = cache.get(key)
    if cached is None or cached[0] != stamp:
        table = partner_table_build()
        cache.set(key, (stamp, table), CACHE_SECONDS)
        return table
    table = cached[1]
    if refresh_load:
        table.with_load(partner_load())
    return table
