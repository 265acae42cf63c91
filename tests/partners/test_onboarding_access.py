"""Partner onboarding pages answer 404 to everyone who has no business there."""

import pytest
from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from partners.models import ChangeStatus, PartnerChangeRequest


@pytest.fixture
def change_a1(tenant_a, partner_a1):
    with tenant_scope(tenant_a):
        return PartnerChangeRequest.objects.create(tenant=tenant_a, partner=partner_a1,
                                                   data={"employees": 30})


def _still_pending(tenant, change) -> bool:
    with tenant_scope(tenant):
        return PartnerChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.PENDING


def test_it_hides_the_requests_of_another_tenant(client_b, tenant_a, change_a1):
    for name in ("partners:change-approve", "partners:change-reject"):
        assert client_b.post(reverse(name, args=[change_a1.pk])).status_code == 404
    page = client_b.get(reverse("partners:changes"))
    assert page.status_code == 200 and "Alpha Systemhaus" not in page.text
    assert client_b.get(reverse("partners:portal-change", args=[change_a1.pk])).status_code == 404
    assert _still_pending(tenant_a, change_a1)


def test_it_hides_the_managers_pages_from_partner_users(partner_client_a1, tenant_a, change_a1):
    assert partner_client_a1.get(reverse("partners:changes")).status_code == 404
    for name in ("partners:change-approve", "partners:change-reject"):
        assert partner_client_a1.post(reverse(name, args=[change_a1.pk])).status_code == 404
    assert _still_pending(tenant_a, change_a1)


def test_it_hides_a_request_from_another_partner(client, partner_user_a2, change_a1):
    client.force_login(partner_user_a2)
    assert client.get(reverse("partners:portal-change", args=[change_a1.pk])).status_code == 404


def test_it_shows_a_partner_its_own_request(partner_client_a1, change_a1):
    response = partner_client_a1.get(reverse("partners:portal-change", args=[change_a1.pk]))
    assert response.status_code == 200 and "30" in response.text


def test_it_keeps_the_portal_editor_for_partner_users(client_a, client, manager_b):
    assert client_a.get(reverse("partners:portal-profile-edit")).status_code == 404
    client.force_login(manager_b)
    assert client.get(reverse("partners:portal-profile-edit")).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login(client, change_a1):
    for url in (reverse("partners:changes"), reverse("partners:portal-profile-edit")):
        assert client.get(url).status_code == 302
