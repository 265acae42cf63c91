"""The routing policy: defaults, versions, validation, engine parameters."""

import pytest

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from matching.models import RoutingPolicy
from matching.policy import policy_current, policy_params, policy_update


def test_it_creates_version_one_with_defaults_for_a_new_tenant(tenant_a):
    with tenant_scope(tenant_a):
        policy = policy_current(tenant=tenant_a)
        assert policy.version == 1 and policy.mode == "cascade"
        assert policy_current(tenant=tenant_a).pk == policy.pk


def test_it_saves_every_change_as_a_new_version(tenant_a, manager_a):
    with tenant_scope(tenant_a):
        first = policy_current(tenant=tenant_a)
        second = policy_update(tenant=tenant_a, actor=manager_a,
                               changes={"weights": {"distance": 2.0}, "mode": "broadcast"})
        assert second.version == 2 and second.weights["distance"] == 2.0
        assert second.weights["industry"] == first.weights["industry"]  # merged
        assert second.mode == "broadcast" and second.created_by == "manager@acme.example"
        first.refresh_from_db()
        assert first.mode == "cascade"  # the old version stays as it was
        assert AuditEvent.objects.filter(action="routing_policy.updated").count() == 1


def test_it_refuses_unknown_settings(tenant_a, manager_a):
    with tenant_scope(tenant_a), pytest.raises(DomainError) as error:
        policy_update(tenant=tenant_a, actor=manager_a, changes={"colour": "blue"})
    assert error.value.status_code == 400 and list(error.value.fields) == ["colour"]
    with tenant_scope(tenant_a):
        assert not RoutingPolicy.objects.filter(version__gt=1).exists()


def test_it_refuses_unknown_criteria_and_rules(tenant_a, manager_a):
    with tenant_scope(tenant_a), pytest.raises(DomainError) as error:
        policy_update(tenant=tenant_a, actor=manager_a, changes={
            "weights": {"charm": 1.0}, "hard_rules": ["territory", "astrology"]})
    assert set(error.value.fields) == {"weights", "hard_rules"}
    assert "charm" in error.value.fields["weights"][0]


def test_it_refuses_out_of_range_values_per_field(tenant_a, manager_a):
    with tenant_scope(tenant_a), pytest.raises(DomainError) as error:
        policy_update(tenant=tenant_a, actor=manager_a, changes={
            "weights": {"industry": -1}, "exploration_rate": 2, "max_attempts": 0})
    assert set(error.value.fields) == {"weights", "exploration_rate", "max_attempts"}
    assert "industry" in error.value.fields["weights"][0]


def test_it_hands_the_engine_the_policys_parameters(tenant_a, manager_a):
    with tenant_scope(tenant_a):
        policy = policy_update(tenant=tenant_a, actor=manager_a, changes={
            "hard_rules": ["territory", "language"], "exploration": "thompson",
            "tier_multipliers": {"high": 1.5}})
    params = policy_params(policy)
    assert params.hard_rules == frozenset({"territory", "language"})
    assert params.exploration == "thompson" and params.tier_multipliers["high"] == 1.5
    assert params.tier_multipliers["weak"] == 0.7
