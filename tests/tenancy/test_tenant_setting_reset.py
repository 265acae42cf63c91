"""On PostgreSQL, row-level security reads `app.tenant_id` from the connection. Connections
are kept between requests (CONN_MAX_AGE), so a request must leave the setting empty,
whether its API key came from the database or from the key cache."""

from django.db import connection


def _tenant_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        return cursor.fetchone()[0] or ""


def test_it_leaves_no_tenant_on_the_connection_after_api_requests(postgres_only, api_a, api_b):
    for api in (api_a, api_a, api_b, api_b):  # first use of each key: database, then cache
        assert api.get("/api/v1/whoami/").status_code == 200
        assert _tenant_setting() == ""


def test_it_leaves_no_tenant_on_the_connection_after_a_lead_is_created(postgres_only, api_a,
                                                                       settings):
    settings.LEADS_ROUTE_ON_INGEST = False
    for n in range(2):
        response = api_a.post("/api/v1/leads/", {"company_name": f"Kunde {n}", "country": "DE"},
                              format="json")
        assert response.status_code == 201
        assert _tenant_setting() == ""


def test_it_leaves_no_tenant_on_the_connection_after_a_refused_key(postgres_only, client, api_a):
    prefix = api_a.api_key.prefix
    assert api_a.get("/api/v1/whoami/").status_code == 200
    response = client.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer lr_{prefix}_wrong")
    assert response.status_code == 401
    assert _tenant_setting() == ""
