"""Cascade: one exclusive offer at a time; on reject or expiry the next; then unrouted."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from feedback.models import OutcomeEvent
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.models import Offer
from matching.offers import offer_accept, offer_reject
from matching.tasks import sweep_task
from tests.factories import lead_create, partner_create
from tests.offer_helpers import dispatch_to, lead_fresh, offers_of


@pytest.fixture
def three(tenant_a):
    return [partner_create(tenant_a, name=f"P{i}", notification_email=f"p{i}@x.example")
            for i in range(3)]


def test_it_offers_to_the_best_partner_only(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three)
    assert offers_of(tenant_a, lead) == [(three[0].pk, "pending")]
    assert lead_fresh(tenant_a, lead).status == "offered"


def test_it_cascades_through_three_partners_by_rejects(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three, max_attempts=3)
    for partner in three:
        with tenant_scope(tenant_a):
            offer = Offer.objects.get(lead=lead, partner=partner, status="pending")
            offer_reject(offer_id=offer.pk, partner_id=partner.pk, actor="test",
                         reason="no_capacity")
    assert [s for _, s in offers_of(tenant_a, lead)] == ["rejected"] * 3
    lead = lead_fresh(tenant_a, lead)
    assert lead.status == "unrouted"
    assert "3 declined" in lead.status_reason


def test_it_cascades_by_expiry_when_the_sweep_runs(tenant_a, three, settings):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three, accept_sla_hours=24, max_attempts=3)
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        sweep_task()
        assert offers_of(tenant_a, lead) == [(three[0].pk, "expired"), (three[1].pk, "pending")]
    with time_machine.travel(timezone.now() + timedelta(hours=50), tick=False):
        sweep_task()
    with time_machine.travel(timezone.now() + timedelta(hours=75), tick=False):
        sweep_task()
    assert [s for _, s in offers_of(tenant_a, lead)] == ["expired"] * 3
    assert lead_fresh(tenant_a, lead).status == "unrouted"


def test_it_stops_after_max_attempts(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three, max_attempts=1)
    with tenant_scope(tenant_a):
        offer = Offer.objects.get(lead=lead)
        offer_reject(offer_id=offer.pk, partner_id=three[0].pk, actor="t", reason="too_small")
    assert len(offers_of(tenant_a, lead)) == 1
    assert lead_fresh(tenant_a, lead).status == "unrouted"


def test_it_accepts_and_assigns_the_lead(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three)
    with tenant_scope(tenant_a):
        offer = Offer.objects.get(lead=lead)
        offer_accept(offer_id=offer.pk, partner_id=three[0].pk, actor="t")
        lead = Lead.objects.get(pk=lead.pk)
        kinds = list(OutcomeEvent.objects.filter(lead=lead).values_list("kind", flat=True))
    assert lead.status == "accepted" and lead.assigned_partner_id == three[0].pk
    assert kinds == ["offered", "accepted"]


def test_it_refuses_an_accept_after_the_deadline_even_before_the_sweep(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three, accept_sla_hours=1)
    with tenant_scope(tenant_a):
        offer = Offer.objects.get(lead=lead)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        with tenant_scope(tenant_a), pytest.raises(DomainError, match="expired"):
            offer_accept(offer_id=offer.pk, partner_id=three[0].pk, actor="t")
        sweep_task()
    assert offers_of(tenant_a, lead)[0] == (three[0].pk, "expired")
    assert lead_fresh(tenant_a, lead).assigned_partner_id is None


def test_it_refuses_to_reject_without_a_reason(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three)
    with tenant_scope(tenant_a):
        offer = Offer.objects.get(lead=lead)
        with pytest.raises(DomainError) as error:
            offer_reject(offer_id=offer.pk, partner_id=three[0].pk, actor="t", reason="")
    assert "reason" in error.value.fields


def test_it_marks_a_lead_nobody_fits_as_unrouted_with_the_reason(
        tenant_a, mailoutbox, manager_a, django_capture_on_commit_callbacks):
    lead = lead_create(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_to(tenant_a, lead, [])
    lead = lead_fresh(tenant_a, lead)
    assert lead.status == "unrouted"
    assert "4 outside territory" in lead.status_reason
    assert [m.to for m in mailoutbox] == [["manager@acme.example"]]
    assert "could not be routed" in mailoutbox[0].subject


def test_it_runs_the_sweep_twice_without_changing_anything_more(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three, accept_sla_hours=1)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        sweep_task()
        first = offers_of(tenant_a, lead)
        sweep_task()
        assert offers_of(tenant_a, lead) == first


def test_it_resumes_a_partner_whose_vacation_ended(tenant_a):
    from datetime import date

    from partners.models import Partner

    partner = partner_create(tenant_a, status="paused", paused_until=date(2026, 12, 24))
    with time_machine.travel("2026-12-24 18:00 +01:00", tick=False):
        sweep_task()
        with tenant_scope(tenant_a):
            assert Partner.objects.get(pk=partner.pk).status == "paused"  # paused through the 24th
    with time_machine.travel("2026-12-25 09:00 +01:00", tick=False):
        sweep_task()
    with tenant_scope(tenant_a):
        partner = Partner.objects.get(pk=partner.pk)
    assert partner.status == "active" and partner.paused_until is None


def test_it_skips_a_next_candidate_that_filled_up_since_the_decision(tenant_a, three):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, three, max_attempts=3)
    with tenant_scope(tenant_a):
        three[1].capacity = 1
        three[1].save()
    other = lead_create(tenant_a, company_name="Filler")
    dispatch_to(tenant_a, other, [three[1]])  # partner 1 is now at capacity (1 pending)
    with tenant_scope(tenant_a):
        offer = Offer.objects.get(lead=lead)
        offer_reject(offer_id=offer.pk, partner_id=three[0].pk, actor="t", reason="conflict")
    assert offers_of(tenant_a, lead) == [(three[0].pk, "rejected"), (three[2].pk, "pending")]
