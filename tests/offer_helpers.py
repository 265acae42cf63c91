"""Building routing decisions by hand, so dispatch can be tested apart from the engine."""

from django.db import transaction

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.dispatch import decision_dispatch
from matching.models import Offer, RoutingDecision, RoutingPolicy


def policy_make(tenant, **fields) -> RoutingPolicy:
    with tenant_scope(tenant):
        version = (RoutingPolicy.objects.order_by("-version").values_list("version", flat=True)
                   .first() or 0) + 1
        return RoutingPolicy.objects.create(tenant=tenant, version=version, **fields)


def dispatch_to(tenant, lead, partners, **policy_fields) -> RoutingDecision:
    """Record a decision that chose `partners` (in order) and dispatch it."""
    policy = policy_make(tenant, **policy_fields)
    with tenant_scope(tenant), transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        decision = RoutingDecision.objects.create(
            tenant=tenant, lead=lead, policy=policy, seed=1,
            candidates=[{"partner": p.pk, "score": 1.0 - i / 10,
                         "criteria": {"industry": 0.9, "distance": 0.5}, "probability": 1.0}
                        for i, p in enumerate(partners)],
            excluded={"territory": 4}, eligible_count=len(partners),
            chosen=[p.pk for p in partners])
        decision_dispatch(lead=lead, decision=decision)
    return decision


def offers_of(tenant, lead) -> list[tuple[int, str]]:
    """(partner id, status) of the lead's offers, oldest first."""
    with tenant_scope(tenant):
        return list(Offer.objects.filter(lead=lead).order_by("id")
                    .values_list("partner_id", "status"))


def lead_fresh(tenant, lead) -> Lead:
    """The lead as the database holds it now."""
    with tenant_scope(tenant):
        return Lead.objects.get(pk=lead.pk)
