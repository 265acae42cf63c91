"""Every main page of a German user is German: no English UI string is left on it.

The English strings are the catalogue's msgids that read differently in German, so a new
template or view string that is not marked for translation (and therefore not in the
catalogue) is caught once someone adds it to the catalogue, and any marked string whose
translation is missing shows up in English and fails here.
"""

import re

import pytest
from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer
from tests.factories import lead_create
from tests.i18n.conftest import english_leftovers, english_ui_strings
from tests.offer_helpers import dispatch_to


@pytest.fixture
def german_admin_client(client, german_tenant, admin_a):
    client.force_login(admin_a)
    return client


@pytest.fixture
def offered(german_tenant, partner_a1):
    lead = lead_create(german_tenant, industry="C28", products=["X5"], deal_value="123456.78")
    dispatch_to(german_tenant, lead, [partner_a1])
    with tenant_scope(german_tenant):
        return lead, Offer.objects.get(lead=lead)


def test_it_knows_a_good_number_of_english_strings():
    strings = english_ui_strings()
    assert len(strings) > 500
    assert "Log out" in strings and "Open offers" in strings


@pytest.mark.parametrize("url_name", [
    "feedback:overview", "leads:list", "partners:list", "unrouted", "matching:policy",
    "tenant-settings", "tenant-users", "tenant-api-keys", "audit-log",
    "feedback:leaderboard", "feedback:romi", "feedback:tiers", "leads:new", "leads:import",
    "webhooks",
])
def test_it_shows_manager_pages_without_english_strings(
        german_admin_client, partner_a1, offered, url_name):
    response = german_admin_client.get(reverse(url_name))
    assert response.status_code == 200
    assert english_leftovers(response.text) == []


def test_it_shows_the_lead_and_partner_detail_without_english_strings(
        german_admin_client, partner_a1, offered):
    lead, _offer = offered
    for url in (reverse("leads:detail", args=[lead.pk]),
                reverse("partners:detail", args=[partner_a1.pk]),
                reverse("partners:edit", args=[partner_a1.pk])):
        response = german_admin_client.get(url)
        assert response.status_code == 200, url
        assert english_leftovers(response.text) == [], url


def test_it_shows_the_partner_portal_without_english_strings(
        partner_client_a1, german_tenant, offered):
    _lead, offer = offered
    for url in (reverse("portal"), reverse("portal-offer", args=[offer.pk]),
                reverse("portal-leads"), reverse("partners:portal-profile"),
                reverse("feedback:portal-performance")):
        response = partner_client_a1.get(url)
        assert response.status_code == 200, url
        assert english_leftovers(response.text) == [], url


def test_it_shows_the_offer_card_in_german_with_german_amounts(
        partner_client_a1, german_tenant, offered):
    page = partner_client_a1.get(reverse("portal")).text
    assert "Annehmen" in page and "Ablehnen" in page
    assert "123.457\u00a0€" in page
    assert "Accept" not in page
    # the card's time left and why-you line, formatted in the view: German words, comma decimals
    assert re.search(r"noch \d+\xa0(Minuten|Stunden?)", page)
    why = re.search(r"<dt>Warum Sie</dt><dd>([^<]*)</dd>", page)
    assert why and re.fullmatch(r"([^,]+ \d,\d\d)(, [^,]+ \d,\d\d)*", why.group(1)), why
