"""GDPR erasure: personal data gone from the lead and every copy; statistics kept."""

import json

from feedback.models import OutcomeEvent, PartnerStats
from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import IdempotencyRecord, ImportJob, Lead
from leads.privacy import ERASED, lead_erase
from matching.models import Offer, WebhookDelivery
from tests.privacy.conftest import COMPANY, EMAIL, PII, lead_payload


def _everything_stored(tenant) -> str:
    """Every row that could hold a copy, as one text to search."""
    with tenant_scope(tenant):
        rows = [
            list(Lead.objects.values()), list(Offer.objects.values()),
            list(OutcomeEvent.objects.values()), list(AuditEvent.objects.values()),
            list(WebhookDelivery.objects.values()), list(IdempotencyRecord.objects.values()),
            list(ImportJob.objects.values()),
        ]
    return json.dumps(rows, default=str, ensure_ascii=False).lower()


def test_it_erases_the_personal_data_on_the_lead(api_a, tenant_a, history):
    response = api_a.post(f"/api/v1/leads/{history.lead.pk}/erase/")
    assert response.status_code == 200
    assert response.json()["id"] == history.lead.pk
    assert response.json()["anonymised_at"]
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(pk=history.lead.pk)
    assert (lead.contact_name, lead.contact_email, lead.contact_phone, lead.notes,
            lead.company_name) == (ERASED,) * 5
    assert lead.anonymised_at is not None


def test_it_erases_every_copy(api_a, tenant_a, history):
    assert all(value.lower() in _everything_stored(tenant_a) for value in PII)
    body = api_a.post(f"/api/v1/leads/{history.lead.pk}/erase/").json()
    stored = _everything_stored(tenant_a)
    for value in PII:
        assert value.lower() not in stored, value
    assert body["erased"]["webhook_deliveries"] == 1
    assert body["erased"]["idempotency_records"] == 1
    assert body["erased"]["import_jobs"] == 1
    with tenant_scope(tenant_a):  # the other row of the import is untouched
        assert "other@example.com" in ImportJob.objects.get().content


def test_it_keeps_the_statistics(api_a, tenant_a, history):
    with tenant_scope(tenant_a):
        events_before = list(OutcomeEvent.objects.order_by("id")
                             .values_list("kind", "partner_id", "value", "occurred_at"))
        stats_before = list(PartnerStats.objects.order_by("id").values())
    api_a.post(f"/api/v1/leads/{history.lead.pk}/erase/")
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(pk=history.lead.pk)
        assert list(OutcomeEvent.objects.order_by("id").values_list(
            "kind", "partner_id", "value", "occurred_at")) == events_before
        assert list(PartnerStats.objects.order_by("id").values()) == stats_before
        assert set(Offer.objects.filter(lead=lead).values_list("status", flat=True)) == \
            {"rejected", "accepted"}
    assert (lead.status, lead.assigned_partner_id, lead.deal_value, lead.source,
            lead.postal_code) == ("won", history.accepted.partner_id, 30000, "fair-2026",
                                  "80331")


def test_it_audits_the_erasure_without_the_erased_values(api_a, tenant_a, history):
    api_a.post(f"/api/v1/leads/{history.lead.pk}/erase/")
    with tenant_scope(tenant_a):
        entry = AuditEvent.objects.filter(action="lead.erased").get()
    assert (entry.target_type, entry.target_id) == ("leads.lead", str(history.lead.pk))
    assert entry.actor == f"api-key:{api_a.api_key.prefix}"
    assert entry.data["copies"]["audit_entries"] >= 1
    assert EMAIL not in json.dumps(entry.data)


def test_it_replays_an_erased_answer_for_a_retried_create(api_a, history):
    api_a.post(f"/api/v1/leads/{history.lead.pk}/erase/")
    replay = api_a.post("/api/v1/leads/", lead_payload(), format="json",
                        HTTP_IDEMPOTENCY_KEY="crm-1-create")
    assert replay.json()["contact_email"] == ERASED
    assert replay.json()["company_name"] == ERASED


def test_it_can_run_twice(tenant_a, history):
    with tenant_scope(tenant_a):
        lead_erase(lead_id=history.lead.pk, actor="system")
        report = lead_erase(lead_id=history.lead.pk, actor="system")
        assert Lead.objects.get(pk=history.lead.pk).company_name == ERASED
    assert (report.webhook_deliveries, report.idempotency_records, report.import_jobs) == \
        (0, 0, 0)


def test_it_erases_from_the_manager_page(client_a, tenant_a, history):
    response = client_a.post(f"/leads/{history.lead.pk}/privacy/erase/", {"confirm": "1"})
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(pk=history.lead.pk)
        entry = AuditEvent.objects.filter(action="lead.erased").get()
    assert lead.contact_email == ERASED
    assert entry.actor == "manager@acme.example"
    assert COMPANY not in client_a.get(f"/leads/{history.lead.pk}/privacy/").content.decode()


def test_it_asks_for_confirmation_on_the_manager_page(client_a, tenant_a, history):
    response = client_a.post(f"/leads/{history.lead.pk}/privacy/erase/")
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        assert Lead.objects.get(pk=history.lead.pk).contact_email == EMAIL
