"""Cascade: when the recorded candidates after the current one are full or gone, the lead is
ranked again by the engine (within the policy's attempts per lead) before it is unrouted."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer, RoutingDecision
from matching.offers import offer_reject
from matching.tasks import sweep_task
from tests.factories import lead_create
from tests.matching.routing_factories import profiled_partner
from tests.offer_helpers import dispatch_to, lead_fresh, offers_of


@pytest.fixture
def three(tenant_a):
    return [profiled_partner(tenant_a, name=f"P{i}", notification_email=f"p{i}@x.example")
            for i in range(3)]


def _fill_up(tenant, partner):
    """The partner takes one lead and has room for no more."""
    with tenant_scope(tenant):
        partner.capacity = 1
        partner.save()
    dispatch_to(tenant, lead_create(tenant, company_name="Filler"), [partner])


def _reject(tenant, lead, partner):
    with tenant_scope(tenant):
        offer = Offer.objects.get(lead=lead, partner=partner, status="pending")
        offer_reject(offer_id=offer.pk, partner_id=partner.pk, actor="t", reason="conflict")


def test_it_ranks_the_lead_again_when_the_recorded_candidates_are_full(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three[:2], max_attempts=3)  # P2 was not eligible back then
    _fill_up(tenant_a, three[1])
    _reject(tenant_a, lead, three[0])
    assert offers_of(tenant_a, lead) == [(three[0].pk, "rejected"), (three[2].pk, "pending")]
    assert lead_fresh(tenant_a, lead).status == "offered"
    with tenant_scope(tenant_a):
        newest = RoutingDecision.objects.filter(lead=lead).order_by("-created_at", "-id")[0]
        offer = Offer.objects.get(lead=lead, status="pending")
    assert offer.decision_id == newest.pk and offer.rank == 2
    assert three[0].pk not in newest.chosen and three[1].pk not in newest.chosen


def test_it_ranks_again_from_the_sweep_when_an_offer_expires(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three[:1], accept_sla_hours=1, max_attempts=3)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        sweep_task()
    offers = offers_of(tenant_a, lead)
    assert offers[0] == (three[0].pk, "expired")
    assert offers[1][1] == "pending" and offers[1][0] in (three[1].pk, three[2].pk)
    assert lead_fresh(tenant_a, lead).status == "offered"


def test_it_counts_attempts_per_lead_across_the_rankings(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three[:2], max_attempts=2)
    _fill_up(tenant_a, three[1])
    _reject(tenant_a, lead, three[0])
    assert offers_of(tenant_a, lead)[-1] == (three[2].pk, "pending")
    _reject(tenant_a, lead, three[2])  # the second attempt of two
    assert offers_of(tenant_a, lead) == [(three[0].pk, "rejected"), (three[2].pk, "rejected")]
    lead = lead_fresh(tenant_a, lead)
    assert lead.status == "unrouted" and "2 declined" in lead.status_reason


def test_it_unroutes_when_ranking_again_finds_nobody(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three[:2], max_attempts=3)
    _fill_up(tenant_a, three[1])
    _fill_up(tenant_a, three[2])
    _reject(tenant_a, lead, three[0])
    assert offers_of(tenant_a, lead) == [(three[0].pk, "rejected")]
    lead = lead_fresh(tenant_a, lead)
    assert lead.status == "unrouted" and "1 declined" in lead.status_reason
