"""Manual mode: the decision waits for a manager; one click offers it."""

from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.models import Offer
from tests.factories import lead_create, partner_create
from tests.offer_helpers import dispatch_to


def test_it_waits_for_a_manager_in_manual_mode(tenant_a):
    partner = partner_create(tenant_a)
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, [partner], mode="manual")
    with tenant_scope(tenant_a):
        assert Lead.objects.get(pk=lead.pk).status == "routing"
        assert not Offer.objects.filter(lead=lead).exists()


def test_it_offers_with_one_click_from_the_queue(client_a, tenant_a):
    partner = partner_create(tenant_a, name="Chosen One")
    lead = lead_create(tenant_a, company_name="Waiting GmbH")
    dispatch_to(tenant_a, lead, [partner], mode="manual")
    page = client_a.get(reverse("unrouted"))
    assert "Waiting GmbH" in page.text
    response = client_a.post(reverse("queue-action", args=[lead.pk]),
                             {"action": "assign", "partner": partner.pk})
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        offer = Offer.objects.get(lead=lead)
        assert offer.partner_id == partner.pk and offer.mode == "manual"
        assert Lead.objects.get(pk=lead.pk).status == "offered"


def test_it_withdraws_an_unrouted_lead(client_a, tenant_a):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, [])
    client_a.post(reverse("queue-action", args=[lead.pk]), {"action": "withdraw"})
    with tenant_scope(tenant_a):
        assert Lead.objects.get(pk=lead.pk).status == "withdrawn"


def test_it_hides_the_queue_from_strangers_and_partners(client_b, tenant_a, partner_a1):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, [])
    response = client_b.post(reverse("queue-action", args=[lead.pk]), {"action": "withdraw"})
    assert response.status_code == 404
    with tenant_scope(tenant_a):
        assert Lead.objects.get(pk=lead.pk).status == "unrouted"


def test_it_hides_the_queue_from_partner_users(partner_client_a1):
    assert partner_client_a1.get(reverse("unrouted")).status_code == 404
