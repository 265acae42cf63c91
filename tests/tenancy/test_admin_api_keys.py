import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from leadrouter.tenancy.models import ApiKey, AuditEvent
from leadrouter.tenancy.scoping import tenant_scope

# Opening and closing the tenant scope sets app.tenant_id (RLS) on PostgreSQL.
PG_SCOPE_QUERIES = 4 if connection.vendor == "postgresql" else 0

@pytest.fixture
def admin_client_a(client, admin_a):
    client.force_login(admin_a)
    return client


def create(client, name="Salesforce", scope="tenant", partner=""):
    return client.post(reverse("tenant-api-keys"),
                       {"name": name, "scope": scope, "partner": partner})


def plain_key_in(response) -> str:
    match = re.search(r'<code id="new-api-key" class="secret">(lr_[^<]+)</code>', response.text)
    assert match, response.text
    return match.group(1)


def whoami(plain_key: str):
    return Client().get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {plain_key}")


def test_it_creates_a_key_and_shows_the_secret_once(admin_client_a, tenant_a):
    response = create(admin_client_a)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plain_key = plain_key_in(response)
    assert 'data-copy-target="new-api-key"' in response.text
    assert whoami(plain_key).json()["key_name"] == "Salesforce"
    assert plain_key not in admin_client_a.get(reverse("tenant-api-keys")).text
    with tenant_scope(tenant_a):
        assert AuditEvent.objects.filter(action="api_key.create").exists()


def test_it_creates_a_key_for_one_partner(admin_client_a, partner_a1):
    plain_key = plain_key_in(create(admin_client_a, scope="partner", partner=partner_a1.pk))
    body = whoami(plain_key).json()
    assert body["scope"] == "partner" and body["partner"] == partner_a1.pk


def test_it_needs_a_partner_for_a_partner_key(admin_client_a, tenant_a):
    response = create(admin_client_a, scope="partner")
    assert list(response.context["form"].errors) == ["partner"]
    with tenant_scope(tenant_a):
        assert not ApiKey.objects.exists()


def test_it_needs_a_name(admin_client_a):
    assert list(create(admin_client_a, name="  ").context["form"].errors) == ["name"]


def test_it_does_not_offer_another_tenants_partner(admin_client_a, tenant_b):
    from tests.factories import partner_create

    foreign = partner_create(tenant_b, name="Fremd GmbH")
    response = create(admin_client_a, scope="partner", partner=foreign.pk)
    assert list(response.context["form"].errors) == ["partner"]
    assert "Fremd GmbH" not in response.text


def test_it_revokes_a_key_and_the_api_answers_401(admin_client_a, api_a, tenant_a):
    assert api_a.get("/api/v1/whoami/").status_code == 200
    response = admin_client_a.post(reverse("tenant-api-key-revoke", args=[api_a.api_key.pk]))
    assert response.status_code == 302
    assert api_a.get("/api/v1/whoami/").status_code == 401
    with tenant_scope(tenant_a):
        assert AuditEvent.objects.filter(action="api_key.revoke").exists()
    assert "revoked" in admin_client_a.get(reverse("tenant-api-keys")).text


def test_it_lists_keys_with_name_prefix_and_scope(admin_client_a, api_a, partner_api_a1):
    page = admin_client_a.get(reverse("tenant-api-keys")).text
    assert api_a.api_key.prefix in page and partner_api_a1.api_key.prefix in page
    assert "Alpha Systemhaus" in page


def test_it_lists_keys_with_a_fixed_number_of_queries(admin_client_a, tenant_a, partner_a1,
                                                      django_assert_num_queries):
    from leadrouter.tenancy.api_keys import api_key_create

    admin_client_a.get(reverse("tenant-api-keys"))
    with django_assert_num_queries(5 + PG_SCOPE_QUERIES) as captured:
        admin_client_a.get(reverse("tenant-api-keys"))
    with tenant_scope(tenant_a):
        for n in range(4):
            api_key_create(tenant=tenant_a, name=f"k{n}", partner=partner_a1)
    with django_assert_num_queries(len(captured)):
        admin_client_a.get(reverse("tenant-api-keys"))
