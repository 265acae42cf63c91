"""Admins search their tenant's audit trail; nobody else sees the page."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from tests.factories import lead_create

URL = "/settings/audit/"


def _event(tenant, action, actor="manager@acme.example", target=None, data=None, when=None):
    with tenant_scope(tenant):
        event = audit_record(tenant=tenant, actor=actor, action=action, target=target,
                             data=data)
        if when is not None:
            AuditEvent.objects.filter(pk=event.pk).update(created_at=when)
    return event


def _actions(response) -> list[str]:
    return [event.action for event, _ in response.context["rows"]]


def test_it_has_its_url():
    assert reverse("audit-log") == URL


def test_it_lists_the_tenants_events_newest_first(admin_client_a, tenant_a, tenant_b):
    now = timezone.now()
    _event(tenant_a, "partner.created", when=now - timedelta(hours=2))
    _event(tenant_a, "lead.received", when=now - timedelta(hours=1))
    _event(tenant_b, "lead.received", actor="manager@globex.example")
    response = admin_client_a.get(URL)
    assert response.status_code == 200
    assert _actions(response) == ["lead.received", "partner.created"]
    assert "manager@globex.example" not in response.text


def test_it_searches_by_actor(admin_client_a, tenant_a):
    _event(tenant_a, "lead.received", actor="api-key:abc123")
    _event(tenant_a, "offer.accepted", actor="sales@alpha.example")
    assert _actions(admin_client_a.get(URL, {"actor": "ALPHA"})) == ["offer.accepted"]


def test_it_searches_by_action_prefix(admin_client_a, tenant_a):
    _event(tenant_a, "lead.received")
    _event(tenant_a, "lead.routed")
    _event(tenant_a, "offer.accepted")
    assert sorted(_actions(admin_client_a.get(URL, {"action": "lead."}))) == [
        "lead.received", "lead.routed"]


def test_it_searches_by_target(admin_client_a, tenant_a):
    lead = lead_create(tenant_a)
    other = lead_create(tenant_a, contact_email="max@kunde.example")
    _event(tenant_a, "lead.received", target=lead)
    _event(tenant_a, "lead.received", target=other)
    _event(tenant_a, "user.login")
    for query in (f"lead:{lead.pk}", f"leads.lead:{lead.pk}", str(lead.pk)):
        rows = admin_client_a.get(URL, {"target": query}).context["rows"]
        assert [event.target_id for event, _ in rows] == [str(lead.pk)], query
    assert len(admin_client_a.get(URL, {"target": "lead"}).context["rows"]) == 2


def test_it_searches_by_date_range(admin_client_a, tenant_a):
    tz = timezone.get_current_timezone()
    _event(tenant_a, "a.before", when=datetime(2026, 3, 1, 23, 30, tzinfo=tz))
    _event(tenant_a, "b.inside", when=datetime(2026, 3, 2, 0, 10, tzinfo=tz))
    _event(tenant_a, "c.inside", when=datetime(2026, 3, 3, 23, 50, tzinfo=tz))
    _event(tenant_a, "d.after", when=datetime(2026, 3, 4, 0, 5, tzinfo=tz))
    response = admin_client_a.get(URL, {"date_from": "2026-03-02", "date_to": "2026-03-03"})
    assert _actions(response) == ["c.inside", "b.inside"]


def test_it_explains_a_reversed_date_range(admin_client_a, tenant_a):
    response = admin_client_a.get(URL, {"date_from": "2026-03-05", "date_to": "2026-03-01"})
    assert response.status_code == 200
    assert "The end date is before the start date." in response.text


def test_it_shows_the_event_data(admin_client_a, tenant_a):
    _event(tenant_a, "offer.rejected", data={"reason": "no_capacity"})
    assert "&quot;reason&quot;: &quot;no_capacity&quot;" in admin_client_a.get(URL).text


def test_it_paginates(admin_client_a, tenant_a):
    for i in range(55):
        _event(tenant_a, f"test.event{i}")
    first = admin_client_a.get(URL)
    assert len(first.context["rows"]) == 50
    assert "page=2" in first.text
    assert len(admin_client_a.get(URL, {"page": 2}).context["rows"]) == 5


def test_it_renders_the_table_alone_for_htmx(admin_client_a, tenant_a):
    _event(tenant_a, "lead.received")
    response = admin_client_a.get(URL, {"action": "lead"}, HTTP_HX_REQUEST="true")
    assert response.text.lstrip().startswith('<div id="audit-table"')
    assert "<html" not in response.text


@pytest.mark.parametrize("rows", [3, 30])
def test_it_pins_the_query_count(admin_client_a, tenant_a, django_assert_num_queries, rows):
    lead = lead_create(tenant_a)
    for i in range(rows):
        _event(tenant_a, f"lead.event{i}", target=lead, data={"n": i})
    # session, user, memberships, count, page (+ 4 tenant settings for PostgreSQL's RLS)
    with django_assert_num_queries(5 + (4 if connection.vendor == "postgresql" else 0)):
        admin_client_a.get(URL)


def test_it_hides_the_page_from_managers(client_a, tenant_a):
    assert client_a.get(URL).status_code == 404


def test_it_hides_the_page_from_partner_users(partner_client_a1):
    assert partner_client_a1.get(URL).status_code == 404


def test_it_shows_the_stranger_admin_only_their_own_tenant(admin_client_b, tenant_a, tenant_b):
    _event(tenant_a, "lead.received", actor="manager@acme.example")
    response = admin_client_b.get(URL)
    assert response.status_code == 200
    assert _actions(response) == []


def test_it_answers_404_to_the_stranger_manager(client_b, tenant_a):
    _event(tenant_a, "lead.received")
    assert client_b.get(URL).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
