"""Tier thresholds are tenant settings: edited on the settings page in per cent, saved with
the rest in one transaction, validated field by field and audited."""

import pytest
from django.urls import reverse

from feedback.tenant_settings import feedback_settings_get
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.admin_services import tenant_settings_update
from leadrouter.tenancy.models import AuditEvent, Role
from leadrouter.tenancy.scoping import tenant_scope
from tests.conftest import PASSWORD
from tests.factories import membership_create
from tests.tenancy.test_admin_settings import valid


@pytest.fixture
def admin_client_a(client, admin_a):
    client.force_login(admin_a)
    return client


def thresholds(tenant) -> tuple[float, float, int]:
    with tenant_scope(tenant):
        row = feedback_settings_get(tenant=tenant)
    return row.tier_weak, row.tier_high, row.new_min_closed


def post(client, **changes):
    return client.post(reverse("tenant-settings"), valid(**changes))


def test_it_shows_the_thresholds_in_per_cent(admin_client_a):
    page = admin_client_a.get(reverse("tenant-settings")).text
    assert 'name="tier_weak" value="5"' in page
    assert 'name="tier_high" value="15"' in page
    assert 'name="new_min_closed" value="5"' in page


def test_it_saves_new_thresholds(admin_client_a, tenant_a):
    response = post(admin_client_a, locale="en", tier_weak="7.5", tier_high="20",
                    new_min_closed="3")
    assert response.status_code == 302
    assert thresholds(tenant_a) == (0.075, 0.2, 3)
    page = admin_client_a.get(reverse("tenant-settings")).text
    assert 'name="tier_weak" value="7.5"' in page


def test_it_accepts_the_edges(admin_client_a, tenant_a):
    response = post(admin_client_a, tier_weak="0", tier_high="100", new_min_closed="0")
    assert response.status_code == 302
    assert thresholds(tenant_a) == (0.0, 1.0, 0)


def test_it_reads_a_german_decimal_comma(admin_client_a, tenant_a):
    tenant_a.locale = "de"
    tenant_a.save(update_fields=["locale"])
    response = post(admin_client_a, tier_weak="4,5", tier_high="12,5")
    assert response.status_code == 302
    assert thresholds(tenant_a)[:2] == (0.045, 0.125)
    assert 'name="tier_high" value="12,5"' in admin_client_a.get(reverse("tenant-settings")).text


@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"tier_weak": "15", "tier_high": "15"}, "tier_weak", "below the high performer threshold"),
    ({"tier_weak": "20", "tier_high": "10"}, "tier_weak", "below the high performer threshold"),
    ({"tier_high": "100.5"}, "tier_high", "100"),
    ({"tier_weak": "-1"}, "tier_weak", "0"),
    ({"tier_weak": "abc"}, "tier_weak", "number"),
    ({"tier_high": ""}, "tier_high", "required"),
    ({"new_min_closed": "-1"}, "new_min_closed", "0"),
    ({"new_min_closed": "1001"}, "new_min_closed", "1000"),
])
def test_it_refuses_a_bad_threshold_on_its_field(admin_client_a, tenant_a, changes, field, says):
    response = post(admin_client_a, name="Renamed", **changes)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert says in " ".join(errors[field])
    assert says in response.text
    assert thresholds(tenant_a) == (0.05, 0.15, 5)
    tenant_a.refresh_from_db()
    assert tenant_a.name == "ACME Maschinen"  # nothing of the form was saved


def test_it_audits_thresholds_with_the_other_settings(admin_client_a, tenant_a):
    post(admin_client_a, tier_high="20")
    with tenant_scope(tenant_a):
        event = AuditEvent.objects.get(action="tenant.settings_update")
    assert event.actor == "admin@acme.example"
    assert event.data["changes"]["tier_high"] == [0.15, 0.2]
    assert event.data["changes"]["name"] == ["ACME Maschinen", "ACME Maschinen AG"]
    assert "tier_weak" not in event.data["changes"]


def test_it_writes_no_audit_event_when_the_thresholds_are_unchanged(admin_client_a, tenant_a):
    post(admin_client_a)
    post(admin_client_a)
    with tenant_scope(tenant_a):
        assert AuditEvent.objects.filter(action="tenant.settings_update").count() == 1


def test_it_saves_nothing_when_the_service_refuses_a_threshold(admin_a, tenant_a):
    """A weak threshold above the stored high one is refused by the service too (API or
    another caller), and the other settings of the same call stay unsaved."""
    with tenant_scope(tenant_a), pytest.raises(DomainError) as refused:
        tenant_settings_update(tenant=tenant_a, actor=admin_a,
                               changes={"name": "Renamed", "tier_weak": 0.2})
    assert list(refused.value.fields) == ["tier_weak"]
    tenant_a.refresh_from_db()
    assert tenant_a.name == "ACME Maschinen"
    assert thresholds(tenant_a) == (0.05, 0.15, 5)


def test_it_changes_only_the_own_tenants_thresholds(client, tenant_a, tenant_b):
    admin_b = membership_create(tenant_b, "admin@globex.example", Role.ADMIN, PASSWORD).user
    client.force_login(admin_b)
    response = client.post(reverse("tenant-settings"), valid(name="Globex", tier_high="30"))
    assert response.status_code == 302
    assert thresholds(tenant_b)[1] == 0.3
    assert thresholds(tenant_a) == (0.05, 0.15, 5)


@pytest.mark.parametrize("persona", ["manager_b", "manager_a", "partner_user_a1"])
def test_it_answers_404_to_people_who_are_no_admin_here(client, tenant_a, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("tenant-settings")).status_code == 404
    response = post(client, tier_high="40")
    assert response.status_code == 404
    assert thresholds(tenant_a) == (0.05, 0.15, 5)


def test_it_shows_the_thresholds_on_the_tiers_page_without_a_second_form(admin_client_a,
                                                                         tenant_a):
    post(admin_client_a, locale="en", tier_weak="4", tier_high="20")
    page = admin_client_a.get(reverse("feedback:tiers")).text
    assert "weak below 4.0 %, high from 20.0 %" in page
    assert reverse("tenant-settings") in page
    assert 'name="tier_high"' not in page


def test_it_ignores_thresholds_posted_to_the_tiers_page(admin_client_a, tenant_a):
    response = admin_client_a.post(reverse("feedback:tiers"), {
        "window_days": "90", "tier_high": "0.5", "pause_after_expiries": "3",
        "alert_accept_rate_below": "0.3", "alert_conversion_below": "0.05",
        "alert_min_answered": "10", "boost_close_days": "14", "boost_min_won": "3",
        "boost_factor": "1.2"})
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        assert feedback_settings_get(tenant=tenant_a).window_days == 90
    assert thresholds(tenant_a) == (0.05, 0.15, 5)
