"""GDPR access request: everything held about a lead's contact, as JSON."""

import json

from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from tests.factories import lead_create
from tests.privacy.conftest import EMAIL, NAME, NOTES


def test_it_exports_the_lead_with_its_offers_events_and_audit_entries(api_a, history):
    response = api_a.get(f"/api/v1/leads/{history.lead.pk}/export/")
    assert response.status_code == 200
    body = response.json()
    assert body["lead"]["id"] == history.lead.pk
    assert (body["lead"]["contact_name"], body["lead"]["contact_email"],
            body["lead"]["notes"]) == (NAME, EMAIL, NOTES)
    assert (body["lead"]["consent"], body["lead"]["source"]) == (True, "fair-2026")
    assert {o["id"] for o in body["offers"]} == {history.rejected.pk, history.accepted.pk}
    kinds = [event["kind"] for event in body["events"]]
    assert {"offered", "rejected", "accepted", "won"} <= set(kinds)
    actions = {entry["action"] for entry in body["audit"]}
    assert {"lead.received", "offer.accepted", "offer.rejected", "lead.won",
            "lead.note"} <= actions


def test_it_lists_other_leads_of_the_same_contact(api_a, tenant_a, history):
    other = lead_create(tenant_a, company_name="Second GmbH", contact_email=EMAIL)
    lead_create(tenant_a, company_name="Stranger AG", contact_email="someone@else.example")
    body = api_a.get(f"/api/v1/leads/{history.lead.pk}/export/").json()
    assert body["same_contact_leads"] == [other.pk]


def test_it_audits_the_export(api_a, tenant_a, history):
    api_a.get(f"/api/v1/leads/{history.lead.pk}/export/")
    with tenant_scope(tenant_a):
        entry = AuditEvent.objects.filter(action="lead.exported").get()
    assert (entry.target_id, entry.actor) == (str(history.lead.pk),
                                              f"api-key:{api_a.api_key.prefix}")


def test_it_downloads_the_export_from_the_manager_page(client_a, history):
    page = client_a.get(f"/leads/{history.lead.pk}/privacy/")
    assert page.status_code == 200
    assert f"/leads/{history.lead.pk}/privacy/export/" in page.content.decode()
    response = client_a.get(f"/leads/{history.lead.pk}/privacy/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.content)["lead"]["contact_email"] == EMAIL
