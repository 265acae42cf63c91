from django.urls import reverse

from leadrouter.tenancy.models import Role
from tests.conftest import PASSWORD
from tests.factories import membership_create


def test_it_sends_a_manager_to_the_dashboard(client_a):
    response = client_a.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert "ACME Maschinen" in client_a.get(reverse("dashboard")).text


def test_it_does_not_let_a_stranger_switch_into_another_tenant(client_b, tenant_a):
    response = client_b.post(reverse("tenant-switch"), {"tenant": tenant_a.pk})
    assert response.status_code == 404
    assert "Globex Werke" in client_b.get(reverse("dashboard")).text


def test_it_switches_between_the_users_own_tenants(client, tenant_a, tenant_b):
    membership_create(tenant_a, "both@example.com", Role.MANAGER, PASSWORD)
    user = membership_create(tenant_b, "both@example.com", Role.MANAGER, PASSWORD).user
    client.force_login(user)
    first = client.get(reverse("dashboard")).text
    assert "ACME Maschinen" in first  # alphabetical first
    client.post(reverse("tenant-switch"), {"tenant": tenant_b.pk})
    page = client.get(reverse("dashboard")).text
    assert "Globex Werke" in page and 'selected>Globex Werke' in page


def test_it_tells_a_user_without_membership_to_ask_for_access(client, django_user_model):
    user = django_user_model.objects.create_user("lost@example.com", "lost@example.com", PASSWORD)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert "does not belong to any manufacturer" in response.text


def test_it_answers_the_health_check(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_it_sends_a_partner_user_to_the_portal(partner_client_a1):
    response = partner_client_a1.get("/")
    assert response["Location"] == reverse("portal")
    assert partner_client_a1.get(reverse("dashboard")).status_code == 404
