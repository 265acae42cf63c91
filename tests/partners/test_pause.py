import datetime

import pytest
import time_machine
from django.urls import reverse

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from partners import services
from partners.models import Partner


def test_it_pauses_until_a_date(scope_a, partner_a1, manager_a):
    services.partner_pause(partner=partner_a1, actor=manager_a,
                           until=datetime.date(2099, 8, 31))
    partner_a1.refresh_from_db()
    assert partner_a1.status == "paused" and partner_a1.paused_until == datetime.date(2099, 8, 31)
    assert AuditEvent.objects.filter(action="partner.paused").exists()


def test_it_resumes(scope_a, partner_a1, manager_a):
    services.partner_pause(partner=partner_a1, actor=manager_a)
    services.partner_resume(partner=partner_a1, actor=manager_a)
    partner_a1.refresh_from_db()
    assert partner_a1.status == "active" and partner_a1.paused_until is None
    assert AuditEvent.objects.filter(action="partner.resumed").exists()


@time_machine.travel("2030-05-10 12:00 +02:00")
def test_it_refuses_a_pause_that_ends_in_the_past(scope_a, partner_a1, manager_a):
    with pytest.raises(DomainError) as raised:
        services.partner_pause(partner=partner_a1, actor=manager_a,
                               until=datetime.date(2030, 5, 9))
    assert "until" in raised.value.fields


def test_it_does_not_pause_or_resume_an_offboarded_partner(scope_a, partner_a1, manager_a):
    services.partner_offboard(partner=partner_a1, actor=manager_a)
    with pytest.raises(DomainError):
        services.partner_pause(partner=partner_a1, actor=manager_a)
    with pytest.raises(DomainError):
        services.partner_resume(partner=partner_a1, actor=manager_a)


def test_it_pauses_from_the_detail_page_with_htmx(client_a, partner_a1, tenant_a):
    response = client_a.post(reverse("partners:pause", args=[partner_a1.pk]),
                             {"until": "2099-01-15"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="partner-status"' in response.text and "<html" not in response.text
    assert "Resume" in response.text
    with tenant_scope(tenant_a):
        assert Partner.objects.get(pk=partner_a1.pk).paused_until == datetime.date(2099, 1, 15)


def test_it_resumes_from_the_detail_page_without_javascript(client_a, partner_a1, tenant_a,
                                                            manager_a):
    with tenant_scope(tenant_a):
        services.partner_pause(partner=partner_a1, actor=manager_a)
    response = client_a.post(reverse("partners:resume", args=[partner_a1.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("partners:detail", args=[partner_a1.pk])
    with tenant_scope(tenant_a):
        assert Partner.objects.get(pk=partner_a1.pk).status == "active"


def test_it_offboards_from_the_detail_page(client_a, partner_a1, tenant_a):
    client_a.post(reverse("partners:offboard", args=[partner_a1.pk]))
    with tenant_scope(tenant_a):
        assert Partner.objects.get(pk=partner_a1.pk).status == "offboarded"


def test_it_shows_a_pause_error_in_the_status_block(client_a, partner_a1):
    response = client_a.post(reverse("partners:pause", args=[partner_a1.pk]),
                             {"until": "2001-01-01"}, HTTP_HX_REQUEST="true")
    assert "cannot end in the past" in response.text

