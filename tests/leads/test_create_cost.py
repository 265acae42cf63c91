"""A single lead through `POST /api/v1/leads/` costs a fixed, small number of statements:
the known-leads check (external id and possible duplicates in one query), the lead, its
audit event, and on PostgreSQL the tenant setting for row-level security, set once and
reset once. On PostgreSQL the lead and its event are one statement, which needs no
BEGIN/COMMIT around it. The key comes from the cache after its first use."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead


def _post(api, n: int):
    with CaptureQueriesContext(connection) as captured:
        response = api.post("/api/v1/leads/", {
            "external_id": f"CRM-{n}", "company_name": "Kunde GmbH", "country": "DE",
            "postal_code": "80331", "city": "München", "contact_email": "erika@kunde.example",
        }, format="json")
    return response, [q["sql"] for q in captured.captured_queries]


def _statements(sqls: list[str]) -> list[str]:
    """The statements that do the work, without transaction control."""
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
    return [sql for sql in sqls
            if not sql.startswith(control) and "set_config('app.tenant_id'" not in sql]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement insert")
def test_it_creates_a_lead_with_four_statements_on_postgresql(transactional_db, api_a,
                                                              settings):
    # transactional_db: no test transaction around the request, as in production (inside
    # one, the insert takes a savepoint so a failed attempt can be retried).
    settings.LEADS_ROUTE_ON_INGEST = False
    _post(api_a, 0)  # the key's first use reads it and stamps its last use
    response, sqls = _post(api_a, 1)
    assert response.status_code == 201
    # No BEGIN, COMMIT or SAVEPOINT: the one writing statement is atomic by itself.
    assert len(sqls) == 4, sqls
    assert "set_config('app.tenant_id'" in sqls[0]
    assert sqls[1].startswith("SELECT") and "leads_lead" in sqls[1]
    assert sqls[2].startswith('WITH new_lead AS (INSERT INTO "leads_lead"')
    assert 'INSERT INTO "tenancy_auditevent"' in sqls[2]
    assert "set_config('app.tenant_id'" in sqls[3]


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL has its own pin")
def test_it_creates_a_lead_with_three_statements(api_a, settings):
    settings.LEADS_ROUTE_ON_INGEST = False
    _post(api_a, 0)  # the key's first use reads it and stamps its last use
    response, sqls = _post(api_a, 1)
    assert response.status_code == 201
    work = _statements(sqls)
    assert len(work) == 3, work
    assert work[0].startswith("SELECT") and "leads_lead" in work[0]
    assert work[1].startswith('INSERT INTO "leads_lead"')
    assert work[2].startswith('INSERT INTO "tenancy_auditevent"')


def test_it_sets_the_tenant_for_row_level_security_once_and_resets_it_once(api_a, settings):
    settings.LEADS_ROUTE_ON_INGEST = False
    _post(api_a, 0)
    _, sqls = _post(api_a, 1)
    settings_sql = [sql for sql in sqls if "set_config('app.tenant_id'" in sql]
    expected = 2 if connection.vendor == "postgresql" else 0
    assert len(settings_sql) == expected, settings_sql
    if expected:
        assert f"'{api_a.api_key.tenant_id}'" in settings_sql[0]
        assert "''" in settings_sql[-1]


def test_it_still_writes_the_lead_and_its_audit_event(api_a, tenant_a, settings):
    settings.LEADS_ROUTE_ON_INGEST = False
    response, _ = _post(api_a, 2)
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(external_id="CRM-2")
        event = AuditEvent.objects.get(action="lead.received", target_id=str(lead.pk))
    assert response.json()["id"] == lead.pk
    assert event.actor == f"api-key:{api_a.api_key.prefix}"
    assert event.data == {"channel": "api", "duplicate_of": None}
