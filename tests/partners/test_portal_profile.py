import datetime

from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from partners import services
from partners.models import Partner


def _post(**changes) -> dict:
    data = {"capacity": "4", "notification_email": "new@alpha.example", "vacation_until": ""}
    data.update(changes)
    return data


def test_it_shows_the_partners_own_profile(partner_client_a1, partner_a1, partner_a2):
    response = partner_client_a1.get(reverse("partners:portal-profile"))
    assert response.status_code == 200
    assert "Alpha Systemhaus" in response.text and "Beta Technik" not in response.text
    assert 'value="offers@alpha.example"' in response.text


def test_it_changes_capacity_and_notification_email(partner_client_a1, partner_a1, tenant_a):
    response = partner_client_a1.post(reverse("partners:portal-profile"), _post())
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        partner = Partner.objects.get(pk=partner_a1.pk)
    assert partner.capacity == 4 and partner.notification_email == "new@alpha.example"
    assert partner.status == "active"


def test_it_pauses_for_a_vacation_and_resumes(partner_client_a1, partner_a1, tenant_a):
    partner_client_a1.post(reverse("partners:portal-profile"),
                           _post(on_vacation="on", vacation_until="2099-08-20"))
    with tenant_scope(tenant_a):
        partner = Partner.objects.get(pk=partner_a1.pk)
    assert partner.status == "paused" and partner.paused_until == datetime.date(2099, 8, 20)
    partner_client_a1.post(reverse("partners:portal-profile"), _post())
    with tenant_scope(tenant_a):
        partner = Partner.objects.get(pk=partner_a1.pk)
    assert partner.status == "active" and partner.paused_until is None


def test_it_shows_errors_and_changes_nothing(partner_client_a1, partner_a1, tenant_a):
    response = partner_client_a1.post(reverse("partners:portal-profile"),
                                      _post(capacity="4", on_vacation="on",
                                            vacation_until="2001-01-01"))
    assert response.status_code == 200 and "Pick today or a later date" in response.text
    assert "<dd>10 open leads at once</dd>" in response.text  # the stored profile
    with tenant_scope(tenant_a):
        partner = Partner.objects.get(pk=partner_a1.pk)
    assert partner.capacity == 10 and partner.status == "active"


def test_it_ignores_fields_the_partner_may_not_change(partner_client_a1, partner_a1, tenant_a):
    partner_client_a1.post(reverse("partners:portal-profile"),
                           _post(name="Renamed", level="platinum"))
    with tenant_scope(tenant_a):
        partner = Partner.objects.get(pk=partner_a1.pk)
    assert partner.name == "Alpha Systemhaus" and partner.level == "registered"


def test_it_shows_an_offboarded_profile_read_only(partner_client_a1, partner_a1, tenant_a,
                                                  manager_a):
    with tenant_scope(tenant_a):
        services.partner_offboard(partner=partner_a1, actor=manager_a)
    response = partner_client_a1.get(reverse("partners:portal-profile"))
    assert "can no longer be changed" in response.text
    partner_client_a1.post(reverse("partners:portal-profile"), _post())
    with tenant_scope(tenant_a):
        assert Partner.objects.get(pk=partner_a1.pk).capacity == 10
