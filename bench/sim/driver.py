"""Driving the real product through a simulated world.

Leads enter through `lead_ingest` (the ingestion service every channel uses), which enqueues
the real routing task (run eagerly: engine + dispatch make the offers); partners answer
through `offer_accept` / `offer_reject`; unanswered offers expire in `offers_expire_due`
(the sweep); outcomes come back through `outcome_record`. Time is a frozen clock moved by
time-machine from event to event. The baselines (random, round robin, oracle) replace only
the engine's *choice* among the partners it found eligible (`routing_seam`): eligibility,
offers, capacity and everything after stay the product's.

Needs Django set up with CELERY_TASK_ALWAYS_EAGER (the routing task runs in-process on
commit). Each run creates its own tenant.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np

from bench.sim.world import COMPETENCIES, INDUSTRIES, START, Lead, World

POLICIES = ("random", "round_robin", "rules_only", "closed_loop", "oracle")
ACTOR = "simulator"
_NO_OFFERS = object()  # an event handler's answer when the product cannot have made offers


@dataclass
class LeadRecord:
    index: int
    holder: int | None = None  # world partner index holding it at the end
    accepted_hours: float | None = None  # first acceptance, hours after arrival
    returned: int = 0
    won: bool | None = None
    won_value: float = 0.0
    p_win: float = 0.0  # true p(win) with the final holder
    offers: int = 0


@dataclass
class RunResult:
    policy: str
    world: World
    leads: list[LeadRecord]
    offers: int = 0
    expired: int = 0
    unrouted: int = 0  # leads that end in the unrouted queue (or never found a partner)
    unrouted_why: dict[str, int] = field(
        default_factory=lambda: {"exhausted": 0, "short": 0, "nobody": 0})
    offer_statuses: dict[str, int] = field(default_factory=dict)  # final status → offers
    capacity_violations: int = 0
    leads_per_partner: np.ndarray = field(default_factory=lambda: np.zeros(0))
    first_offer_hours: dict[int, float] = field(default_factory=dict)  # partner → hours
    # (estimated p_accept·p_win, true p_accept·p_win, estimated p_win, true p_win) of the
    # first offer of each decision
    calibration: list[tuple[float, float, float, float]] = field(default_factory=list)
    seconds: float = 0.0


def _hash_int(*parts) -> int:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2


class _Chooser:
    """A baseline's choice among the eligible partners (`Ranking.eligible_ids`)."""

    def __init__(self, policy: str, sim: _Simulation) -> None:
        self.policy, self.sim = policy, sim
        self.pointer = -1  # round robin: the last partner id served

    def __call__(self, lead, ranking):
        eligible = np.sort(np.asarray(ranking.eligible_ids, dtype=np.int64))
        if not len(eligible):
            return ranking
        depth = max(len(ranking.chosen), 1)
        # Routing runs on the ingest's commit, before the simulator knows the lead's pk.
        world_lead = self.sim.world.leads[int(lead.external_id.removeprefix("SIM-"))]
        if self.policy == "random":
            rng = self.sim.world.rng_for(7, world_lead.index, len(self.sim.decisions_seen))
            order = [int(i) for i in rng.permutation(eligible)[:depth]]
        elif self.policy == "round_robin":
            start = int(np.searchsorted(eligible, self.pointer, side="right"))
            order = [int(eligible[(start + k) % len(eligible)])
                     for k in range(min(depth, len(eligible)))]
            self.pointer = order[0]
        else:  # oracle: the best true expected conversion
            partners = [self.sim.world.partners[self.sim.partner_index[int(pid)]]
                        for pid in eligible]
            value = np.array([self.sim.world.p_accept(world_lead, p)
                              * self.sim.world.p_win(world_lead, p) for p in partners])
            order = [int(eligible[i]) for i in np.argsort(-value, kind="stable")[:depth]]
        return replace(ranking, order=order, chosen=order[:depth])


