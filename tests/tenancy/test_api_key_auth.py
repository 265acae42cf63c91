from django.utils import timezone

from leadrouter.tenancy.api_keys import api_key_create, api_key_revoke
from leadrouter.tenancy.models import ApiKey
from leadrouter.tenancy.scoping import all_tenants, tenant_scope


def test_it_picks_the_tenant_of_the_key(api_a, api_b):
    assert api_a.get("/api/v1/whoami/").json()["tenant"] == "acme"
    assert api_b.get("/api/v1/whoami/").json()["tenant"] == "globex"


def test_it_reports_scope_and_key(api_a):
    body = api_a.get("/api/v1/whoami/").json()
    assert body["scope"] == "tenant"
    assert body["partner"] is None
    assert body["key_prefix"] == api_a.api_key.prefix


def test_it_rejects_a_request_without_a_key(client, db):
    response = client.get("/api/v1/whoami/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_rejects_a_revoked_key_on_the_next_request(api_a, tenant_a):
    assert api_a.get("/api/v1/whoami/").status_code == 200
    with tenant_scope(tenant_a):
        api_key_revoke(api_key=api_a.api_key)
    response = api_a.get("/api/v1/whoami/")
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_it_rejects_a_wrong_secret(client, tenant_a):
    with tenant_scope(tenant_a):
        issued = api_key_create(tenant=tenant_a, name="CRM")
    tampered = issued.plain_key[:-4] + ("aaaa" if not issued.plain_key.endswith("aaaa") else "bbbb")
    response = client.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {tampered}")
    assert response.status_code == 401


def test_it_never_stores_the_key_in_plain_text(tenant_a):
    with tenant_scope(tenant_a):
        issued = api_key_create(tenant=tenant_a, name="CRM")
    secret = issued.plain_key.split("_", 2)[2]
    with all_tenants():
        row = ApiKey.objects.values().get(pk=issued.api_key.pk)
    assert all(secret not in str(value) for value in row.values())
    assert issued.plain_key.startswith(f"lr_{row['prefix']}_")


def test_it_records_when_a_key_was_last_used(api_a):
    before = timezone.now()
    api_a.get("/api/v1/whoami/")
    with all_tenants():
        last_used = ApiKey.objects.get(pk=api_a.api_key.pk).last_used_at
    assert last_used is not None and last_used >= before


def test_it_reports_a_partner_scoped_key(partner_api_a1, partner_a1):
    body = partner_api_a1.get("/api/v1/whoami/").json()
    assert body["scope"] == "partner" and body["partner"] == partner_a1.pk
