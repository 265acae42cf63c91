"""Reads of offers for the partner portal, the managers' queues and the API."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from leads.models import Lead, LeadStatus
from matching.models import Offer, OfferStatus

HELD = (LeadStatus.ACCEPTED, LeadStatus.IN_PROGRESS, LeadStatus.WON, LeadStatus.LOST)


def partner_offers_open(*, partner_id: int) -> QuerySet[Offer]:
    """The partner's pending offers, soonest deadline first, with what an inbox card shows:
    the lead's facts (not its contact data) and the decision's candidates (for "why you")."""
    return (Offer.objects.filter(partner_id=partner_id, status=OfferStatus.PENDING,
                                 expires_at__gt=timezone.now())
            .select_related("lead", "decision")
            .only("partner_id", "status", "expires_at", "lead__industry", "lead__employees",
                  "lead__postal_code", "lead__city", "lead__country", "lead__deal_value",
                  "lead__currency", "lead__products", "lead__competencies",
                  "decision__candidates")
            .order_by("expires_at"))


def get_offer_for_partner(*, offer_id: int, partner_id: int) -> Offer:
    offer = (Offer.objects.select_related("lead", "decision")
             .filter(pk=offer_id, partner_id=partner_id).first())
    if offer is None:
        raise Http404
    return offer


def partner_leads(*, partner_id: int) -> QuerySet[Lead]:
    """Leads this partner holds (accepted, in progress, closed by it)."""
    return (Lead.objects.filter(assigned_partner_id=partner_id, status__in=HELD)
            .order_by("-accepted_at", "-id"))


def get_lead_for_partner(*, lead_id: int, partner_id: int) -> Lead:
    lead = partner_leads(partner_id=partner_id).filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    return lead


def contact_visible_to(*, lead: Lead, partner_id: int | None) -> bool:
    """Contact data is the accepting partner's, and only while it holds the lead."""
    return partner_id is not None and lead.assigned_partner_id == partner_id \
        and lead.status in HELD


def unrouted_leads() -> QuerySet[Lead]:
    return Lead.objects.filter(status=LeadStatus.UNROUTED).order_by("-received_at")


def manual_leads() -> QuerySet[Lead]:
    """Leads whose decision waits for a manager (manual mode)."""
    return Lead.objects.filter(status=LeadStatus.ROUTING).order_by("received_at")


def top_criteria(offer: Offer, limit: int = 3) -> list[tuple[str, float]]:
    """Why this partner was matched, from the decision — without naming other partners."""
    if offer.decision is None:
        return []
    for candidate in offer.decision.candidates:
        if candidate.get("partner") == offer.partner_id:
            criteria = candidate.get("criteria", {})
            numeric = [(k, float(v)) for k, v in criteria.items()
                       if isinstance(v, (int, float))]
            return sorted(numeric, key=lambda item: -item[1])[:limit]
    return []
