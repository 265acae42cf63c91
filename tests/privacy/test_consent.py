"""Consent and source are recorded on the lead as the CRM sends them."""

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from tests.privacy.conftest import lead_payload


def test_it_records_consent_and_source_from_the_api(api_a, tenant_a):
    response = api_a.post("/api/v1/leads/", lead_payload(consent=True, source="fair-2026"),
                          format="json")
    assert response.status_code == 201
    assert (response.json()["consent"], response.json()["source"]) == (True, "fair-2026")
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(pk=response.json()["id"])
    assert (lead.consent, lead.source) == (True, "fair-2026")


def test_it_records_no_consent_when_none_is_sent(api_a, tenant_a):
    payload = lead_payload()
    del payload["consent"]
    response = api_a.post("/api/v1/leads/", payload, format="json")
    assert response.json()["consent"] is False
