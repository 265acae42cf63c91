"""Admin pages and actions: only an admin of the tenant. Managers, partner users and other
tenants' people (admins included) get 404; their attempts change nothing."""

import pytest
from django.urls import reverse

from leadrouter.tenancy.models import ApiKey, Invitation, Membership, Role
from leadrouter.tenancy.scoping import tenant_scope
from tests.conftest import PASSWORD
from tests.factories import membership_create

PAGES = ["tenant-settings", "tenant-users", "tenant-api-keys"]


@pytest.fixture
def admin_client_b(client, tenant_b):
    client.force_login(membership_create(tenant_b, "admin@globex.example", Role.ADMIN,
                                         PASSWORD).user)
    return client


@pytest.fixture
def objects_a(tenant_a, admin_a, manager_a, api_a):
    """One of each thing an admin action targets, in tenant A."""
    with tenant_scope(tenant_a):
        invitation = Invitation.objects.create(tenant=tenant_a, email="x@acme.example",
                                               role=Role.MANAGER)
        return {
            "tenant-user-role": Membership.objects.get(user=manager_a).pk,
            "tenant-user-remove": Membership.objects.get(user=manager_a).pk,
            "tenant-invitation-revoke": invitation.pk,
            "tenant-api-key-revoke": api_a.api_key.pk,
        }


def assert_unchanged(tenant_a, manager_a) -> None:
    with tenant_scope(tenant_a):
        assert Membership.objects.get(user=manager_a).role == Role.MANAGER
        assert Invitation.objects.get().revoked_at is None
        assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()


@pytest.mark.parametrize("page", PAGES)
def test_it_hides_admin_pages_from_a_manager(client_a, page):
    assert client_a.get(reverse(page)).status_code == 404
    assert client_a.post(reverse(page), {}).status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_it_hides_admin_pages_from_a_partner_user(partner_client_a1, page):
    assert partner_client_a1.get(reverse(page)).status_code == 404
    assert partner_client_a1.post(reverse(page), {}).status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_it_hides_admin_pages_from_a_stranger(client_b, page):
    assert client_b.get(reverse(page)).status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_it_sends_anonymous_visitors_to_log_in(client, db, page):
    response = client.get(reverse(page))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("action", ["tenant-user-role", "tenant-user-remove",
                                    "tenant-invitation-revoke", "tenant-api-key-revoke"])
def test_it_answers_404_to_another_tenants_admin(admin_client_b, objects_a, tenant_a,
                                                 manager_a, action):
    response = admin_client_b.post(reverse(action, args=[objects_a[action]]),
                                   {"role": "admin"})
    assert response.status_code == 404
    assert_unchanged(tenant_a, manager_a)


@pytest.mark.parametrize("action", ["tenant-user-role", "tenant-user-remove",
                                    "tenant-invitation-revoke", "tenant-api-key-revoke"])
def test_it_answers_404_to_a_stranger(client_b, objects_a, tenant_a, manager_a, action):
    response = client_b.post(reverse(action, args=[objects_a[action]]), {"role": "admin"})
    assert response.status_code == 404
    assert_unchanged(tenant_a, manager_a)


@pytest.mark.parametrize("action", ["tenant-user-role", "tenant-user-remove",
                                    "tenant-invitation-revoke", "tenant-api-key-revoke"])
def test_it_answers_404_to_a_manager_of_the_tenant(client_a, objects_a, tenant_a, manager_a,
                                                   action):
    response = client_a.post(reverse(action, args=[objects_a[action]]), {"role": "admin"})
    assert response.status_code == 404
    assert_unchanged(tenant_a, manager_a)


@pytest.mark.parametrize("action", ["tenant-user-role", "tenant-user-remove",
                                    "tenant-invitation-revoke", "tenant-api-key-revoke"])
def test_it_answers_404_to_a_partner_user(client, objects_a, partner_user_a1, tenant_a,
                                          manager_a, action):
    client.force_login(partner_user_a1)
    response = client.post(reverse(action, args=[objects_a[action]]), {"role": "admin"})
    assert response.status_code == 404
    assert_unchanged(tenant_a, manager_a)


def test_it_does_not_open_admin_pages_to_an_api_key(api_a):
    assert api_a.get(reverse("tenant-users")).status_code == 302  # to the login page


def test_it_shows_another_tenants_admin_only_their_own_people(admin_client_b, objects_a,
                                                               api_a, api_b):
    users = admin_client_b.get(reverse("tenant-users")).text
    assert "admin@globex.example" in users
    assert "acme.example" not in users
    keys = admin_client_b.get(reverse("tenant-api-keys")).text
    assert api_b.api_key.prefix in keys
    assert api_a.api_key.prefix not in keys
