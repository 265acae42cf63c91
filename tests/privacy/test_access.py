"""Only the tenant's managers and tenant keys reach GDPR requests: everyone else gets 404."""

import pytest

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from tests.factories import lead_create

PAGES = ["/leads/{id}/privacy/", "/leads/{id}/privacy/export/"]


@pytest.fixture
def lead(tenant_a):
    return lead_create(tenant_a)


def _untouched(tenant, lead) -> bool:
    with tenant_scope(tenant):
        return Lead.objects.get(pk=lead.pk).contact_email == "erika@kunde.example"


def test_it_answers_404_to_a_strangers_key(api_b, tenant_a, lead):
    assert api_b.get(f"/api/v1/leads/{lead.pk}/export/").status_code == 404
    assert api_b.post(f"/api/v1/leads/{lead.pk}/erase/").status_code == 404
    assert _untouched(tenant_a, lead)


def test_it_answers_404_to_a_partner_key(partner_api_a1, tenant_a, partner_a1):
    held = lead_create(tenant_a, status="accepted", assigned_partner=partner_a1)
    assert partner_api_a1.get(f"/api/v1/leads/{held.pk}/export/").status_code == 404
    assert partner_api_a1.post(f"/api/v1/leads/{held.pk}/erase/").status_code == 404
    assert _untouched(tenant_a, held)


def test_it_answers_401_without_a_key(client, lead):
    assert client.get(f"/api/v1/leads/{lead.pk}/export/").status_code == 401


@pytest.mark.parametrize("page", PAGES)
def test_it_answers_404_to_a_strangers_manager(client_b, lead, page):
    assert client_b.get(page.format(id=lead.pk)).status_code == 404


def test_it_refuses_erasure_to_a_strangers_manager(client_b, tenant_a, lead):
    response = client_b.post(f"/leads/{lead.pk}/privacy/erase/", {"confirm": "1"})
    assert response.status_code == 404
    assert _untouched(tenant_a, lead)


@pytest.mark.parametrize("page", PAGES)
def test_it_answers_404_to_a_partner_user(partner_client_a1, lead, page):
    assert partner_client_a1.get(page.format(id=lead.pk)).status_code == 404


def test_it_refuses_erasure_to_a_partner_user(partner_client_a1, tenant_a, lead):
    response = partner_client_a1.post(f"/leads/{lead.pk}/privacy/erase/", {"confirm": "1"})
    assert response.status_code == 404
    assert _untouched(tenant_a, lead)


def test_it_sends_anonymous_visitors_to_the_login(client, lead):
    response = client.get(f"/leads/{lead.pk}/privacy/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
