"""The tiers the feedback loop keeps (rule promotions, manager overrides) steer routing."""

from feedback.models import PartnerTier
from leadrouter.tenancy.scoping import tenant_scope
from matching.partner_table import partner_table_invalidate
from matching.policy import policy_current, policy_update
from matching.routing import lead_route
from tests.factories import lead_create, partner_create


def _twins(tenant):
    partners = [partner_create(tenant, name=f"Twin {i}", capacity=50) for i in range(2)]
    with tenant_scope(tenant):
        for partner in partners:
            partner.territories.create(tenant=tenant, country="DE")
    return partners


def test_it_prefers_the_partner_whose_stored_tier_is_high(tenant_a):
    weak, high = _twins(tenant_a)
    with tenant_scope(tenant_a):
        policy_current(tenant=tenant_a)
        policy_update(tenant=tenant_a, actor="t", changes={
            "exploration_rate": 0.0,
            "tier_multipliers": {"high": 3.0, "weak": 0.2, "new": 1.0, "moderate": 1.0}})
        PartnerTier.objects.create(tenant=tenant_a, partner=weak, tier="weak")
        PartnerTier.objects.create(tenant=tenant_a, partner=high, tier="high")
        partner_table_invalidate(tenant_a.pk)
        decision = lead_route(lead=lead_create(tenant_a), seed=1)
    top = decision.candidates[0]
    assert top["partner"] == high.pk and top["tier"] == "high"