class _Simulation:
    def __init__(self, world: World, policy: str) -> None:
        if policy not in POLICIES:
            raise ValueError(f"unknown policy {policy!r}; one of {', '.join(POLICIES)}")
        self.world, self.policy = world, policy
        self.start = datetime.fromisoformat(START)
        self.queue: list = []
        self.seq = 0
        self.lead_index: dict[int, int] = {}  # lead pk → world index
        self.lead_pk: dict[int, int] = {}
        self.partner_index: dict[int, int] = {}  # partner pk → world index
        self.partner_pk: dict[int, int] = {}
        self.records = [LeadRecord(index=lead.index) for lead in world.leads]
        self.held = np.zeros(len(world.partners), dtype=int)
        self.leads_per_partner = np.zeros(len(world.partners), dtype=int)
        self.sweeps: set[float] = set()
        self.last_offer = 0
        self.decisions_seen: set[int] = set()
        self.result = RunResult(policy=policy, world=world, leads=self.records)

    # --- setup -------------------------------------------------------------------------

    def setup(self):
        from leadrouter.tenancy.models import Tenant
        from matching.policy import policy_current, policy_update
        from partners.models import TaxonomyTerm, TermKind

        slug = f"sim-{self.world.seed}-{self.policy}-{uuid.uuid4().hex[:8]}"
        self.tenant = Tenant.objects.create(slug=slug, name=f"Simulation {slug}")
        from leadrouter.tenancy.scoping import tenant_scope

        with tenant_scope(self.tenant):
            terms = [TaxonomyTerm(tenant=self.tenant, kind=TermKind.INDUSTRY, code=c, name=c)
                     for c in INDUSTRIES]
            terms += [TaxonomyTerm(tenant=self.tenant, kind=TermKind.COMPETENCY, code=c,
                                   name=c) for c in COMPETENCIES]
            TaxonomyTerm.objects.bulk_create(terms)
            self.terms = {(t.kind, t.code): t.pk for t in TaxonomyTerm.objects.all()}
            policy = policy_current(tenant=self.tenant)
            changes = {"accept_sla_hours": self.world.sla_hours}
            if self.policy == "rules_only":
                changes["use_performance"] = False
            policy_update(tenant=self.tenant, actor=ACTOR, changes=changes)
            del policy
            self._partners_create([p for p in self.world.partners if p.join_lead == 0])

    def _partners_create(self, partners) -> None:
        from partners.models import (
            Partner,
            PartnerCompetency,
            PartnerIndustry,
            PartnerTerritory,
            TermKind,
        )

        rows = Partner.objects.bulk_create([
            Partner(tenant=self.tenant, external_id=f"SIM-P{p.index}", name=p.name,
                    employees=p.employees, capacity=p.capacity, level=p.level, country="DE",
                    latitude=p.lat, longitude=p.lon) for p in partners])
        territories, industries, competencies = [], [], []
        for p, row in zip(partners, rows, strict=True):
            self.partner_index[row.pk], self.partner_pk[p.index] = p.index, row.pk
            for prefixes, radius in p.territories:
                territories.append(PartnerTerritory(tenant=self.tenant, partner=row,
                                                    country="DE", postal_prefixes=prefixes,
                                                    radius_km=radius))
            industries += [PartnerIndustry(tenant=self.tenant, partner=row,
                                           term_id=self.terms[(TermKind.INDUSTRY, c)])
                           for c in p.industries]
            competencies += [PartnerCompetency(tenant=self.tenant, partner=row, level=level,
                                               term_id=self.terms[(TermKind.COMPETENCY, c)])
                             for c, level in p.competencies.items()]
        PartnerTerritory.objects.bulk_create(territories)
        PartnerIndustry.objects.bulk_create(industries)
        PartnerCompetency.objects.bulk_create(competencies)

    # --- the event loop ----------------------------------------------------------------

    def push(self, hours: float, kind: str, data=None) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (hours, self.seq, kind, data))

    def run(self) -> RunResult:
        import time

        import time_machine

        from leadrouter.tenancy.scoping import tenant_scope
        from matching.routing import routing_seam

        began = time.perf_counter()
        self.setup()
        for lead in self.world.leads:
            self.push(lead.hours, "lead", lead.index)
        end = self.world.leads[-1].hours + 24 * 120 if self.world.leads else 0
        chooser = None if self.policy in ("rules_only", "closed_loop") else \
            _Chooser(self.policy, self)
        seed = lambda lead: _hash_int(self.world.seed, lead.external_id)  # noqa: E731
        with time_machine.travel(self.start, tick=False) as clock, \
                tenant_scope(self.tenant), routing_seam(seed=seed, choose=chooser):
            while self.queue:
                hours, _, kind, data = heapq.heappop(self.queue)
                if hours > end:
                    break
                clock.move_to(self.start + timedelta(hours=hours))
                if getattr(self, f"_on_{kind}")(hours, data) is not _NO_OFFERS:
                    self._scan_offers(hours)
        self._finish()
        self.result.seconds = time.perf_counter() - began
        return self.result

    def _on_lead(self, hours: float, k: int) -> None:
        from leads.services import lead_ingest

        joining = [p for p in self.world.partners if p.join_lead == k and k > 0]
        if joining:
            self._partners_create(joining)
        lead, _ = lead_ingest(tenant=self.tenant, actor=ACTOR,
                              data=self.world.lead_data(self.world.leads[k]), channel="api")
        self.lead_index[lead.pk], self.lead_pk[k] = k, lead.pk

    def _scan_offers(self, hours: float) -> None:
        """New offers made by the product since the last event: the partners' answers."""
        from matching.models import Offer

        rows = list(Offer.objects.filter(pk__gt=self.last_offer).order_by("pk").values_list(
            "pk", "lead_id", "partner_id", "expires_at", "decision_id",
            "decision__candidates"))
        for pk, lead_pk, partner_pk, expires_at, decision_id, candidates in rows:
            self.last_offer = pk
            k, j = self.lead_index[lead_pk], self.partner_index[partner_pk]
            lead, partner = self.world.leads[k], self.world.partners[j]
            record = self.records[k]
            record.offers += 1
            self.result.offers += 1
            self.result.first_offer_hours.setdefault(j, hours)
            if decision_id is not None and decision_id not in self.decisions_seen \
                    and self.policy != "rules_only":  # rules only learns nothing (p̂ = 1)
                self.decisions_seen.add(decision_id)
                self._calibration(lead, partner, partner_pk, candidates or [])
            rng = self.world.rng_for(1, k, j, record.offers)
            expiry = (expires_at - self.start).total_seconds() / 3600
            bucket = math.ceil((expiry + 1 / 60) * 4) / 4
            if bucket not in self.sweeps:
                self.sweeps.add(bucket)
                self.push(bucket, "sweep")
            if rng.random() < partner.silent:
                continue  # never answers: the sweep expires it
            delay = partner.delay_hours * rng.lognormal(0, 0.7)
            if hours + delay >= expiry:
                continue  # too late: expires first
            accepts = rng.random() < self.world.p_accept(lead, partner) / (1 - partner.silent)
            self.push(hours + delay, "answer", (pk, partner_pk, accepts))

    def _calibration(self, lead: Lead, partner, partner_pk: int, candidates: list) -> None:
        for candidate in candidates:
            if candidate.get("partner") == partner_pk:
                c = candidate.get("criteria", {})
                est_accept, est_win = c.get("p_accept"), c.get("p_win")
                if est_accept is None or est_win is None:
                    return
                true_win = self.world.p_win(lead, partner)
                self.result.calibration.append(
                    (est_accept * est_win, self.world.p_accept(lead, partner) * true_win,
                     est_win, true_win))
                return

    def _on_sweep(self, hours: float, _data) -> None:
        from matching.offers import offers_expire_due

        self.result.expired += offers_expire_due()

    def _on_answer(self, hours: float, data) -> None:
        from leadrouter.api_errors import DomainError
        from matching.offers import offer_accept, offer_reject

        offer_id, partner_pk, accepts = data
        try:
            if accepts:
                offer = offer_accept(offer_id=offer_id, partner_id=partner_pk, actor=ACTOR)
            else:
                offer_reject(offer_id=offer_id, partner_id=partner_pk, actor=ACTOR,
                             reason="no_capacity")
                return
        except DomainError:
            return  # withdrawn or expired meanwhile
        k, j = self.lead_index[offer.lead_id], self.partner_index[partner_pk]
        lead, partner = self.world.leads[k], self.world.partners[j]
        record = self.records[k]
        record.holder = j
        record.p_win = self.world.p_win(lead, partner)
        if record.accepted_hours is None:
            record.accepted_hours = hours - lead.hours
        self.held[j] += 1
        self.leads_per_partner[j] += 1
        if self.held[j] > partner.capacity:
            self.result.capacity_violations += 1
        rng = self.world.rng_for(2, k, j)
        _, competency, _, _ = self.world.fit_features(lead, partner)
        if not self.world.alike and rng.random() < 0.03 * (1 - competency):
            self.push(hours + 24 * rng.uniform(1, 4), "return", (k, j))
        else:
            self.push(hours + 24 * rng.lognormal(math.log(18), 0.5), "close", (k, j))
        return _NO_OFFERS  # an acceptance withdraws offers, it makes none

    def _on_close(self, hours: float, data) -> None:
        from feedback.services import outcome_record

        k, j = data
        lead, record = self.world.leads[k], self.records[k]
        won = self.world.rng_for(3, k).random() < record.p_win  # common random numbers
        value = Decimal(f"{lead.deal_value:.2f}") if won else None
        outcome_record(lead_id=self.lead_pk[k], partner_id=self.partner_pk[j], actor=ACTOR,
                       status="won" if won else "lost", value=value,
                       reason="" if won else "competitor")
        record.won, record.won_value = won, lead.deal_value if won else 0.0
        self.held[j] -= 1
        return _NO_OFFERS

    def _on_return(self, hours: float, data) -> None:
        from feedback.services import outcome_record

        k, j = data
        record = self.records[k]
        outcome_record(lead_id=self.lead_pk[k], partner_id=self.partner_pk[j], actor=ACTOR,
                       status="returned", reason="not_a_fit")
        record.returned += 1
        record.holder, record.p_win = None, 0.0
        self.held[j] -= 1

    def _finish(self) -> None:
        from django.db.models import Count

        from leadrouter.tenancy.scoping import tenant_scope
        from leads.models import Lead, LeadStatus
        from matching.models import Offer
        from matching.policy import policy_current

        with tenant_scope(self.tenant):
            unrouted = Lead.objects.filter(
                status__in=[LeadStatus.UNROUTED, LeadStatus.NEW, LeadStatus.ROUTING])
            self.result.unrouted = unrouted.count()
            # Why leads leak: every offer declined or let expire (the cascade used all its
            # attempts), fewer attempts (the next candidates had filled up or were paused
            # meanwhile), or nobody eligible at all.
            attempts = policy_current(tenant=self.tenant).max_attempts
            for n in unrouted.annotate(n=Count("offers")).values_list("n", flat=True):
                key = "exhausted" if n >= attempts else "short" if n else "nobody"
                self.result.unrouted_why[key] += 1
            statuses = Offer.objects.values_list("status").annotate(n=Count("id")).order_by()
            for status, n in statuses:
                self.result.offer_statuses[status] = n
        self.result.leads_per_partner = self.leads_per_partner


def run_policy(world: World, policy: str) -> RunResult:
    """Run `world` through the real product under `policy` (one of POLICIES) on a fresh
    tenant; returns what happened to every lead."""
    return _Simulation(world, policy).run()
