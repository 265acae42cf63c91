"""Routing policy (versioned), routing decisions (the audit trail) and offers."""

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from leadrouter.tenancy.models import Tenant, TenantOwned


class OfferMode(models.TextChoices):
    CASCADE = "cascade", _("Cascade: one exclusive offer at a time")
    BROADCAST = "broadcast", _("Broadcast: top N at once, first accept wins")
    MANUAL = "manual", _("Manual: a manager confirms the suggestion")


class Exploration(models.TextChoices):
    GREEDY = "greedy", _("Greedy with an exploration budget")
    THOMPSON = "thompson", _("Thompson sampling")


def default_weights() -> dict:
    return {"industry": 1.0, "competency": 1.0, "size": 1.0, "distance": 0.5,
            "certification": 0.5, "level": 0.3}


def default_hard_rules() -> list:
    return ["territory", "certification", "product", "capacity", "deal_band", "status",
            "declined"]


def default_tier_multipliers() -> dict:
    return {"high": 1.2, "moderate": 1.0, "weak": 0.7, "new": 1.0}


class RoutingPolicy(TenantOwned):
    """How a tenant routes. Never edited in place: every change is a new version, and each
    decision points to the version it used."""

    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=now)
    created_by = models.CharField(max_length=200, blank=True)
    weights = models.JSONField(default=default_weights)
    hard_rules = models.JSONField(default=default_hard_rules)
    fit_exponent = models.FloatField(default=1.0, help_text=_("γ in fit^γ"))
    prior_strength = models.FloatField(default=20.0)
    half_life_days = models.PositiveIntegerField(default=180)
    exploration = models.CharField(max_length=16, choices=Exploration.choices,
                                   default=Exploration.GREEDY)
    exploration_rate = models.FloatField(default=0.08)
    exploration_min_closed = models.PositiveIntegerField(default=10)
    use_performance = models.BooleanField(default=True)
    tier_multipliers = models.JSONField(default=default_tier_multipliers)
    mode = models.CharField(max_length=16, choices=OfferMode.choices, default=OfferMode.CASCADE)
    broadcast_count = models.PositiveSmallIntegerField(default=3)
    accept_sla_hours = models.PositiveIntegerField(default=24)
    reminder_fraction = models.FloatField(default=0.75)
    max_attempts = models.PositiveSmallIntegerField(default=3)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="policy_unique_version"),
        ]

    def __str__(self) -> str:
        return f"policy v{self.version}"


