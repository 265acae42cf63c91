"""Partner onboarding: a manager invites a partner's people from the partner's page; the
link sets a password and leads into the portal as that partner."""

import re
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.urls import reverse

from leadrouter.tenancy.models import Invitation, Membership, Role
from leadrouter.tenancy.scoping import tenant_scope

NEW_PASSWORD = "violet-kettle-harbour-42"


def _invite(client, capture, partner, emails):
    with capture(execute=True):
        return client.post(reverse("partners:users", args=[partner.pk]), {"emails": emails})


def _link_in(message) -> str:
    match = re.search(r"https?://\S+/invite/[\w-]+/", message.body)
    assert match, message.body
    return urlsplit(match.group(0)).path


def test_it_links_to_portal_users_from_the_partner_page(client_a, partner_a1):
    response = client_a.get(reverse("partners:detail", args=[partner_a1.pk]))
    assert reverse("partners:users", args=[partner_a1.pk]) in response.text
    assert reverse("partners:changes") in response.text


def test_it_invites_several_people_as_users_of_the_partner(
        client_a, tenant_a, partner_a1, mailoutbox, django_capture_on_commit_callbacks):
    response = _invite(client_a, django_capture_on_commit_callbacks, partner_a1,
                       "anna@alpha.example,\nBen@alpha.example")
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == ["anna@alpha.example", "ben@alpha.example"]
    with tenant_scope(tenant_a):
        invitations = Invitation.objects.filter(partner=partner_a1)
        assert {(i.email, i.role) for i in invitations} == {
            ("anna@alpha.example", Role.PARTNER), ("ben@alpha.example", Role.PARTNER)}
    page = client_a.get(reverse("partners:users", args=[partner_a1.pk]))
    assert "anna@alpha.example" in page.text and "ben@alpha.example" in page.text


def test_it_lands_the_invited_person_in_the_portal_as_that_partner(
        client_a, tenant_a, partner_a1, partner_a2, mailoutbox,
        django_capture_on_commit_callbacks):
    _invite(client_a, django_capture_on_commit_callbacks, partner_a1, "anna@alpha.example")
    url = _link_in(mailoutbox[0])
    client_a.logout()

    response = client_a.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
                             follow=True)

    assert response.redirect_chain[-1][0] == reverse("portal")
    user = get_user_model().objects.get(username="anna@alpha.example")
    with tenant_scope(tenant_a):
        membership = Membership.objects.get(user=user)
    assert membership.role == Role.PARTNER and membership.partner_id == partner_a1.pk
    profile = client_a.get(reverse("partners:portal-profile"))
    assert "Alpha Systemhaus" in profile.text and "Beta Technik" not in profile.text


def test_it_refuses_what_is_not_an_address_and_invites_nobody(
        client_a, partner_a1, mailoutbox, django_capture_on_commit_callbacks):
    response = _invite(client_a, django_capture_on_commit_callbacks, partner_a1,
                       "anna@alpha.example, not-an-address")
    assert response.status_code == 200
    assert "not-an-address" in response.text
    assert mailoutbox == []


def test_it_reports_people_who_are_already_members(
        client_a, partner_a1, partner_user_a1, mailoutbox,
        django_capture_on_commit_callbacks):
    response = _invite(client_a, django_capture_on_commit_callbacks, partner_a1,
                       "sales@alpha.example, anna@alpha.example")
    assert [m.to for m in mailoutbox] == [["anna@alpha.example"]]
    page = client_a.get(response["Location"])
    assert "sales@alpha.example" in page.text  # listed as member and named in the error


def test_it_hides_the_invite_page_from_partner_users_and_strangers(
        partner_client_a1, partner_a1, client, manager_b):
    url = reverse("partners:users", args=[partner_a1.pk])
    assert partner_client_a1.get(url).status_code == 404
    assert partner_client_a1.post(url, {"emails": "x@alpha.example"}).status_code == 404
    client.force_login(manager_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"emails": "x@alpha.example"}).status_code == 404
