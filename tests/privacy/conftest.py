"""A lead with a full history and personal data copied into every place erasure must reach."""

import uuid
from dataclasses import dataclass

import pytest

from feedback.services import outcome_record
from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import ImportJob, Lead
from matching.models import Offer, Webhook, WebhookDelivery
from matching.offers import offer_accept, offer_reject
from tests.offer_helpers import dispatch_to

NAME = "Erika Mustermann"
EMAIL = "erika@kunde.example"
PHONE = "+49 89 1234567"
COMPANY = "Kunde Feinmechanik GmbH"
NOTES = "Wants a test drive on Saturday"
PII = (NAME, EMAIL, PHONE, COMPANY, NOTES)


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"privacy-{uuid.uuid4()}"}}
    settings.API_RATE_LIMIT = ""


def lead_payload(**fields) -> dict:
    data = {"external_id": "CRM-1", "company_name": COMPANY, "country": "DE",
            "postal_code": "80331", "city": "München", "deal_value": "25000",
            "contact_name": NAME, "contact_email": EMAIL, "contact_phone": PHONE,
            "notes": NOTES, "source": "fair-2026", "consent": True}
    data.update(fields)
    return data


@dataclass
class History:
    lead: Lead
    rejected: Offer
    accepted: Offer


@pytest.fixture
def history(api_a, tenant_a, partner_a1, partner_a2) -> History:
    """Created through the API (an idempotent response is stored), offered to a2 (rejected
    with a note naming the contact), then a1 (accepted, won with a note); an audit entry,
    a webhook delivery and a CSV import carry the personal data too."""
    response = api_a.post("/api/v1/leads/", lead_payload(), format="json",
                          HTTP_IDEMPOTENCY_KEY="crm-1-create")
    assert response.status_code == 201, response.json()
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(pk=response.json()["id"])
    dispatch_to(tenant_a, lead, [partner_a2, partner_a1])
    with tenant_scope(tenant_a):
        first = Offer.objects.get(lead=lead, partner=partner_a2)
        offer_reject(offer_id=first.pk, partner_id=partner_a2.pk, actor="sales@beta.example",
                     reason="conflict", note=f"We know {NAME} already")
        second = Offer.objects.get(lead=lead, partner=partner_a1)
        offer_accept(offer_id=second.pk, partner_id=partner_a1.pk, actor="sales@alpha.example")
        outcome_record(lead_id=lead.pk, partner_id=partner_a1.pk, actor="sales@alpha.example",
                       status="won", value=30000, note=f"Signed by {NAME}, call {PHONE}")
        audit_record(tenant=tenant_a, actor="manager@acme.example", action="lead.note",
                     target=lead, data={"lead": lead.pk, "text": f"Phoned {EMAIL}"})
        hook = Webhook.objects.create(tenant=tenant_a, url="https://crm.example/hook",
                                      events=["lead.won"], secret="s")
        WebhookDelivery.objects.create(
            tenant=tenant_a, webhook=hook, event_id=uuid.uuid4(), event="lead.won",
            payload={"type": "lead.won", "data": {"lead": lead.pk, "contact_email": EMAIL,
                                                  "company": COMPANY}})
        ImportJob.objects.create(
            tenant=tenant_a, created_by="manager@acme.example", filename="fair.csv",
            content=f"company,email\n{COMPANY},{EMAIL}\nOther AG,other@example.com\n",
            headers=["company", "email"])
        lead.refresh_from_db()
        return History(lead=lead, rejected=Offer.objects.get(pk=first.pk),
                       accepted=Offer.objects.get(pk=second.pk))
