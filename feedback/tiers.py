"""Tiers from the posterior conversion, and what routing reads of them.

The posterior is the matching engine's own (`matching.engine.performance.partner_performance`):
conversion = p(accept) · p(win | accepted), each a Beta posterior with the empirical-Bayes
prior from the tenant-wide rate, strength and half-life from the routing policy. Only the
thresholds are the tenant's feedback settings:

    tier = new       if closed < N (default 5)
           high      if conversion ≥ high (default 15 %)
           weak      if conversion < weak (default 5 %)
           moderate  otherwise
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from feedback.models import OutcomeEvent, PartnerTier, Tier, TierChange
from feedback.tenant_settings import feedback_settings_get
from matching.engine.performance import partner_performance
from matching.engine.types import EVENT_KINDS, EventRecord, PartnerRecord, PartnerTable, segment_of
from partners.models import Partner, PartnerStatus


def tier_for(*, conversion: float, closed: int, high: float, weak: float,
             min_closed: int) -> str:
    """The thresholds alone (same comparisons as the engine's partner_performance)."""
    if closed < min_closed:
        return Tier.NEW
    if conversion >= high:
        return Tier.HIGH
    if conversion < weak:
        return Tier.WEAK
    return Tier.MODERATE


def partner_tier(partner_id: int) -> str:
    """The tier routing uses for one partner (current tenant scope); `new` if none yet."""
    return (PartnerTier.objects.filter(partner_id=partner_id).values_list("tier", flat=True)
            .first() or Tier.NEW)


def tiers_for_tenant() -> dict[int, str]:
    """{partner_id: tier} of the current tenant, one query. Partners missing are `new`."""
    return dict(PartnerTier.objects.values_list("partner_id", "tier"))


def boosts_for_tenant() -> dict[int, float]:
    """{partner_id: extra score multiplier} set by the fast-closer rule (absent = 1.0)."""
    return dict(PartnerTier.objects.exclude(boost=1.0).values_list("partner_id", "boost"))


def _policy_params(tenant_id: int):
    from leadrouter.tenancy.models import Tenant
    from matching.policy import policy_current, policy_params

    settings = feedback_settings_get(tenant=tenant_id)
    params = policy_params(policy_current(tenant=Tenant.objects.get(pk=tenant_id)))
    return dataclasses.replace(params, tier_high=settings.tier_high, tier_weak=settings.tier_weak,
                               exploration_min_closed=settings.new_min_closed)


def posteriors_compute(*, tenant_id: int, now: datetime | None = None
                       ) -> dict[int, tuple[float, int, str]]:
    """{partner_id: (posterior conversion, closed leads, computed tier)} for the tenant's
    partners (offboarded ones excluded), via the engine's pure function."""
    now = now or timezone.now()
    params = _policy_params(tenant_id)
    ids = list(Partner.objects.exclude(status=PartnerStatus.OFFBOARDED).order_by("id")
               .values_list("id", flat=True))
    rows = (OutcomeEvent.objects.filter(kind__in=list(EVENT_KINDS), partner_id__in=ids)
            .values_list("partner_id", "kind", "occurred_at", "lead__industry",
                         "lead__employees"))
    events = [EventRecord(partner_id=pid, kind=kind, segment=segment_of(ind or "", emp),
                          occurred=occurred)
              for pid, kind, occurred, ind, emp in rows.iterator(chunk_size=5000)]
    table = PartnerTable.build([PartnerRecord(id=pid) for pid in ids], events)
    perf = partner_performance(table, params, timezone.localdate(now).toordinal())
    return {int(pid): (float(perf.conversion[i]), int(perf.closed[i]), str(perf.tier[i]))
            for i, pid in enumerate(table.ids)}


def tiers_recompute(*, tenant_id: int, now: datetime | None = None) -> int:
    """Store every partner's posterior and computed tier (the routing tier moves only by the
    promote/demote rule or a manager); returns how many computed tiers changed."""
    now = now or timezone.now()
    computed = posteriors_compute(tenant_id=tenant_id, now=now)
    changed = 0
    with transaction.atomic():
        existing = {t.partner_id: t for t in PartnerTier.objects.select_for_update()}
        new_rows, updated = [], []
        for pid, (posterior, closed, tier) in computed.items():
            row = existing.get(pid)
            if row is None:
                new_rows.append(PartnerTier(tenant_id=tenant_id, partner_id=pid, tier=Tier.NEW,
                                            computed=tier, posterior=posterior, closed=closed,
                                            computed_at=now))
                changed += tier != Tier.NEW
                continue
            changed += row.computed != tier
            row.computed, row.posterior, row.closed, row.computed_at = tier, posterior, closed, now
            updated.append(row)
        PartnerTier.objects.bulk_create(new_rows, batch_size=1000)
        PartnerTier.objects.bulk_update(updated, ["computed", "posterior", "closed",
                                                  "computed_at"], batch_size=1000)
    return changed


def tier_set(*, tier_state: PartnerTier, to_tier: str, source: str, actor_label: str) -> None:
    """Move the routing tier and write the history (inside the caller's transaction)."""
    if tier_state.tier == to_tier:
        return
    TierChange.objects.create(tenant_id=tier_state.tenant_id, partner_id=tier_state.partner_id,
                              from_tier=tier_state.tier, to_tier=to_tier,
                              posterior=tier_state.posterior, closed=tier_state.closed,
                              source=source, actor=actor_label)
    tier_state.tier = to_tier
    tier_state.save(update_fields=["tier"])
