"""A partner sees contact data only while it holds the lead: not after it returned the lead,
nor once the lead went to another partner."""

import pytest

from feedback.services import outcome_record
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.models import Offer
from matching.offers import lead_assign_manually, offer_accept
from matching.selectors import contact_visible_to
from tests.offer_helpers import dispatch_to
from tests.privacy.conftest import EMAIL


@pytest.fixture
def accepted_by_a1(tenant_a, partner_a1, partner_a2):
    from tests.factories import lead_create

    lead = lead_create(tenant_a, status="new")
    dispatch_to(tenant_a, lead, [partner_a1])
    with tenant_scope(tenant_a):
        offer = Offer.objects.get(lead=lead, partner=partner_a1)
        offer_accept(offer_id=offer.pk, partner_id=partner_a1.pk, actor="sales@alpha.example")
        return Lead.objects.get(pk=lead.pk)


def _return(tenant, lead, partner):
    with tenant_scope(tenant):
        outcome_record(lead_id=lead.pk, partner_id=partner.pk, actor="sales@alpha.example",
                       status="returned", reason="", note="no capacity")
        return Lead.objects.get(pk=lead.pk)


def test_it_shows_the_contact_while_the_partner_holds_the_lead(partner_api_a1, partner_a1,
                                                                accepted_by_a1):
    assert contact_visible_to(lead=accepted_by_a1, partner_id=partner_a1.pk)
    body = partner_api_a1.get(f"/api/v1/leads/{accepted_by_a1.pk}/").json()
    assert body["contact_email"] == EMAIL


def test_it_hides_the_contact_after_the_partner_returned_the_lead(
        partner_api_a1, partner_client_a1, tenant_a, partner_a1, accepted_by_a1):
    lead = _return(tenant_a, accepted_by_a1, partner_a1)
    assert not contact_visible_to(lead=lead, partner_id=partner_a1.pk)
    body = partner_api_a1.get(f"/api/v1/leads/{lead.pk}/").json()
    assert (body["contact_name"], body["contact_email"], body["contact_phone"]) == \
        (None, None, None)
    assert partner_client_a1.get(f"/portal/leads/{lead.pk}/").status_code == 404


def test_it_hides_the_contact_once_the_lead_is_reassigned(
        partner_api_a1, partner_client_a1, tenant_a, partner_a1, partner_a2, accepted_by_a1):
    lead = _return(tenant_a, accepted_by_a1, partner_a1)
    with tenant_scope(tenant_a):
        Lead.objects.filter(pk=lead.pk).update(status="unrouted")
        offer = lead_assign_manually(lead_id=lead.pk, partner_id=partner_a2.pk,
                                     actor="manager@acme.example")
        offer_accept(offer_id=offer.pk, partner_id=partner_a2.pk, actor="sales@beta.example")
        lead = Lead.objects.get(pk=lead.pk)
    assert lead.assigned_partner_id == partner_a2.pk
    assert not contact_visible_to(lead=lead, partner_id=partner_a1.pk)
    assert contact_visible_to(lead=lead, partner_id=partner_a2.pk)
    body = partner_api_a1.get(f"/api/v1/leads/{lead.pk}/").json()
    assert body["contact_email"] is None
    assert partner_client_a1.get(f"/portal/leads/{lead.pk}/").status_code == 404
