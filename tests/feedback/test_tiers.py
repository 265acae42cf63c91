"""Tiers from the posterior conversion, at the thresholds' edges."""

import pytest

from feedback.models import PartnerTier, Tier, TierChange
from feedback.rules import rules_evaluate
from feedback.tiers import partner_tier, tier_for, tiers_for_tenant, tiers_recompute
from leadrouter.tenancy.scoping import tenant_scope

EDGES = dict(high=0.15, weak=0.05, min_closed=5)


@pytest.mark.parametrize("conversion,closed,expected", [
    (0.15, 5, Tier.HIGH), (0.1499, 5, Tier.MODERATE), (0.05, 5, Tier.MODERATE),
    (0.0499, 5, Tier.WEAK), (0.9, 4, Tier.NEW), (0.0, 4, Tier.NEW), (0.0, 5, Tier.WEAK),
])
def test_it_applies_the_thresholds_at_their_edges(conversion, closed, expected):
    assert tier_for(conversion=conversion, closed=closed, **EDGES) == expected


def test_it_computes_a_high_tier_from_many_wins(tenant_a, partner_a1, partner_a2,
                                                make_history):
    make_history(tenant_a, partner_a1, ["offered accepted won"] * 30)
    make_history(tenant_a, partner_a2, ["offered accepted lost"] * 120)
    with tenant_scope(tenant_a):
        tiers_recompute(tenant_id=tenant_a.pk)
        states = {t.partner_id: t for t in PartnerTier.objects.all()}
    assert states[partner_a1.pk].computed == Tier.HIGH
    assert states[partner_a2.pk].computed == Tier.WEAK
    assert states[partner_a1.pk].posterior > 0.15 > 0.05 > states[partner_a2.pk].posterior
    assert states[partner_a1.pk].tier == Tier.NEW  # routing moves only by the rule


def test_it_keeps_a_partner_new_below_the_minimum_closed(tenant_a, partner_a1, make_history):
    make_history(tenant_a, partner_a1, ["offered accepted won"] * 4)
    with tenant_scope(tenant_a):
        tiers_recompute(tenant_id=tenant_a.pk)
        assert PartnerTier.objects.get(partner=partner_a1).computed == Tier.NEW


def test_it_promotes_by_the_rule_with_history(tenant_a, partner_a1, make_history):
    make_history(tenant_a, partner_a1, ["offered accepted won"] * 30)
    with tenant_scope(tenant_a):
        tiers_recompute(tenant_id=tenant_a.pk)
        actions = rules_evaluate(tenant_id=tenant_a.pk)
        assert [a.action for a in actions if a.rule == "tier"] == ["promote"]
        assert partner_tier(partner_a1.pk) == Tier.HIGH
        assert tiers_for_tenant() == {partner_a1.pk: Tier.HIGH}
        change = TierChange.objects.get()
        assert (change.from_tier, change.to_tier, change.source) == ("new", "high", "rule")


def test_it_reads_new_for_an_unknown_partner(tenant_a, partner_a1):
    with tenant_scope(tenant_a):
        assert partner_tier(partner_a1.pk) == Tier.NEW
