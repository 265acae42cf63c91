from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from tests.leads.conftest import lead_payload


def test_it_creates_a_lead_with_201(api_a, tenant_a):
    response = api_a.post("/api/v1/leads/", lead_payload(external_id="CRM-1"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["external_id"] == "CRM-1" and body["status"] == "new"
    assert body["offers"] == [] and body["decision"] is None
    assert body["currency"] == "EUR" and body["deal_value"] == "25000.00"
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(pk=body["id"])
        assert lead.channel == "api"
        assert lead.geocode_status in ("found", "unknown")


def test_it_returns_the_existing_lead_for_a_known_external_id(api_a, tenant_a):
    first = api_a.post("/api/v1/leads/", lead_payload(external_id="CRM-1"), format="json")
    again = api_a.post("/api/v1/leads/", lead_payload(external_id="CRM-1", city="Berlin"),
                       format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["city"] == "München"
    with tenant_scope(tenant_a):
        assert Lead.objects.count() == 1


def test_it_keeps_external_ids_per_tenant(api_a, api_b):
    a = api_a.post("/api/v1/leads/", lead_payload(external_id="CRM-1"), format="json")
    b = api_b.post("/api/v1/leads/", lead_payload(external_id="CRM-1"), format="json")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_it_audits_a_received_lead(api_a, tenant_a):
    from leadrouter.tenancy.models import AuditEvent

    lead_id = api_a.post("/api/v1/leads/", lead_payload(), format="json").json()["id"]
    with tenant_scope(tenant_a):
        event = AuditEvent.objects.get(action="lead.received", target_id=str(lead_id))
    assert event.actor.startswith("api-key:") and event.data["channel"] == "api"


def test_it_enqueues_routing_after_the_commit(api_a, monkeypatch, request,
                                             django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from matching.tasks import _wake_key, route_new_leads_task

    sent = []
    monkeypatch.setattr(route_new_leads_task, "delay", lambda *args: sent.append(args))
    # No task runs to clear the wake-up flag: clear it for later tests (SQLite reuses ids).
    request.addfinalizer(lambda: cache.delete(_wake_key(api_a.api_key.tenant_id)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        api_a.post("/api/v1/leads/", lead_payload(), format="json")
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sent == [(api_a.api_key.tenant_id,)]


def test_it_refuses_a_partner_key_creating_leads(partner_api_a1):
    response = partner_api_a1.post("/api/v1/leads/", lead_payload(), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_it_requires_a_key(client, db):
    response = client.post("/api/v1/leads/", lead_payload(), content_type="application/json")
    assert response.status_code == 401
