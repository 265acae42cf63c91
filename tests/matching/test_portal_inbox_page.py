"""A busy partner's inbox shows the offers that expire first and says how many more wait."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer
from matching.portal_views import INBOX_OFFERS
from tests.factories import lead_create


def test_it_shows_the_soonest_expiring_offers_and_counts_the_rest(
        partner_client_a1, tenant_a, partner_a1):
    now = timezone.now()
    with tenant_scope(tenant_a):
        for i in range(INBOX_OFFERS + 3):
            lead = lead_create(tenant_a, company_name=f"Kunde {i:02d}", postal_code="80331")
            Offer.objects.create(tenant=tenant_a, lead=lead, partner=partner_a1,
                                 expires_at=now + timedelta(hours=1 + i))

    page = partner_client_a1.get(reverse("portal")).content.decode()

    assert page.count('<article class="card offer"') == INBOX_OFFERS
    assert "3 more open offers" in page or "3 weitere offene Angebote" in page
