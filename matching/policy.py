"""The tenant's routing policy: read the current version, change it (always a new version),
and hand it to the engine as PolicyParams."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import actor_label, audit_record
from leadrouter.tenancy.models import Tenant
from matching.engine import FIT_CRITERIA, RULES, PolicyParams
from matching.engine.types import FACTOR_WEIGHTS, TIERS
from matching.models import Exploration, OfferMode, RoutingPolicy

EDITABLE_FIELDS = (
    "weights", "hard_rules", "fit_exponent", "prior_strength", "half_life_days",
    "exploration", "exploration_rate", "exploration_min_closed", "use_performance",
    "tier_multipliers", "mode", "broadcast_count", "accept_sla_hours", "reminder_fraction",
    "max_attempts",
)
WEIGHT_NAMES = FIT_CRITERIA + FACTOR_WEIGHTS
MAX_WEIGHT = 10.0
MAX_TIER_MULTIPLIER = 5.0


class StrictFloatField(serializers.FloatField):
    """A number, and not a boolean (which Python would happily read as 0 or 1)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false in JSON; 0, 1, "yes" and friends are refused."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class PolicyChanges(serializers.Serializer):
    """What may be changed in a policy, with its limits. Every field is optional; `weights`
    and `tier_multipliers` are merged into the current ones key by key."""

    weights = serializers.DictField(
        child=StrictFloatField(min_value=0.0, max_value=MAX_WEIGHT), required=False,
        help_text="criterion → weight (0–10): " + ", ".join(WEIGHT_NAMES))
    hard_rules = serializers.ListField(
        child=serializers.ChoiceField(choices=RULES), required=False, allow_empty=True,
        help_text="rules that exclude; the others only lower the score")
    fit_exponent = StrictFloatField(min_value=0.0, max_value=5.0, required=False)
    prior_strength = StrictFloatField(min_value=0.1, max_value=1000.0, required=False)
    half_life_days = StrictIntegerField(min_value=1, max_value=3650, required=False)
    exploration = serializers.ChoiceField(choices=Exploration.choices, required=False)
    exploration_rate = StrictFloatField(min_value=0.0, max_value=0.5, required=False)
    exploration_min_closed = StrictIntegerField(min_value=0, max_value=1000,
                                                      required=False)
    use_performance = StrictBooleanField(required=False)
    tier_multipliers = serializers.DictField(
        child=StrictFloatField(min_value=0.0, max_value=MAX_TIER_MULTIPLIER),
        required=False, help_text="tier → multiplier (0–5): " + ", ".join(TIERS))
    mode = serializers.ChoiceField(choices=OfferMode.choices, required=False)
    broadcast_count = StrictIntegerField(min_value=1, max_value=20, required=False)
    accept_sla_hours = StrictIntegerField(min_value=1, max_value=720, required=False)
    reminder_fraction = StrictFloatField(min_value=0.0, max_value=1.0, required=False)
    max_attempts = StrictIntegerField(min_value=1, max_value=20, required=False)

    def validate_weights(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(WEIGHT_NAMES))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown criteria: %(names)s. Known: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(WEIGHT_NAMES)})
        return value

    def validate_tier_multipliers(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(TIERS))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown tiers: %(names)s. Known: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(TIERS)})
        return value

    def validate_hard_rules(self, value: list) -> list:
        return [rule for rule in RULES if rule in set(value)]  # canonical order, no repeats

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("Not a policy setting.")] for name in unknown})
        return super().to_internal_value(data)


def policy_current(*, tenant: Tenant) -> RoutingPolicy:
    """The tenant's newest policy version; a new tenant gets version 1 with the defaults."""
    policy = RoutingPolicy.objects.filter(tenant=tenant).order_by("-version").first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return RoutingPolicy.objects.create(tenant=tenant, version=1, created_by="system")
    except IntegrityError:  # created concurrently
        return RoutingPolicy.objects.filter(tenant=tenant).order_by("-version").first()


def policy_versions(*, tenant: Tenant, limit: int = 20) -> list[RoutingPolicy]:
    return list(RoutingPolicy.objects.filter(tenant=tenant).order_by("-version")[:limit])


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):  # a dict field: one message per bad key
        return [f"{key}: {message}" for key, msgs in errors.items()
                for message in _messages(msgs)]
    if isinstance(errors, list):
        return [message for item in errors for message in _messages(item)]
    return [str(errors)]


def policy_validate(changes) -> dict:
    """Validated changes, or DomainError (400) with a message per field."""
    serializer = PolicyChanges(data=changes)
    if not serializer.is_valid():
        errors = serializer.errors
        fields = {name: _messages(msgs) for name, msgs in errors.items()}
        if list(fields) == ["non_field_errors"]:
            raise DomainError(" ".join(fields["non_field_errors"]), code="invalid",
                              status_code=400)
        raise DomainError(_("Invalid policy settings: %(names)s.")
                          % {"names": ", ".join(fields)},
                          code="invalid", status_code=400, fields=fields)
    return dict(serializer.validated_data)


def policy_draft(*, base: RoutingPolicy, changes: dict) -> RoutingPolicy:
    """An unsaved policy: `base` with validated `changes` applied (for previews)."""
    values = {name: getattr(base, name) for name in EDITABLE_FIELDS}
    for name, value in policy_validate(changes).items():
        if name in ("weights", "tier_multipliers"):
            values[name] = {**(values[name] or {}), **value}
        else:
            values[name] = value
    return RoutingPolicy(tenant_id=base.tenant_id, version=base.version + 1, **values)


def policy_update(*, tenant: Tenant, actor, changes: dict) -> RoutingPolicy:
    """Save `changes` as a new policy version (the old one stays: decisions point to it).

    Raises DomainError (400, per-field messages) for invalid settings."""
    with transaction.atomic():
        current = policy_current(tenant=tenant)
        # Serialise concurrent updates of one tenant on its current version row.
        current = RoutingPolicy.objects.select_for_update().get(pk=current.pk)
        latest = RoutingPolicy.objects.filter(tenant=tenant).order_by("-version").first()
        draft = policy_draft(base=latest, changes=changes)
        draft.created_by = actor_label(actor)
        draft.save()
        audit_record(tenant=tenant, actor=actor, action="routing_policy.updated",
                     target=draft, data={"version": draft.version,
                                         "changes": sorted(policy_validate(changes))})
    return draft


def policy_params(policy: RoutingPolicy) -> PolicyParams:
    """The engine's view of a policy version."""
    defaults = PolicyParams()
    return PolicyParams(
        weights={**defaults.weights, **(policy.weights or {})},
        hard_rules=frozenset(policy.hard_rules or []),
        fit_exponent=policy.fit_exponent,
        prior_strength=policy.prior_strength,
        half_life_days=float(policy.half_life_days),
        use_performance=policy.use_performance,
        exploration=policy.exploration,
        exploration_rate=policy.exploration_rate,
        exploration_min_closed=policy.exploration_min_closed,
        tier_multipliers={**defaults.tier_multipliers, **(policy.tier_multipliers or {})},
        mode=policy.mode,
        broadcast_count=policy.broadcast_count,
        max_attempts=policy.max_attempts,
    )
