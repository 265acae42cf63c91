"""Routing a lead: run the engine and record the decision (the audit trail).

`lead_route` does not change the lead or make offers; dispatch turns the decision into
offers (matching/dispatch.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from leads.models import Lead
from matching.engine import LeadProfile, PartnerTable, Ranking, assign_batch, rank_lead
from matching.holdout import holdout_policy_for, holdout_running
from matching.models import (
    Offer,
    OfferStatus,
    RoutingDecision,
    RoutingHoldout,
    RoutingPolicy,
)
from matching.partner_table import partner_table_get
from matching.policy import policy_current, policy_params

# Offers in these states mean the partner has had its chance with this lead.
DECLINED_STATUSES = (OfferStatus.REJECTED, OfferStatus.EXPIRED, OfferStatus.RETURNED)


# The routing benchmark (bench/simulate.py) drives the real product and compares its policy
# with baselines (random, round robin, oracle) that choose among the partners the engine
# found eligible. It plugs them in here; the product never sets these.
_seed_source: ContextVar[Callable[[Lead], int] | None] = ContextVar("seed_source", default=None)
_chooser: ContextVar[Callable[[Lead, Ranking], Ranking] | None] = ContextVar("chooser",
                                                                             default=None)


@contextmanager
def routing_seam(*, seed: Callable[[Lead], int] | None = None,
                 choose: Callable[[Lead, Ranking], Ranking] | None = None) -> Iterator[None]:
    """For the benchmark only: draw routing seeds from `seed(lead)` (reproducible runs) and
    let `choose(lead, ranking)` replace the engine's choice among its eligible partners."""
    seed_token, choose_token = _seed_source.set(seed), _chooser.set(choose)
    try:
        yield
    finally:
        _seed_source.reset(seed_token)
        _chooser.reset(choose_token)


def _new_seed(lead: Lead | None = None) -> int:
    source = _seed_source.get()
    if source is not None and lead is not None:
        return source(lead)
    return secrets.randbits(62)


def lead_profile(lead: Lead, *, excluded_partner_ids: list[int] | None = None) -> LeadProfile:
    """The engine's view of a lead. Partners that declined it or let it expire are excluded
    (read from its offers unless given)."""
    if excluded_partner_ids is None:
        excluded_partner_ids = list(
            Offer.objects.filter(lead_id=lead.pk, status__in=DECLINED_STATUSES)
            .values_list("partner_id", flat=True)) if lead.pk else []
    return LeadProfile(
        id=lead.pk, industry=lead.industry or "", employees=lead.employees,
        country=lead.country or "", postal_code=lead.postal_code or "",
        latitude=lead.latitude, longitude=lead.longitude,
        deal_value=float(lead.deal_value) if lead.deal_value is not None else None,
        competencies=list(lead.competencies or []),
        certifications=list(lead.certifications or []),
        products=list(lead.products or []), language=lead.language or "",
        excluded_partner_ids=sorted(set(excluded_partner_ids)),
    )


def lead_rank(*, lead: Lead, policy: RoutingPolicy, seed: int, now: datetime | None = None,
              table: PartnerTable | None = None,
              excluded_partner_ids: list[int] | None = None) -> Ranking:
    """Run the engine for one lead without recording anything (used by previews)."""
    now = now or timezone.now()
    table = table if table is not None else partner_table_get(lead.tenant_id)
    ranking = rank_lead(table, lead_profile(lead, excluded_partner_ids=excluded_partner_ids),
                        policy_params(policy), seed=seed, today=timezone.localdate(now))
    chooser = _chooser.get()
    return ranking if chooser is None else chooser(lead, ranking)


def _decision(lead: Lead, policy: RoutingPolicy, ranking: Ranking, now: datetime,
              holdout=None, holdout_arm: str = "") -> RoutingDecision:
    explained = {c["partner"]: [c.get("score", 0.0), c.get("probability", 1.0)]
                 for c in ranking.candidates}
    return RoutingDecision(
        tenant_id=lead.tenant_id, lead=lead, policy=policy, created_at=now,
        seed=ranking.seed, arm=ranking.arm, candidates=ranking.candidates,
        excluded=ranking.excluded, eligible_count=ranking.eligible_count,
        chosen=ranking.chosen,
        chosen_scores=[explained.get(pid, [0.0, 1.0]) for pid in ranking.chosen],
        holdout=holdout, holdout_arm=holdout_arm)


