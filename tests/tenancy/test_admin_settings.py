import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from leadrouter.tenancy.business_hours import tenant_sla_deadline
from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope

BERLIN = ZoneInfo("Europe/Berlin")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def admin_client_a(client, admin_a):
    client.force_login(admin_a)
    return client


def valid(**changes) -> dict:
    data = {
        "name": "ACME Maschinen AG", "timezone": "Europe/Berlin", "currency": "EUR",
        "locale": "de", "closed_lead_retention_days": "365", "duplicate_window_days": "14",
        "business_days": ["0", "1", "2", "3", "4"], "business_start": "08:00",
        "business_end": "18:00", "sla_business_hours_only": "on",
        "tier_weak": "5", "tier_high": "15", "new_min_closed": "5",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post(client, **changes):
    return client.post(reverse("tenant-settings"), valid(**changes))


def test_it_shows_the_settings_to_an_admin(admin_client_a):
    response = admin_client_a.get(reverse("tenant-settings"))
    assert response.status_code == 200
    assert 'value="ACME Maschinen"' in response.text
    assert 'value="Europe/Berlin"' in response.text


def test_it_saves_the_settings(admin_client_a, tenant_a):
    response = post(admin_client_a)
    assert response.status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.name == "ACME Maschinen AG"
    assert tenant_a.locale == "de"
    assert tenant_a.closed_lead_retention_days == 365
    assert tenant_a.duplicate_window_days == 14
    assert tenant_a.business_hours == {"weekdays": [0, 1, 2, 3, 4], "start": "08:00",
                                       "end": "18:00"}
    assert tenant_a.sla_business_hours_only is True


def test_it_audits_what_changed(admin_client_a, tenant_a):
    post(admin_client_a)
    with tenant_scope(tenant_a):
        event = AuditEvent.objects.get(action="tenant.settings_update")
    assert event.actor == "admin@acme.example"
    assert event.data["changes"]["name"] == ["ACME Maschinen", "ACME Maschinen AG"]
    assert event.data["changes"]["duplicate_window_days"] == [30, 14]
    assert "currency" not in event.data["changes"]


def test_it_writes_no_audit_event_when_nothing_changed(admin_client_a, tenant_a):
    post(admin_client_a)
    post(admin_client_a)
    with tenant_scope(tenant_a):
        assert AuditEvent.objects.filter(action="tenant.settings_update").count() == 1


@pytest.mark.parametrize(("field", "value"), [
    ("timezone", "Europe/Atlantis"),
    ("currency", "EURO"),
    ("locale", "fr"),
    ("closed_lead_retention_days", "5"),
    ("duplicate_window_days", "-1"),
    ("name", ""),
])
def test_it_refuses_a_bad_value_on_its_field(admin_client_a, tenant_a, field, value):
    response = post(admin_client_a, **{field: value})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    tenant_a.refresh_from_db()
    assert tenant_a.name == "ACME Maschinen"


def test_it_refuses_business_hours_that_end_before_they_start(admin_client_a):
    response = post(admin_client_a, business_start="18:00", business_end="08:00")
    assert list(response.context["form"].errors) == ["business_end"]


def test_it_refuses_business_hours_without_days(admin_client_a):
    response = post(admin_client_a, business_days=None, sla_business_hours_only=None)
    assert list(response.context["form"].errors) == ["business_days"]


def test_it_refuses_to_count_business_hours_that_are_not_set(admin_client_a):
    response = post(admin_client_a, business_days=None, business_start="", business_end="")
    assert list(response.context["form"].errors) == ["sla_business_hours_only"]


def test_it_clears_business_hours(admin_client_a, tenant_a):
    post(admin_client_a)
    post(admin_client_a, business_days=None, business_start="", business_end="",
         sla_business_hours_only=None)
    tenant_a.refresh_from_db()
    assert tenant_a.business_hours is None and tenant_a.sla_business_hours_only is False


def test_it_stores_an_uploaded_logo(admin_client_a, tenant_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = valid()
    data["logo"] = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    admin_client_a.post(reverse("tenant-settings"), data)
    tenant_a.refresh_from_db()
    assert tenant_a.logo == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert tenant_a.logo in admin_client_a.get(reverse("tenant-settings")).text


def test_it_refuses_a_logo_that_is_not_an_image(admin_client_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = valid()
    data["logo"] = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>",
                                      content_type="image/png")
    response = admin_client_a.post(reverse("tenant-settings"), data)
    assert list(response.context["form"].errors) == ["logo"]


def test_it_counts_only_business_hours_over_a_weekend(admin_client_a, tenant_a):
    post(admin_client_a)
    tenant_a.refresh_from_db()
    with time_machine.travel(datetime(2026, 3, 6, 17, 0, tzinfo=BERLIN), tick=False):
        deadline = tenant_sla_deadline(tenant_a, timezone.now(), 24)
    assert deadline == datetime(2026, 3, 11, 11, 0, tzinfo=BERLIN)  # Wednesday
