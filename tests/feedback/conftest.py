"""Feedback fixtures: leads with offers and outcome events written through event_record."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from feedback.events import event_record
from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer
from tests.factories import lead_create


def offer_for(tenant, lead, partner, *, offered_at=None, responded_at=None, status="pending"):
    offered_at = offered_at or timezone.now()
    with tenant_scope(tenant):
        return Offer.objects.create(tenant=tenant, lead=lead, partner=partner, status=status,
                                    offered_at=offered_at, responded_at=responded_at,
                                    expires_at=offered_at + timedelta(hours=24))


def history(tenant, partner, kinds, *, industry="C28", employees=50, value="1000",
            start=None, step=timedelta(hours=1), lead=None):
    """Record events for `partner` on fresh leads: each kind string is one lead's path,
    e.g. "offered accepted won" or "offered expired". Returns the leads."""
    start = start or timezone.now() - timedelta(days=10)
    when = start
    leads = []
    for path in kinds:
        this_lead = lead or lead_create(tenant, industry=industry, employees=employees)
        offer = offer_for(tenant, this_lead, partner, offered_at=when + step)
        with tenant_scope(tenant):
            for kind in path.split():
                when += step
                if kind == "accepted":
                    offer.responded_at = when
                    offer.status = "accepted"
                    offer.save()
                event_record(lead=this_lead, kind=kind, offer=offer, partner=partner,
                             occurred_at=when,
                             reason={"rejected": "no_capacity", "lost": "price"}.get(kind, ""),
                             value=Decimal(value) if kind == "won" else None)
        leads.append(this_lead)
    return leads


@pytest.fixture
def make_history():
    return history
