import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from leadrouter.tenancy.models import AuditEvent, Invitation, Membership, Role
from leadrouter.tenancy.scoping import tenant_scope
from tests.conftest import PASSWORD
from tests.factories import membership_create

NEW_PASSWORD = "violet-kettle-harbour-42"


@pytest.fixture
def admin_client_a(client, admin_a):
    client.force_login(admin_a)
    return client


def invite(client, capture, email="neu@acme.example", role="manager", partner=""):
    with capture(execute=True):
        return client.post(reverse("tenant-users"),
                           {"email": email, "role": role, "partner": partner})


def link_in(message) -> str:
    match = re.search(r"https?://\S+/invite/[\w-]+/", message.body)
    assert match, message.body
    return urlsplit(match.group(0)).path


def accept(client, url, password=NEW_PASSWORD):
    return client.post(url, {"password1": password, "password2": password})


def test_it_invites_by_email_and_the_link_logs_the_person_in(
        admin_client_a, tenant_a, mailoutbox, django_capture_on_commit_callbacks):
    response = invite(admin_client_a, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["neu@acme.example"]]
    assert "ACME Maschinen" in mailoutbox[0].subject
    url = link_in(mailoutbox[0])
    assert url in mailoutbox[0].alternatives[0].content

    admin_client_a.logout()
    assert admin_client_a.get(url).status_code == 200
    response = accept(admin_client_a, url)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert admin_client_a.get(reverse("dashboard")).status_code == 200  # logged in
    user = get_user_model().objects.get(username="neu@acme.example")
    assert user.check_password(NEW_PASSWORD)
    with tenant_scope(tenant_a):
        assert Membership.objects.get(user=user).role == Role.MANAGER
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"invitation.create", "invitation.accept"} <= actions


def test_it_lets_a_link_be_used_once(admin_client_a, mailoutbox,
                                     django_capture_on_commit_callbacks):
    invite(admin_client_a, django_capture_on_commit_callbacks)
    url = link_in(mailoutbox[0])
    admin_client_a.logout()
    accept(admin_client_a, url)
    admin_client_a.logout()
    assert admin_client_a.get(url).status_code == 410
    assert accept(admin_client_a, url, "another-password-77").status_code == 410
    assert get_user_model().objects.get(username="neu@acme.example").check_password(NEW_PASSWORD)


def test_it_refuses_an_expired_link(admin_client_a, tenant_a, mailoutbox,
                                    django_capture_on_commit_callbacks):
    invite(admin_client_a, django_capture_on_commit_callbacks)
    url = link_in(mailoutbox[0])
    admin_client_a.logout()
    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1)):
        assert admin_client_a.get(url).status_code == 410
        assert accept(admin_client_a, url).status_code == 410
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user__username="neu@acme.example").exists()


