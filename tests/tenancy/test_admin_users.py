import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leadrouter.tenancy.models import AuditEvent, Membership, Role
from leadrouter.tenancy.scoping import tenant_scope
from tests.conftest import PASSWORD
from tests.factories import membership_create

# Opening and closing the tenant scope sets app.tenant_id (RLS) on PostgreSQL.
PG_SCOPE_QUERIES = 4 if connection.vendor == "postgresql" else 0

@pytest.fixture
def admin_client_a(client, admin_a):
    client.force_login(admin_a)
    return client


def membership_of(tenant, user) -> Membership:
    with tenant_scope(tenant):
        return Membership.objects.select_related("partner").get(user=user)


def change_role(client, membership, role, partner=""):
    return client.post(reverse("tenant-user-role", args=[membership.pk]),
                       {"role": role, "partner": partner}, follow=True)


def test_it_lists_members_with_role_and_last_login(admin_client_a, admin_a, manager_a,
                                                   partner_user_a1):
    manager_a.last_login = timezone.now()
    manager_a.save()
    page = admin_client_a.get(reverse("tenant-users")).text
    assert "manager@acme.example" in page and "sales@alpha.example" in page
    assert "Alpha Systemhaus" in page
    assert "never" in page  # the partner user never logged in


def test_it_lists_members_with_a_fixed_number_of_queries(admin_client_a, tenant_a,
                                                         partner_a1,
                                                         django_assert_num_queries):
    membership_create(tenant_a, "one@acme.example", Role.MANAGER, PASSWORD)
    admin_client_a.get(reverse("tenant-users"))
    with django_assert_num_queries(7 + PG_SCOPE_QUERIES) as captured:
        admin_client_a.get(reverse("tenant-users"))
    for n in range(5):
        membership_create(tenant_a, f"more{n}@acme.example", Role.PARTNER, PASSWORD,
                          partner=partner_a1)
    with django_assert_num_queries(len(captured)):
        admin_client_a.get(reverse("tenant-users"))


def test_it_changes_a_role(admin_client_a, tenant_a, manager_a):
    membership = membership_of(tenant_a, manager_a)
    change_role(admin_client_a, membership, "admin")
    assert membership_of(tenant_a, manager_a).role == Role.ADMIN
    with tenant_scope(tenant_a):
        event = AuditEvent.objects.get(action="membership.role_change")
    assert event.data["old"]["role"] == "manager" and event.data["new"]["role"] == "admin"


def test_it_makes_a_manager_a_partner_user_of_a_partner(admin_client_a, tenant_a, manager_a,
                                                        partner_a1):
    change_role(admin_client_a, membership_of(tenant_a, manager_a), "partner", partner_a1.pk)
    membership = membership_of(tenant_a, manager_a)
    assert membership.role == Role.PARTNER and membership.partner == partner_a1


def test_it_needs_a_partner_for_the_partner_role(admin_client_a, tenant_a, manager_a):
    response = change_role(admin_client_a, membership_of(tenant_a, manager_a), "partner")
    assert "A partner user needs a partner." in response.text
    assert membership_of(tenant_a, manager_a).role == Role.MANAGER


def test_it_does_not_let_the_last_admin_step_down(admin_client_a, tenant_a, admin_a):
    response = change_role(admin_client_a, membership_of(tenant_a, admin_a), "manager")
    assert "You are the last admin" in response.text
    assert membership_of(tenant_a, admin_a).role == Role.ADMIN


def test_it_does_not_let_the_last_admin_remove_themself(admin_client_a, tenant_a, admin_a):
    membership = membership_of(tenant_a, admin_a)
    response = admin_client_a.post(reverse("tenant-user-remove", args=[membership.pk]),
                                   follow=True)
    assert "You are the last admin" in response.text
    assert membership_of(tenant_a, admin_a).role == Role.ADMIN


def test_it_does_not_count_another_tenants_admins(admin_client_a, tenant_a, tenant_b,
                                                  admin_a):
    membership_create(tenant_b, "admin@globex.example", Role.ADMIN, PASSWORD)
    change_role(admin_client_a, membership_of(tenant_a, admin_a), "manager")
    assert membership_of(tenant_a, admin_a).role == Role.ADMIN


def test_it_lets_an_admin_step_down_when_another_admin_remains(admin_client_a, tenant_a,
                                                               admin_a, manager_a):
    change_role(admin_client_a, membership_of(tenant_a, manager_a), "admin")
    response = admin_client_a.post(
        reverse("tenant-user-role", args=[membership_of(tenant_a, admin_a).pk]),
        {"role": "manager"})
    assert response["Location"] == reverse("home")
    assert membership_of(tenant_a, admin_a).role == Role.MANAGER
    assert admin_client_a.get(reverse("tenant-users")).status_code == 404


def test_it_removes_a_member(admin_client_a, tenant_a, manager_a):
    membership = membership_of(tenant_a, manager_a)
    response = admin_client_a.post(reverse("tenant-user-remove", args=[membership.pk]))
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user=manager_a).exists()
        assert AuditEvent.objects.filter(action="membership.remove").exists()
    removed = Client()
    removed.force_login(manager_a)
    assert removed.get(reverse("dashboard")).status_code == 404


def test_it_drops_the_partner_when_a_partner_user_becomes_manager(admin_client_a, tenant_a,
                                                                  partner_user_a1,
                                                                  partner_a1):
    membership = membership_of(tenant_a, partner_user_a1)
    change_role(admin_client_a, membership, "manager", partner_a1.pk)
    membership = membership_of(tenant_a, partner_user_a1)
    assert membership.role == Role.MANAGER and membership.partner is None
