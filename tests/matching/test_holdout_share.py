"""A/B holdout: the configured share of leads, tagged on the decision, and the comparison."""

from datetime import timedelta

from django.utils import timezone
from scipy.stats import binom

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead, LeadStatus
from matching.holdout import (
    HOLDOUT,
    MAIN,
    holdout_arm_of,
    holdout_compare,
    holdout_start,
    holdout_stop,
    wilson_interval,
)
from matching.models import RoutingDecision
from matching.policy import policy_current, policy_update
from tests.matching.whatif_helpers import routed_channel


def test_it_assigns_the_configured_share_within_binomial_bounds(tenant_a):
    with tenant_scope(tenant_a):
        policy_update(tenant=tenant_a, actor="test", changes={"use_performance": False})
        holdout = holdout_start(tenant=tenant_a, actor="test", policy_version=1, share=0.1)
    n = 4000
    in_holdout = sum(holdout_arm_of(holdout=holdout, lead_id=k) == HOLDOUT
                     for k in range(1, n + 1))
    low, high = binom.ppf(0.0005, n, 0.1), binom.ppf(0.9995, n, 0.1)
    assert low <= in_holdout <= high


def test_it_routes_the_holdout_arm_with_the_second_policy(tenant_a):
    with tenant_scope(tenant_a):
        policy_update(tenant=tenant_a, actor="test", changes={"use_performance": False})
        holdout_start(tenant=tenant_a, actor="test", policy_version=1, share=0.5)
    routed_channel(tenant_a, leads=20)
    with tenant_scope(tenant_a):
        decisions = list(RoutingDecision.objects.select_related("policy"))
    arms = {d.holdout_arm for d in decisions}
    assert arms == {MAIN, HOLDOUT}
    for d in decisions:
        assert d.policy.version == (1 if d.holdout_arm == HOLDOUT else 2)


def test_it_tags_nothing_without_a_running_holdout(tenant_a):
    with tenant_scope(tenant_a):
        policy_current(tenant=tenant_a)
        holdout_start(tenant=tenant_a, actor="test", policy_version=1, share=0.5)
        holdout_stop(tenant=tenant_a, actor="test")
    routed_channel(tenant_a, leads=4)
    with tenant_scope(tenant_a):
        assert set(RoutingDecision.objects.values_list("holdout_arm", flat=True)) == {""}


def test_it_compares_the_arms_with_intervals(tenant_a):
    with tenant_scope(tenant_a):
        policy_current(tenant=tenant_a)
        holdout = holdout_start(tenant=tenant_a, actor="test", policy_version=1, share=0.5)
    routed_channel(tenant_a, leads=16)
    with tenant_scope(tenant_a):
        now = timezone.now()
        for k, lead in enumerate(Lead.objects.all()):
            Lead.objects.filter(pk=lead.pk).update(
                status=LeadStatus.WON if k % 3 == 0 else LeadStatus.LOST,
                accepted_at=lead.received_at + timedelta(hours=2 + k), closed_at=now)
        comparison = holdout_compare(holdout=holdout)
    main, hold = comparison["arms"]
    assert main.leads + hold.leads == 16
    for arm in (main, hold):
        assert arm.conversion_low <= arm.conversion <= arm.conversion_high
        assert arm.hours_low <= arm.hours_to_accept <= arm.hours_high
    assert comparison["difference_low"] <= comparison["difference"]


def test_it_refuses_a_share_above_half_or_an_unknown_version(tenant_a):
    import pytest

    from leadrouter.api_errors import DomainError

    with tenant_scope(tenant_a):
        policy_current(tenant=tenant_a)
        with pytest.raises(DomainError) as excinfo:
            holdout_start(tenant=tenant_a, actor="test", policy_version=9, share=0.7)
    assert set(excinfo.value.fields) == {"share", "policy_version"}


def test_it_computes_a_wilson_interval():
    low, high = wilson_interval(10, 100)
    assert 0.05 < low < 0.1 < high < 0.18
