"""The stranger (tenant B) gets 404 for every partner page and endpoint of tenant A."""

import pytest
from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from partners.models import Partner


@pytest.mark.parametrize("name", ["partners:detail", "partners:edit"])
def test_it_hides_partner_pages_from_a_stranger(client_b, partner_a1, name):
    assert client_b.get(reverse(name, args=[partner_a1.pk])).status_code == 404


@pytest.mark.parametrize("name", ["partners:pause", "partners:resume", "partners:offboard"])
def test_it_refuses_a_strangers_status_change(client_b, partner_a1, tenant_a, name):
    assert client_b.post(reverse(name, args=[partner_a1.pk])).status_code == 404
    with tenant_scope(tenant_a):
        assert Partner.objects.get(pk=partner_a1.pk).status == "active"


def test_it_does_not_list_another_tenants_partners(client_b, partner_a1):
    response = client_b.get(reverse("partners:list"))
    assert response.status_code == 200 and "Alpha Systemhaus" not in response.text


def test_it_hides_a_partner_from_another_tenants_key(api_b, partner_a1):
    assert api_b.get(f"/api/v1/partners/{partner_a1.pk}/").status_code == 404
    response = api_b.patch(f"/api/v1/partners/{partner_a1.pk}/", {"name": "Hijacked"},
                           format="json")
    assert response.status_code == 404
    assert api_b.get("/api/v1/partners/").json()["count"] == 0


def test_it_hides_the_taxonomy_from_another_tenants_key(api_b, taxonomy_a):
    assert api_b.get("/api/v1/taxonomy/industries/").json()["count"] == 0


def test_it_does_not_let_a_stranger_use_another_tenants_codes(api_b, taxonomy_a):
    response = api_b.post("/api/v1/partners/", {"external_id": "B1", "name": "B",
                                                "country": "DE", "industries": ["C28"]},
                          format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_code"


def test_it_hides_the_portal_profile_from_managers(client_b, client_a):
    assert client_a.get(reverse("partners:portal-profile")).status_code == 404
