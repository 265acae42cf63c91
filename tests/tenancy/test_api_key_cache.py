"""The cache of active API keys: fast for a busy integration, never slow to revoke.

A key is read from the database once and then served from the shared cache; every change
made through the ORM drops it at once, a change behind the ORM's back within
API_KEY_CACHE_SECONDS.
"""

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadrouter.tenancy.models import ApiKey
from leadrouter.tenancy.scoping import all_tenants


def _key_queries(api, path="/api/v1/whoami/") -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        status = api.get(path).status_code
    reads = [q["sql"] for q in queries.captured_queries
             if q["sql"].startswith("SELECT") and '"tenancy_apikey"' in q["sql"]]
    return status, len(reads)


def test_it_reads_a_key_from_the_database_once(api_a):
    assert _key_queries(api_a) == (200, 1)
    assert _key_queries(api_a) == (200, 0)


def test_it_still_checks_the_secret_of_a_cached_key(api_a, client):
    assert api_a.get("/api/v1/whoami/").status_code == 200
    prefix = api_a.api_key.prefix
    response = client.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer lr_{prefix}_wrong")
    assert response.status_code == 401


def test_it_rejects_a_key_revoked_by_saving_it_on_the_next_request(api_a):
    assert api_a.get("/api/v1/whoami/").status_code == 200
    with all_tenants():  # as the Django admin's change form does
        api_key = ApiKey.objects.get(pk=api_a.api_key.pk)
        api_key.revoked_at = api_key.created_at
        api_key.save()
    assert api_a.get("/api/v1/whoami/").status_code == 401


def test_it_rejects_a_deleted_key_on_the_next_request(api_a):
    assert api_a.get("/api/v1/whoami/").status_code == 200
    with all_tenants():
        ApiKey.objects.get(pk=api_a.api_key.pk).delete()
    assert api_a.get("/api/v1/whoami/").status_code == 401


def test_it_sees_a_tenant_change_on_the_next_request(api_a, tenant_a):
    lead = {"company_name": "Kunde GmbH", "country": "DE", "contact_email": "a@kunde.example"}
    assert api_a.post("/api/v1/leads/", lead, format="json").status_code == 201
    tenant_a.duplicate_window_days = 0  # no duplicate flagging any more
    tenant_a.save()
    again = api_a.post("/api/v1/leads/", lead, format="json")
    assert again.status_code == 201
    assert again.json()["duplicate_of"] is None


def test_it_drops_a_key_revoked_behind_the_orms_back_within_the_cache_time(api_a, settings):
    settings.API_KEY_CACHE_SECONDS = 1
    assert api_a.get("/api/v1/whoami/").status_code == 200
    with all_tenants():  # raw update: no signal, the cached entry stays until it expires
        ApiKey.objects.filter(pk=api_a.api_key.pk).update(revoked_at=api_a.api_key.created_at)
    time.sleep(1.2)
    assert api_a.get("/api/v1/whoami/").status_code == 401


def test_it_keeps_tenants_apart_in_the_cache(api_a, api_b):
    for _ in range(2):
        assert api_a.get("/api/v1/whoami/").json()["tenant"] == "acme"
        assert api_b.get("/api/v1/whoami/").json()["tenant"] == "globex"
