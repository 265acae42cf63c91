"""Closed leads past the tenant's retention period are anonymised by the nightly task."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from leads.privacy import ERASED, tenants_with_expired_leads
from leads.privacy_tasks import anonymise_expired
from tests.factories import lead_create

BERLIN = ZoneInfo("Europe/Berlin")
CLOSED_AT = datetime(2024, 3, 1, 12, tzinfo=BERLIN)


def _closed(tenant, status="won", closed_at=CLOSED_AT, **fields):
    return lead_create(tenant, status=status, closed_at=closed_at, **fields)


def _reload(tenant, lead):
    with tenant_scope(tenant):
        return Lead.objects.get(pk=lead.pk)


def test_it_anonymises_closed_leads_after_the_retention_period(tenant_a):
    leads = [_closed(tenant_a, status=s) for s in ("won", "lost", "withdrawn")]
    with time_machine.travel(CLOSED_AT + timedelta(days=731), tick=False):
        result = anonymise_expired.delay().get()
    assert result == {str(tenant_a.pk): 3}
    for lead in leads:
        lead = _reload(tenant_a, lead)
        assert (lead.contact_email, lead.company_name) == (ERASED, ERASED)
        assert lead.anonymised_at == CLOSED_AT + timedelta(days=731)
    with tenant_scope(tenant_a):
        entry = AuditEvent.objects.filter(action="lead.anonymised").first()
    assert entry.actor == "system"


def test_it_keeps_closed_leads_inside_the_retention_period(tenant_a):
    lead = _closed(tenant_a)
    with time_machine.travel(CLOSED_AT + timedelta(days=729), tick=False):
        assert anonymise_expired.delay().get() == {}
    assert _reload(tenant_a, lead).contact_email == "erika@kunde.example"


def test_it_never_anonymises_open_leads(tenant_a, partner_a1):
    lead = lead_create(tenant_a, status="in_progress", assigned_partner=partner_a1,
                       received_at=CLOSED_AT)
    with time_machine.travel(CLOSED_AT + timedelta(days=3000), tick=False):
        anonymise_expired.delay().get()
    assert _reload(tenant_a, lead).anonymised_at is None


def test_it_uses_each_tenants_own_retention_period(tenant_a, tenant_b):
    tenant_b.closed_lead_retention_days = 90
    tenant_b.save()
    lead_a, lead_b = _closed(tenant_a), _closed(tenant_b)
    with time_machine.travel(CLOSED_AT + timedelta(days=100), tick=False):
        assert tenants_with_expired_leads() == [tenant_b.pk]
        anonymise_expired.delay().get()
    assert _reload(tenant_a, lead_a).anonymised_at is None
    assert _reload(tenant_b, lead_b).contact_name == ERASED


def test_it_does_not_anonymise_a_lead_twice(tenant_a):
    _closed(tenant_a)
    with time_machine.travel(CLOSED_AT + timedelta(days=800), tick=False):
        anonymise_expired.delay().get()
        assert anonymise_expired.delay().get() == {}
    with tenant_scope(tenant_a):
        assert AuditEvent.objects.filter(action="lead.anonymised").count() == 1
