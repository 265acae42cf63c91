"""On PostgreSQL a single new lead and its audit event are written by one statement, outside
any transaction of our own (leads.services._lead_insert_with_audit). It must store what the
ORM path stores, stay all-or-nothing, and keep the race of two requests with one external id
answering 200."""

import pytest
from django.db import DataError, connection
from django.test.utils import CaptureQueriesContext

from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from leads import services
from leads.models import Lead
from tests.leads.conftest import lead_payload

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="the one-statement insert is PostgreSQL's")

# What differs between two leads by construction; everything else must be equal.
OWN = {"id", "external_id", "received_at", "updated_at", "channel"}


def _row(tenant, external_id: str) -> tuple[dict, dict]:
    with tenant_scope(tenant):
        lead = Lead.objects.get(external_id=external_id)
        event = AuditEvent.objects.get(action="lead.received", target_id=str(lead.pk))
    fields = {f.attname: getattr(lead, f.attname) for f in Lead._meta.concrete_fields
              if f.attname not in OWN}
    return fields, {"actor": event.actor, "target_type": event.target_type,
                    "tenant_id": event.tenant_id, "duplicate_of": event.data["duplicate_of"]}


def test_it_stores_what_the_orm_path_stores(api_a, tenant_a, taxonomy_a, settings):
    settings.LEADS_ROUTE_ON_INGEST = False
    data = lead_payload(industry="C28", competencies=["CAD"], products=["EV-SUV"],
                        employees=42, cost="12.5", language="de", notes="Rückruf",
                        consent=True)
    single = api_a.post("/api/v1/leads/", {**data, "external_id": "ONE"}, format="json")
    # Two leads in one bulk request take the ORM's bulk_create path.
    bulk = api_a.post("/api/v1/leads/bulk/", {"leads": [
        {**data, "external_id": "ORM", "contact_email": "other@kunde.example"},
        {**data, "external_id": "ORM-2", "contact_email": "third@kunde.example"}]},
        format="json")
    assert single.status_code == 201 and bulk.status_code == 200
    one, one_event = _row(tenant_a, "ONE")
    orm, orm_event = _row(tenant_a, "ORM")
    one.pop("contact_email"), orm.pop("contact_email")
    assert one == orm
    assert one_event == orm_event


def test_it_records_the_possible_duplicate_in_the_lead_and_its_event(api_a, tenant_a,
                                                                     settings):
    settings.LEADS_ROUTE_ON_INGEST = False
    first = api_a.post("/api/v1/leads/", lead_payload(external_id="A"), format="json")
    second = api_a.post("/api/v1/leads/", lead_payload(external_id="B"), format="json")
    assert second.status_code == 201
    assert second.json()["duplicate_of"] == first.json()["id"]
    fields, event = _row(tenant_a, "B")
    assert fields["duplicate_of_id"] == event["duplicate_of"] == first.json()["id"]


def test_it_writes_neither_the_lead_nor_its_event_when_the_statement_fails(
        api_a, tenant_a, settings, monkeypatch):
    settings.LEADS_ROUTE_ON_INGEST = False
    real = services._received_event

    def too_long(**kwargs):  # the audit half of the statement fails
        event = real(**kwargs)
        event.actor = "x" * 500
        return event

    monkeypatch.setattr(services, "_received_event", too_long)
    with pytest.raises(DataError):
        services.lead_ingest(tenant=tenant_a, actor=None, data=lead_payload(external_id="X"),
                             channel="api")
    with tenant_scope(tenant_a):
        assert not Lead.objects.filter(external_id="X").exists()
        assert not AuditEvent.objects.filter(action="lead.received").exists()


def _missing_the_first_lookup(monkeypatch) -> None:
    """The known-leads check misses a lead once, as when a concurrent request inserts the
    same external id between our check and our insert."""
    real, calls = services._known_rows, []

    def racing(**kwargs):
        calls.append(1)
        return [] if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(services, "_known_rows", racing)


def test_it_answers_200_when_a_concurrent_request_inserted_the_external_id(
        api_a, settings, monkeypatch):
    settings.LEADS_ROUTE_ON_INGEST = False
    first = api_a.post("/api/v1/leads/", lead_payload(external_id="RACE"), format="json")
    _missing_the_first_lookup(monkeypatch)
    again = api_a.post("/api/v1/leads/", lead_payload(external_id="RACE"), format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


def test_it_survives_the_race_inside_an_idempotent_request(api_a, settings, monkeypatch):
    # With an Idempotency-Key the create runs inside the key's transaction: the insert gets
    # a savepoint, so the failed attempt does not break that transaction.
    settings.LEADS_ROUTE_ON_INGEST = False
    first = api_a.post("/api/v1/leads/", lead_payload(external_id="RACE-K"), format="json")
    _missing_the_first_lookup(monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        again = api_a.post("/api/v1/leads/", lead_payload(external_id="RACE-K"),
                           format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert any(q["sql"].startswith("ROLLBACK TO SAVEPOINT") for q in captured.captured_queries)
    replay = api_a.post("/api/v1/leads/", lead_payload(external_id="RACE-K"), format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
