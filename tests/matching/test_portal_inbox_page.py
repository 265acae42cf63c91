"""A busy partner's inbox shows the offers that expire first and says how many more wait."""

from datetime import timedelta

from django.db import connection
from django.urls import reverse
from django.utils import timezone

from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer
from matching.portal_views import INBOX_OFFERS
from tests.factories import lead_create


def _busy_inbox(tenant, partner) -> None:
    """Three more pending offers than the inbox shows, expiring an hour apart."""
    now = timezone.now()
    with tenant_scope(tenant):
        for i in range(INBOX_OFFERS + 3):
            lead = lead_create(tenant, company_name=f"Kunde {i:02d}", postal_code="80331")
            Offer.objects.create(tenant=tenant, lead=lead, partner=partner,
                                 expires_at=now + timedelta(hours=1 + i))


def test_it_shows_the_soonest_expiring_offers_and_counts_the_rest(
        partner_client_a1, tenant_a, partner_a1):
    _busy_inbox(tenant_a, partner_a1)

    page = partner_client_a1.get(reverse("portal")).content.decode()

    assert page.count('<article class="card offer"') == INBOX_OFFERS
    assert "3 more open offers" in page or "3 weitere offene Angebote" in page


def test_it_links_each_card_to_its_offer_page_to_decline(partner_client_a1, tenant_a,
                                                         partner_a1):
    with tenant_scope(tenant_a):
        lead = lead_create(tenant_a, postal_code="80331")
        offer = Offer.objects.create(tenant=tenant_a, lead=lead, partner=partner_a1,
                                     expires_at=timezone.now() + timedelta(hours=2))
    offer_page = reverse("portal-offer", args=[offer.pk])

    inbox = partner_client_a1.get(reverse("portal")).text
    assert f'href="{offer_page}#decline"' in inbox
    assert 'name="reason"' not in inbox  # the reason form lives on the offer's page

    page = partner_client_a1.get(offer_page).text
    assert 'id="decline"' in page and 'name="reason"' in page
    assert reverse("portal-offer-reject", args=[offer.pk]) in page


def test_it_pins_the_inbox_query_count(partner_client_a1, tenant_a, partner_a1,
                                       django_assert_num_queries):
    _busy_inbox(tenant_a, partner_a1)
    partner_client_a1.get(reverse("portal"))  # warm: session
    # session, user, membership, the offers with their leads and decisions, the count;
    # + the tenant scope's set_config on PostgreSQL (row-level security)
    with django_assert_num_queries(5 + (4 if connection.vendor == "postgresql" else 0)):
        assert partner_client_a1.get(reverse("portal")).status_code == 200
