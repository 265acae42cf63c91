"""lead_route: the engine run for a stored lead, recorded as a decision."""

from datetime import date, timedelta

from django.utils import timezone

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.dispatch import lead_route_and_dispatch
from matching.models import Offer, RoutingDecision
from matching.routing import lead_route
from tests.factories import lead_create, partner_create
from tests.matching.routing_factories import profiled_partner


def _route(tenant, lead, **kwargs) -> RoutingDecision:
    with tenant_scope(tenant):
        return lead_route(lead=Lead.objects.get(pk=lead.pk), **kwargs)


def _munich_shop(tenant, name, **fields):
    defaults = {"territories": [("DE", ["80", "81"], None)], "industries": ["C28"],
                "competencies": {"cnc": 3}, "certifications": {"iso": None}}
    defaults.update(fields)
    return profiled_partner(tenant, name=name, **defaults)


def test_it_records_a_decision_whose_explanation_matches_the_lead(tenant_a):
    fit = _munich_shop(tenant_a, "Fit")
    _munich_shop(tenant_a, "Berlin", territories=[("DE", ["1"], None)])
    _munich_shop(tenant_a, "Lapsed", certifications={"iso": date(2020, 1, 1)})
    weaker = _munich_shop(tenant_a, "Weaker", industries=["C10"], competencies={"cnc": 1})
    lead = lead_create(tenant_a, industry="C28.1", competencies=["cnc"],
                       certifications=["iso"], postal_code="80331")

    decision = _route(tenant_a, lead)

    assert decision.policy.version == 1
    assert decision.excluded == {"territory": 1, "certification": 1}
    assert decision.eligible_count == 2
    assert decision.chosen == [fit.pk, weaker.pk]
    best, second = decision.candidates
    assert best["name"] == "Fit" and best["criteria"]["industry"] == 1.0
    assert best["criteria"]["competency"] == 1.0
    assert second["criteria"]["industry"] == 0.5
    assert second["criteria"]["competency"] < 0.5
    assert best["score"] > second["score"]


def test_it_leaves_the_lead_and_its_offers_alone(tenant_a):
    partner_create(tenant_a)
    lead = lead_create(tenant_a)
    _route(tenant_a, lead)
    with tenant_scope(tenant_a):
        assert Lead.objects.get(pk=lead.pk).status == "new"
        assert not Offer.objects.exists()


def test_it_excludes_partners_that_declined_the_lead(tenant_a):
    first, second = partner_create(tenant_a, name="A"), partner_create(tenant_a, name="B")
    lead = lead_create(tenant_a)
    with tenant_scope(tenant_a):
        Offer.objects.create(tenant=tenant_a, lead=lead, partner=first, status="rejected",
                             expires_at=timezone.now())
    decision = _route(tenant_a, lead)
    assert decision.chosen == [second.pk] and decision.excluded == {"declined": 1}


def test_it_counts_pending_offers_and_open_leads_against_capacity(tenant_a):
    busy = partner_create(tenant_a, name="Busy", capacity=2)
    free = partner_create(tenant_a, name="Free", capacity=2)
    other = lead_create(tenant_a, status="accepted", assigned_partner=busy)
    with tenant_scope(tenant_a):
        Offer.objects.create(tenant=tenant_a, lead=lead_create(tenant_a), partner=busy,
                             expires_at=timezone.now() + timedelta(hours=1))
    assert other.assigned_partner_id == busy.pk
    decision = _route(tenant_a, lead_create(tenant_a))
    assert decision.chosen == [free.pk] and decision.excluded == {"capacity": 1}


def test_it_replays_a_decision_from_its_seed(tenant_a):
    for i in range(5):
        partner_create(tenant_a, name=f"P{i}")
    lead = lead_create(tenant_a)
    first = _route(tenant_a, lead, seed=7)
    again = _route(tenant_a, lead, seed=7)
    assert first.seed == again.seed == 7
    assert (first.chosen, first.candidates) == (again.chosen, again.candidates)


def test_it_says_why_nobody_was_eligible(tenant_a):
    partner_create(tenant_a, country="AT")
    partner_create(tenant_a, status="paused")
    decision = _route(tenant_a, lead_create(tenant_a))
    assert decision.chosen == [] and decision.candidates == []
    assert decision.excluded == {"territory": 1, "status": 1}


def test_it_routes_only_a_new_lead(tenant_a):
    partner_create(tenant_a)
    offered = lead_create(tenant_a, status="offered")
    fresh = lead_create(tenant_a)
    with tenant_scope(tenant_a):
        lead_route_and_dispatch(lead_id=offered.pk)
        lead_route_and_dispatch(lead_id=fresh.pk)
        lead_route_and_dispatch(lead_id=fresh.pk)  # again: it is no longer new
        assert list(RoutingDecision.objects.values_list("lead_id", flat=True)) == [fresh.pk]


def test_it_sees_only_its_own_tenants_partners(tenant_a, tenant_b):
    mine = partner_create(tenant_a)
    partner_create(tenant_b)
    decision = _route(tenant_a, lead_create(tenant_a))
    assert decision.chosen == [mine.pk] and decision.eligible_count == 1
