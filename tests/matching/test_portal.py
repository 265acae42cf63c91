"""The partner portal: offers without contact data, accept, see contact data, report."""

from django.urls import reverse

from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.models import Offer
from tests.factories import lead_create
from tests.offer_helpers import dispatch_to

CONTACT = ("Erika Mustermann", "erika@kunde.example", "+49 89 1234567")


def _offered(tenant, partner, **lead_fields):
    lead = lead_create(tenant, industry="C28", products=["X5"], **lead_fields)
    dispatch_to(tenant, lead, [partner])
    with tenant_scope(tenant):
        return lead, Offer.objects.get(lead=lead)


def test_it_shows_an_offer_without_contact_data(partner_client_a1, tenant_a, partner_a1):
    lead, offer = _offered(tenant_a, partner_a1)
    page = partner_client_a1.get(reverse("portal")).text
    assert "C28" in page and "X5" in page and "50–249 employees" in page
    assert "80… München" in page
    for secret in (*CONTACT, "Kunde GmbH"):
        assert secret not in page
    detail = partner_client_a1.get(reverse("portal-offer", args=[offer.pk])).text
    assert all(secret not in detail for secret in CONTACT)


def test_it_refreshes_the_offer_list_with_htmx(partner_client_a1, tenant_a, partner_a1):
    _offered(tenant_a, partner_a1)
    response = partner_client_a1.get(reverse("portal"), HTTP_HX_REQUEST="true")
    assert response.text.lstrip().startswith('<div id="offer-list"')
    assert "<html" not in response.text


def test_it_shows_contact_data_after_accepting_and_audits_the_reveal(
        partner_client_a1, tenant_a, partner_a1):
    lead, offer = _offered(tenant_a, partner_a1)
    response = partner_client_a1.post(reverse("portal-offer-accept", args=[offer.pk]),
                                      follow=True)
    assert all(secret in response.text for secret in CONTACT)
    with tenant_scope(tenant_a):
        assert AuditEvent.objects.filter(action="lead.contact_revealed",
                                         target_id=str(lead.pk)).exists()


def test_it_declines_with_a_reason(partner_client_a1, tenant_a, partner_a1):
    lead, offer = _offered(tenant_a, partner_a1)
    partner_client_a1.post(reverse("portal-offer-reject", args=[offer.pk]),
                           {"reason": "too_large", "note": "Zu groß für uns"})
    with tenant_scope(tenant_a):
        offer.refresh_from_db()
    assert offer.status == "rejected" and offer.reject_reason == "too_large"
    assert offer.reject_note == "Zu groß für uns"


def test_it_reports_won_with_a_value(partner_client_a1, tenant_a, partner_a1):
    lead, offer = _offered(tenant_a, partner_a1)
    partner_client_a1.post(reverse("portal-offer-accept", args=[offer.pk]))
    partner_client_a1.post(reverse("portal-lead-outcome", args=[lead.pk]),
                           {"status": "contacted"})
    response = partner_client_a1.post(reverse("portal-lead-outcome", args=[lead.pk]),
                                      {"status": "won", "value": "48.500,00".replace(".", "")},
                                      follow=True)
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == "won" and str(lead.deal_value) == "48500.00"
    assert "This lead is closed" in response.text


def test_it_refuses_won_after_lost(partner_client_a1, tenant_a, partner_a1):
    lead, offer = _offered(tenant_a, partner_a1)
    partner_client_a1.post(reverse("portal-offer-accept", args=[offer.pk]))
    partner_client_a1.post(reverse("portal-lead-outcome", args=[lead.pk]),
                           {"status": "lost", "reason": "price"})
    response = partner_client_a1.post(reverse("portal-lead-outcome", args=[lead.pk]),
                                      {"status": "won", "value": "100"}, follow=True)
    assert "The lead is lost" in response.text
    with tenant_scope(tenant_a):
        assert Lead.objects.get(pk=lead.pk).status == "lost"


def test_it_returns_a_lead_and_loses_the_contact_data(partner_client_a1, tenant_a,
                                                      partner_a1):
    lead, offer = _offered(tenant_a, partner_a1)
    partner_client_a1.post(reverse("portal-offer-accept", args=[offer.pk]))
    partner_client_a1.post(reverse("portal-lead-outcome", args=[lead.pk]),
                           {"status": "returned", "note": "Kunde schon bei uns"})
    assert partner_client_a1.get(reverse("portal-lead", args=[lead.pk])).status_code == 404
    with tenant_scope(tenant_a):
        offer.refresh_from_db()
        assert offer.status == "returned"
        assert Lead.objects.get(pk=lead.pk).assigned_partner_id is None


def test_it_hides_another_partners_offer(client, partner_user_a2, tenant_a, partner_a1):
    lead, offer = _offered(tenant_a, partner_a1)
    client.force_login(partner_user_a2)
    assert client.get(reverse("portal-offer", args=[offer.pk])).status_code == 404
    assert client.post(reverse("portal-offer-accept", args=[offer.pk])).status_code == 404
    assert "C28" not in client.get(reverse("portal")).text


def test_it_hides_offers_from_the_stranger_tenant(client_b, tenant_a, partner_a1):
    lead, offer = _offered(tenant_a, partner_a1)
    for name in ("portal-offer", "portal-offer-accept", "portal-offer-reject"):
        method = client_b.get if name == "portal-offer" else client_b.post
        assert method(reverse(name, args=[offer.pk])).status_code == 404
    assert client_b.get(reverse("portal-lead", args=[lead.pk])).status_code == 404


def test_it_keeps_managers_out_of_the_portal(client_a):
    assert client_a.get(reverse("portal")).status_code == 404


def test_it_sends_an_offer_email_without_contact_data(tenant_a, partner_a1, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lead, offer = _offered(tenant_a, partner_a1)
    assert [m.to for m in mailoutbox] == [["offers@alpha.example"]]
    message = mailoutbox[0]
    bodies = message.body + message.alternatives[0][0]
    assert f"/portal/offers/{offer.pk}/" in bodies
    assert all(secret not in bodies for secret in (*CONTACT, "Kunde GmbH"))