@dataclass
class RoutingContext:
    """What routing a burst of one tenant's leads shares, read once: the partner table (its
    load kept current by the caller as offers are made), the current policy, a running A/B
    holdout, and which partners already declined each lead."""

    table: PartnerTable
    policy: RoutingPolicy
    holdout: RoutingHoldout | None
    declined: dict[int, list[int]] = field(default_factory=dict)

    def policy_for(self, lead: Lead) -> tuple[RoutingPolicy, RoutingHoldout | None, str]:
        return holdout_policy_for(lead_id=lead.pk, current=self.policy, holdout=self.holdout)

    def add_load(self, partner_ids: list[int]) -> None:
        """Offers just made count against the partners' capacity for the next leads."""
        for partner_id in partner_ids:
            i = self.table.index_of.get(int(partner_id))
            if i is not None:
                self.table.load[i] += 1


def routing_context(*, leads: list[Lead]) -> RoutingContext:
    """Read what `lead_decide` needs for these leads of one tenant (five queries, whatever
    their number)."""
    tenant = leads[0].tenant
    declined: dict[int, list[int]] = {}
    for lead_id, partner_id in Offer.objects.filter(
            lead_id__in=[lead.pk for lead in leads], status__in=DECLINED_STATUSES
    ).values_list("lead_id", "partner_id"):
        declined.setdefault(lead_id, []).append(partner_id)
    return RoutingContext(table=partner_table_get(tenant.pk), policy=policy_current(tenant=tenant),
                          holdout=holdout_running(tenant_id=tenant.pk), declined=declined)


def lead_decide(*, lead: Lead, context: RoutingContext, now: datetime,
                policy: RoutingPolicy | None = None, seed: int | None = None
                ) -> RoutingDecision:
    """Rank the partners for `lead` and return the (unsaved) decision: the policy version,
    the seed (the same seed replays the same decision), the top candidates with each
    criterion's value and contribution, exclusion counts and `chosen` — partner ids in offer
    order (up to max_attempts for cascade, broadcast_count for broadcast, the one suggestion
    for manual).

    Without an explicit `policy`, a running A/B holdout (matching/holdout.py) may route the
    lead with its second policy; the decision is tagged with the arm."""
    holdout, holdout_arm = None, ""
    if policy is None:
        policy, holdout, holdout_arm = context.policy_for(lead)
    seed = _new_seed(lead) if seed is None else seed
    ranking = lead_rank(lead=lead, policy=policy, seed=seed, now=now, table=context.table,
                        excluded_partner_ids=context.declined.get(lead.pk, []))
    return _decision(lead, policy, ranking, now, holdout, holdout_arm)


def lead_route(*, lead: Lead, policy: RoutingPolicy | None = None, seed: int | None = None,
               now: datetime | None = None) -> RoutingDecision:
    """Decide for one lead (`lead_decide`) and record the decision. Leaves the lead and its
    offers as they are."""
    now = now or timezone.now()
    decision = lead_decide(lead=lead, context=routing_context(leads=[lead]), now=now,
                           policy=policy, seed=seed)
    decision.save()
    return decision


def leads_route_batch(*, leads: list[Lead], seed: int | None = None,
                      now: datetime | None = None) -> list[RoutingDecision]:
    """Route many leads of one tenant jointly under the partners' capacities (the engine's
    assign_batch) and record one decision per lead; `chosen[0]` is the lead's assignment."""
    if not leads:
        return []
    tenant_ids = {lead.tenant_id for lead in leads}
    if len(tenant_ids) != 1:
        raise ValueError("leads_route_batch routes the leads of one tenant at a time")
    now = now or timezone.now()
    seed = _new_seed() if seed is None else seed
    policy = policy_current(tenant=leads[0].tenant)
    declined: dict[int, list[int]] = {}
    for lead_id, partner_id in Offer.objects.filter(
            lead_id__in=[lead.pk for lead in leads], status__in=DECLINED_STATUSES
    ).values_list("lead_id", "partner_id"):
        declined.setdefault(lead_id, []).append(partner_id)
    profiles = [lead_profile(lead, excluded_partner_ids=declined.get(lead.pk, []))
                for lead in leads]
    table = partner_table_get(leads[0].tenant_id)
    result = assign_batch(table, profiles, policy_params(policy), seed=seed,
                          today=timezone.localdate(now))
    decisions = [_decision(lead, policy, ranking, now)
                 for lead, ranking in zip(leads, result.rankings, strict=True)]
    with transaction.atomic():
        return RoutingDecision.objects.bulk_create(decisions)


def policies_preview(*, lead: Lead, policies: list[RoutingPolicy], top: int = 5,
                     now: datetime | None = None) -> list[Ranking]:
    """The top `top` partners for `lead` under each policy (saved or draft), ranked by score
    alone — no exploration draw, nothing recorded — so a manager sees what the settings do."""
    now = now or timezone.now()
    table = partner_table_get(lead.tenant_id)
    profile = lead_profile(lead)
    return [rank_lead(table, profile,
                      replace(policy_params(policy), exploration="greedy",
                              exploration_rate=0.0, keep_top=top),
                      seed=0, today=timezone.localdate(now))
            for policy in policies]