def test_it_accepts_a_link_shortly_before_it_expires(admin_client_a, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    invite(admin_client_a, django_capture_on_commit_callbacks)
    url = link_in(mailoutbox[0])
    admin_client_a.logout()
    with time_machine.travel(timezone.now() + timedelta(hours=71, minutes=59)):
        assert accept(admin_client_a, url).status_code == 302


def test_it_stores_only_a_hash_of_the_token(admin_client_a, tenant_a, mailoutbox,
                                            django_capture_on_commit_callbacks):
    invite(admin_client_a, django_capture_on_commit_callbacks)
    token = link_in(mailoutbox[0]).rstrip("/").rsplit("/", 1)[1]
    with tenant_scope(tenant_a):
        invitation = Invitation.objects.get()
    assert invitation.token_hash and token not in invitation.token_hash


def test_it_invites_a_partner_user_for_a_partner(admin_client_a, tenant_a, partner_a1,
                                                 mailoutbox, django_capture_on_commit_callbacks):
    invite(admin_client_a, django_capture_on_commit_callbacks, email="chef@alpha.example",
           role="partner", partner=partner_a1.pk)
    assert "Alpha Systemhaus" in mailoutbox[0].body
    admin_client_a.logout()
    accept(admin_client_a, link_in(mailoutbox[0]))
    with tenant_scope(tenant_a):
        membership = Membership.objects.get(user__username="chef@alpha.example")
    assert membership.role == Role.PARTNER and membership.partner == partner_a1
    assert admin_client_a.get("/")["Location"] == reverse("portal")


def test_it_needs_a_partner_to_invite_a_partner_user(admin_client_a, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    response = invite(admin_client_a, django_capture_on_commit_callbacks, role="partner")
    assert list(response.context["form"].errors) == ["partner"]
    assert mailoutbox == []


def test_it_does_not_invite_a_member_again(admin_client_a, manager_a, mailoutbox,
                                           django_capture_on_commit_callbacks):
    response = invite(admin_client_a, django_capture_on_commit_callbacks,
                      email="Manager@ACME.example")
    assert list(response.context["form"].errors) == ["email"]
    assert mailoutbox == []


def test_it_makes_someone_with_a_login_confirm_their_password(
        admin_client_a, tenant_a, manager_b, mailoutbox, django_capture_on_commit_callbacks):
    invite(admin_client_a, django_capture_on_commit_callbacks, email=manager_b.email)
    url = link_in(mailoutbox[0])
    admin_client_a.logout()
    response = admin_client_a.post(url, {"password1": "attacker-chosen-pass-1"})
    assert list(response.context["form"].errors) == ["password1"]
    assert admin_client_a.post(url, {"password1": PASSWORD}).status_code == 302
    manager_b.refresh_from_db()
    assert manager_b.check_password(PASSWORD)
    with tenant_scope(tenant_a):
        assert Membership.objects.get(user=manager_b).role == Role.MANAGER


def test_it_refuses_a_weak_password(admin_client_a, mailoutbox,
                                    django_capture_on_commit_callbacks):
    invite(admin_client_a, django_capture_on_commit_callbacks)
    admin_client_a.logout()
    response = accept(admin_client_a, link_in(mailoutbox[0]), "12345678")
    assert list(response.context["form"].errors) == ["password1"]


def test_it_sends_only_the_newest_link(admin_client_a, mailoutbox,
                                      django_capture_on_commit_callbacks):
    invite(admin_client_a, django_capture_on_commit_callbacks)
    invite(admin_client_a, django_capture_on_commit_callbacks)
    first, second = link_in(mailoutbox[0]), link_in(mailoutbox[1])
    admin_client_a.logout()
    assert admin_client_a.get(first).status_code == 410
    assert admin_client_a.get(second).status_code == 200


def test_it_withdraws_an_invitation(admin_client_a, tenant_a, mailoutbox,
                                    django_capture_on_commit_callbacks):
    invite(admin_client_a, django_capture_on_commit_callbacks)
    with tenant_scope(tenant_a):
        invitation = Invitation.objects.get()
    assert "neu@acme.example" in admin_client_a.get(reverse("tenant-users")).text
    admin_client_a.post(reverse("tenant-invitation-revoke", args=[invitation.pk]))
    admin_client_a.logout()
    assert admin_client_a.get(link_in(mailoutbox[0])).status_code == 410


def test_it_answers_404_for_an_unknown_link(client, db):
    assert client.get(reverse("invitation-accept", args=["no-such-token"])).status_code == 404


def test_it_keeps_the_invitation_to_its_tenant(client, tenant_a, tenant_b, admin_a, mailoutbox,
                                               django_capture_on_commit_callbacks):
    admin_b = membership_create(tenant_b, "admin@globex.example", Role.ADMIN, PASSWORD).user
    client.force_login(admin_b)
    invite(client, django_capture_on_commit_callbacks, email="neu@globex.example")
    client.logout()
    accept(client, link_in(mailoutbox[0]))
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user__username="neu@globex.example").exists()
    with tenant_scope(tenant_b):
        assert Membership.objects.filter(user__username="neu@globex.example").exists()