class RoutingDecision(TenantOwned):
    """One run of the engine for one lead: the answer to "why did partner X get this lead?"
    and "why did nobody get it?"."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="decisions")
    policy = models.ForeignKey(RoutingPolicy, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    seed = models.BigIntegerField()
    arm = models.CharField(max_length=16, default="main")
    # [{"partner": id, "score": float, "criteria": {name: value}, "contributions": {...}}]
    candidates = models.JSONField(default=list)
    excluded = models.JSONField(default=dict)  # {reason: count}
    eligible_count = models.PositiveIntegerField(default=0)
    chosen = models.JSONField(default=list)  # partner ids, in offer order
    # [[score, choice probability], ...] of each chosen partner, in the order of `chosen`:
    # what its offer records, read without parsing the explanation in `candidates`.
    chosen_scores = models.JSONField(default=list, blank=True)
    # A/B holdout: which arm routed this lead ("main" / "holdout"), empty when no holdout
    # was running. (`arm` above is the engine's exploration arm: greedy / explore / thompson.)
    holdout = models.ForeignKey("RoutingHoldout", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="decisions")
    holdout_arm = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "lead", "-created_at"])]


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    RETURNED = "returned", _("Returned")


class RejectReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", _("No capacity")
    OUTSIDE_TERRITORY = "outside_territory", _("Outside our territory")
    OUTSIDE_COMPETENCE = "outside_competence", _("Outside our competence")
    TOO_SMALL = "too_small", _("Too small")
    TOO_LARGE = "too_large", _("Too large")
    CONFLICT = "conflict", _("Customer known / conflict")
    OTHER = "other", _("Other")


class Offer(TenantOwned):
    # No index of its own: every index below that a query by tenant needs begins with it
    # (one index entry less for each offer written and for each expiry, see benchmarks.md).
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="offers")
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE,
                                related_name="offers")
    decision = models.ForeignKey(RoutingDecision, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="offers")
    rank = models.PositiveSmallIntegerField(default=1)
    score = models.FloatField(default=0.0)
    choice_probability = models.FloatField(default=1.0)
    mode = models.CharField(max_length=16, choices=OfferMode.choices, default=OfferMode.CASCADE)
    status = models.CharField(max_length=16, choices=OfferStatus.choices,
                              default=OfferStatus.PENDING)
    offered_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.CharField(max_length=200, blank=True)
    reject_reason = models.CharField(max_length=24, choices=RejectReason.choices, blank=True)
    reject_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-offered_at", "-id"]
        constraints = [
            # The database, not timing, guarantees one accepted offer per lead.
            models.UniqueConstraint(fields=["lead"], condition=models.Q(status="accepted"),
                                    name="offer_one_accepted_per_lead"),
            models.UniqueConstraint(fields=["lead", "partner"],
                                    condition=models.Q(status="pending"),
                                    name="offer_one_pending_per_partner"),
        ]
        indexes = [
            # The sweep's due offers of a tenant, soonest first (its LIMIT stops early), and
            # which tenants have any (cross-tenant). Partial: an offer leaves it when it is
            # answered or expires, so an expiry's UPDATE writes no entry into it.
            models.Index(fields=["tenant", "expires_at"], name="offer_pending_due",
                         condition=models.Q(status="pending")),
            # The partner's inbox: its pending offers, soonest deadline first (the prefix
            # serves the per-partner counts of open load).
            models.Index(fields=["tenant", "partner", "status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"offer {self.pk} of lead {self.lead_id} to partner {self.partner_id}"


class WebhookEvent(models.TextChoices):
    LEAD_ROUTED = "lead.routed", "lead.routed"
    OFFER_CREATED = "offer.created", "offer.created"
    OFFER_ACCEPTED = "offer.accepted", "offer.accepted"
    OFFER_REJECTED = "offer.rejected", "offer.rejected"
    OFFER_EXPIRED = "offer.expired", "offer.expired"
    LEAD_UNROUTED = "lead.unrouted", "lead.unrouted"
    LEAD_WON = "lead.won", "lead.won"
    LEAD_LOST = "lead.lost", "lead.lost"


class Webhook(TenantOwned):
    """A subscription: events of this tenant are POSTed to `url`, signed with `secret`."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


class WebhookDelivery(TenantOwned):
    """One event for one subscription, with every attempt's outcome: the delivery log."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event = models.CharField(max_length=32)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(default=now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]


# --- A/B holdout and what-if replay (issue 7) ------------------------------------------------

class RoutingHoldout(TenantOwned):
    """An A/B test: while it runs, `share` of the new leads are routed with `policy` (the
    holdout arm) instead of the current version (the main arm); each decision says which."""

    policy = models.ForeignKey(RoutingPolicy, on_delete=models.PROTECT, related_name="+")
    share = models.FloatField(help_text=_("share of leads routed with the holdout policy"))
    started_at = models.DateTimeField(default=now)
    stopped_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant"], condition=models.Q(stopped_at=None),
                                    name="holdout_one_running_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"holdout {self.share:.0%} with policy v{self.policy.version}"


class WhatIfStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class WhatIfRun(TenantOwned):
    """A replay of recent leads through a draft policy (matching/whatif.py): the draft's
    changes against `base` (the version it was drafted from), and what they would do."""

    base = models.ForeignKey(RoutingPolicy, on_delete=models.CASCADE, related_name="+")
    changes = models.JSONField(default=dict)
    lead_count = models.PositiveIntegerField(default=500)
    status = models.CharField(max_length=16, choices=WhatIfStatus.choices,
                              default=WhatIfStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    result = models.JSONField(default=dict, blank=True)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    created_by = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
