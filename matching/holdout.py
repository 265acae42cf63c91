"""A/B holdout: route a share of the new leads with a second policy version and compare the
two arms, so a tenant can show that a policy change works.

Assignment is a deterministic hash of (holdout, lead): a lead routed again (returned,
re-routed by a manager) stays in its arm, and the share holds within binomial noise.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import actor_label, audit_record
from leadrouter.tenancy.models import Tenant
from leads.models import Lead, LeadStatus
from matching.models import RoutingDecision, RoutingHoldout, RoutingPolicy

MAIN, HOLDOUT = "main", "holdout"
MAX_SHARE = 0.5
Z95 = 1.959964


def holdout_running(*, tenant_id: int) -> RoutingHoldout | None:
    return (RoutingHoldout.objects.filter(tenant_id=tenant_id, stopped_at=None)
            .select_related("policy").first())


def holdout_arm_of(*, holdout: RoutingHoldout, lead_id: int) -> str:
    """`holdout` for a share of leads, by a hash of (holdout, lead) mapped to [0, 1)."""
    digest = hashlib.blake2b(f"{holdout.pk}:{lead_id}".encode(), digest_size=8).digest()
    u = int.from_bytes(digest, "big") / 2.0 ** 64
    return HOLDOUT if u < holdout.share else MAIN


def holdout_policy_for(*, lead_id: int, current: RoutingPolicy,
                       holdout: RoutingHoldout | None
                       ) -> tuple[RoutingPolicy, RoutingHoldout | None, str]:
    """(policy to route with, the running holdout or None, arm or "") for a lead, given the
    tenant's current policy and running holdout (read once for a whole routing batch)."""
    if holdout is None:
        return current, None, ""
    arm = holdout_arm_of(holdout=holdout, lead_id=lead_id)
    return (holdout.policy if arm == HOLDOUT else current), holdout, arm


def holdout_start(*, tenant: Tenant, actor, policy_version: int, share: float
                  ) -> RoutingHoldout:
    """Start routing `share` of new leads with policy `policy_version` (stops a running
    holdout first). Raises DomainError for an unknown version or a share outside (0, 0.5]."""
    errors = {}
    if not 0 < share <= MAX_SHARE:
        errors["share"] = [_("Between 1 % and 50 %.")]
    policy = RoutingPolicy.objects.filter(tenant=tenant, version=policy_version).first()
    if policy is None:
        errors["policy_version"] = [_("No such policy version.")]
    if errors:
        raise DomainError(_("Invalid holdout settings."), code="invalid", status_code=400,
                          fields=errors)
    with transaction.atomic():
        now = timezone.now()
        RoutingHoldout.objects.select_for_update().filter(
            tenant=tenant, stopped_at=None).update(stopped_at=now)
        holdout = RoutingHoldout.objects.create(tenant=tenant, policy=policy, share=share,
                                                started_at=now,
                                                created_by=actor_label(actor))
        audit_record(tenant=tenant, actor=actor, action="routing_holdout.started",
                     target=holdout, data={"policy_version": policy_version, "share": share})
    return holdout


def holdout_stop(*, tenant: Tenant, actor) -> RoutingHoldout | None:
    """Stop the running holdout (its decisions and comparison stay)."""
    with transaction.atomic():
        holdout = (RoutingHoldout.objects.select_for_update()
                   .filter(tenant=tenant, stopped_at=None).first())
        if holdout is None:
            return None
        holdout.stopped_at = timezone.now()
        holdout.save(update_fields=["stopped_at"])
        audit_record(tenant=tenant, actor=actor, action="routing_holdout.stopped",
                     target=holdout)
    return holdout


# --- Comparison --------------------------------------------------------------------------

def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (sound for small n and rates near 0)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(values: list[float], z: float = Z95) -> tuple[float, float, float]:
    """(mean, low, high): normal-approximation 95 % interval of a mean."""
    if not values:
        return 0.0, 0.0, 0.0
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, mean, mean
    half = z * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


@dataclass
class ArmStats:
    arm: str
    policy_version: int
    leads: int
    accepted: int
    closed: int
    won: int
    conversion: float  # won / closed
    conversion_low: float
    conversion_high: float
    accept_rate: float  # accepted / routed
    accept_low: float
    accept_high: float
    hours_to_accept: float  # mean
    hours_low: float
    hours_high: float


def holdout_compare(*, holdout: RoutingHoldout) -> dict:
    """Per arm: leads, acceptance and conversion (won / closed) with 95 % Wilson intervals,
    mean hours to acceptance with a 95 % interval; and the difference in conversion
    (holdout − main) with a normal-approximation 95 % interval. Two queries."""
    rows = (RoutingDecision.objects.filter(holdout=holdout)
            .values_list("lead_id", "holdout_arm", "policy__version"))
    arm_of: dict[int, tuple[str, int]] = {}
    for lead_id, arm, version in rows:
        arm_of.setdefault(lead_id, (arm, version))  # a re-routed lead keeps its arm
    leads = (Lead.objects.filter(pk__in=list(arm_of))
             .values_list("pk", "status", "received_at", "accepted_at"))
    tallies = {arm: {"leads": 0, "accepted": 0, "closed": 0, "won": 0, "hours": [],
                     "version": None} for arm in (MAIN, HOLDOUT)}
    for pk, status, received_at, accepted_at in leads:
        arm, version = arm_of[pk]
        t = tallies.setdefault(arm, {"leads": 0, "accepted": 0, "closed": 0, "won": 0,
                                     "hours": [], "version": None})
        t["version"] = version
        t["leads"] += 1
        held = accepted_at is not None or status in (LeadStatus.WON, LeadStatus.LOST)
        if held:
            t["accepted"] += 1
            if accepted_at is not None:
                t["hours"].append((accepted_at - received_at).total_seconds() / 3600)
        if status in (LeadStatus.WON, LeadStatus.LOST):
            t["closed"] += 1
            t["won"] += status == LeadStatus.WON
    arms = []
    for arm in (MAIN, HOLDOUT):
        t = tallies[arm]
        conv_low, conv_high = wilson_interval(t["won"], t["closed"])
        acc_low, acc_high = wilson_interval(t["accepted"], t["leads"])
        hours, hours_low, hours_high = mean_interval(t["hours"])
        arms.append(ArmStats(
            arm=arm, policy_version=t["version"] or (
                holdout.policy.version if arm == HOLDOUT else 0),
            leads=t["leads"], accepted=t["accepted"], closed=t["closed"], won=t["won"],
            conversion=t["won"] / t["closed"] if t["closed"] else 0.0,
            conversion_low=conv_low, conversion_high=conv_high,
            accept_rate=t["accepted"] / t["leads"] if t["leads"] else 0.0,
            accept_low=acc_low, accept_high=acc_high,
            hours_to_accept=hours, hours_low=hours_low, hours_high=hours_high))
    main, hold = arms
    diff = hold.conversion - main.conversion
    se = math.sqrt(sum(a.conversion * (1 - a.conversion) / a.closed
                       for a in arms if a.closed)) if main.closed and hold.closed else None
    return {
        "holdout": holdout, "arms": arms, "difference": diff,
        "difference_low": None if se is None else diff - Z95 * se,
        "difference_high": None if se is None else diff + Z95 * se,
        "significant": se is not None and abs(diff) > Z95 * se,
    }
