"""What became of each lead: append-only outcome events, from which statistics derive."""

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from leadrouter.tenancy.models import Tenant, TenantOwned


class OutcomeKind(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    RETURNED = "returned", _("Returned")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    PROPOSAL = "proposal", _("Proposal")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class LossReason(models.TextChoices):
    PRICE = "price", _("Price")
    COMPETITOR = "competitor", _("Competitor")
    NO_BUDGET = "no_budget", _("No budget")
    UNREACHABLE = "unreachable", _("Unreachable")
    NOT_A_FIT = "not_a_fit", _("Not a fit")
    TIMING = "timing", _("Timing")
    OTHER = "other", _("Other")


class OutcomeEvent(TenantOwned):
    """Append-only: never updated, never deleted (erasure removes PII from leads, not these)."""

    # The tenant and the offer carry no foreign-key constraint in the database, and the
    # offer no index: each was a check per event at commit (the sweep writes two events per
    # expiry) for a reference the application takes from the row it has just written or
    # locked in the same transaction (the offer's own tenant and id), and tenants and offers
    # are never deleted (an ORM delete still cascades / sets NULL: Django does that, not the
    # constraint). No query looks events up by offer. The lead and partner keep theirs.
    # tests/matching/test_sweep_fanout.py checks that no event points at a missing row.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False, db_index=False)
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="events")
    partner = models.ForeignKey("partners.Partner", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="events")
    offer = models.ForeignKey("matching.Offer", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="events",
                              db_constraint=False, db_index=False)
    kind = models.CharField(max_length=16, choices=OutcomeKind.choices)
    reason = models.CharField(max_length=24, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=now)
    recorded_at = models.DateTimeField(default=now)
    actor = models.CharField(max_length=200, blank=True)
    # accepted: seconds from the offer to the accept; won/lost: from the accept to the close.
    # Copied from the offer when the event is written, so speed medians need no join.
    seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "partner", "kind", "occurred_at"]),
            # The dashboard's period aggregates.
            models.Index(fields=["tenant", "occurred_at"], name="outcome_tenant_occurred"),
            # On PostgreSQL migration 0009 recreates it INCLUDE (partner_id, seconds): the
            # dashboard's medians then read the index alone (SQLite has no INCLUDE).
            models.Index(fields=["tenant", "kind", "occurred_at"],
                         name="outcome_tenant_kind_occurred"),
            # Events recorded after the rollup's watermark (feedback.rollup).
            models.Index(fields=["tenant", "recorded_at"], name="outcome_tenant_recorded"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} lead {self.lead_id}"


class Tier(models.TextChoices):
    HIGH = "high", _("High performer")
    MODERATE = "moderate", _("Moderate performer")
    WEAK = "weak", _("Weak performer")
    NEW = "new", _("New (too few closed leads)")


TIER_ORDER = {Tier.WEAK: 0, Tier.NEW: 1, Tier.MODERATE: 1, Tier.HIGH: 2}


class StatsPeriod(models.TextChoices):
    ALL = "all", _("All time")
    WINDOW = "window", _("Sliding window")


OVERALL = ""  # the segment value of a partner's overall statistics row


class TenantFeedbackSettings(TenantOwned):
    """A tenant's tier thresholds and threshold rules (each switchable). One row per tenant,
    created with the defaults on first use (`feedback.settings.feedback_settings_get`)."""

    window_days = models.PositiveIntegerField(default=180)
    tier_high = models.FloatField(default=0.15, help_text=_("posterior conversion ≥ this: high"))
    tier_weak = models.FloatField(default=0.05, help_text=_("posterior conversion < this: weak"))
    new_min_closed = models.PositiveIntegerField(
        default=5, help_text=_("partners with fewer closed leads are 'new'"))
    # Rules
    rule_tier = models.BooleanField(default=True, help_text=_(
        "promote / demote the routing tier when the computed tier changes"))
    rule_pause = models.BooleanField(default=True, help_text=_(
        "pause a partner that let several offers in a row expire"))
    pause_after_expiries = models.PositiveIntegerField(default=3)
    rule_alert = models.BooleanField(default=True, help_text=_(
        "e-mail the managers when a partner's accept rate or conversion drops"))
    alert_accept_rate_below = models.FloatField(default=0.30)
    alert_conversion_below = models.FloatField(default=0.05)
    alert_min_answered = models.PositiveIntegerField(
        default=10, help_text=_("answered offers (or closed leads) before an alert can fire"))
    rule_boost = models.BooleanField(default=True, help_text=_(
        "boost a partner whose median time to close is short"))
    boost_close_days = models.PositiveIntegerField(default=14)
    boost_min_won = models.PositiveIntegerField(default=3)
    boost_factor = models.FloatField(default=1.2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"],
                                               name="feedback_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"feedback settings of tenant {self.tenant_id}"


class PartnerStats(TenantOwned):
    """Derived from OutcomeEvent: one row per partner × segment × period. Segment "" is the
    partner's overall row; the segment is the lead's industry sector × size class.

    Updated by `feedback.stats.stats_apply_many` on every event and rebuilt by
    `feedback.stats.stats_recompute` (nightly, and `manage.py recompute_stats`); the two agree.
    Durations are kept as a bounded, sorted list of [epoch, seconds] pairs (the most recent
    DURATION_CAP), from which the medians are derived; see docs/feedback.md.
    """

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE,
                                related_name="stats")
    segment = models.CharField(max_length=24, blank=True)
    period = models.CharField(max_length=8, choices=StatsPeriod.choices)
    offers = models.PositiveIntegerField(default=0)
    accepts = models.PositiveIntegerField(default=0)
    rejects = models.PositiveIntegerField(default=0)
    expiries = models.PositiveIntegerField(default=0)
    returns = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    reject_reasons = models.JSONField(default=dict, blank=True)
    loss_reasons = models.JSONField(default=dict, blank=True)
    accept_durations = models.JSONField(default=list, blank=True)
    close_durations = models.JSONField(default=list, blank=True)
    median_accept_seconds = models.FloatField(null=True, blank=True)
    median_close_seconds = models.FloatField(null=True, blank=True)
    expiry_streak = models.PositiveIntegerField(
        default=0, help_text=_("offers expired in a row (reset by an accept or reject)"))
    last_expired_event = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "partner", "segment", "period"],
                                               name="partner_stats_unique_row")]
        indexes = [models.Index(fields=["tenant", "period", "segment"])]

    def __str__(self) -> str:
        return f"stats of partner {self.partner_id} {self.segment or 'overall'} {self.period}"

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def answered(self) -> int:
        return self.accepts + self.rejects + self.expiries

    @property
    def accept_rate(self) -> float | None:
        return self.accepts / self.answered if self.answered else None

    @property
    def conversion_closed(self) -> float | None:
        return self.won / self.closed if self.closed else None

    @property
    def conversion_accepted(self) -> float | None:
        return self.won / self.accepts if self.accepts else None


class PartnerTier(TenantOwned):
    """A partner's tier: `computed` from the data at the last recompute, `tier` the one
    routing uses (set by the promote/demote rule or a manager), and a speed boost."""

    partner = models.OneToOneField("partners.Partner", on_delete=models.CASCADE,
                                   related_name="tier_state")
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.NEW)
    computed = models.CharField(max_length=16, choices=Tier.choices, default=Tier.NEW)
    posterior = models.FloatField(null=True, blank=True,
                                  help_text=_("posterior conversion p(accept)·p(win)"))
    closed = models.PositiveIntegerField(default=0)
    boost = models.FloatField(default=1.0)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "partner"],
                                               name="partner_tier_unique")]

    def __str__(self) -> str:
        return f"partner {self.partner_id}: {self.tier}"


class TierChange(TenantOwned):
    """History of a partner's routing tier."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE,
                                related_name="tier_changes")
    from_tier = models.CharField(max_length=16, choices=Tier.choices)
    to_tier = models.CharField(max_length=16, choices=Tier.choices)
    posterior = models.FloatField(null=True, blank=True)
    closed = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=16, help_text=_("rule, manager or reversal"))
    actor = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return f"partner {self.partner_id}: {self.from_tier} → {self.to_tier}"


class Rule(models.TextChoices):
    TIER = "tier", _("Promote / demote")
    PAUSE = "pause", _("Pause after expiries")
    ALERT_ACCEPT = "alert_accept", _("Accept-rate alert")
    ALERT_CONVERSION = "alert_conversion", _("Conversion alert")
    BOOST = "boost", _("Fast-closer boost")


class RuleAction(TenantOwned):
    """One automatic action of a threshold rule, with its reason; a manager can reverse it.

    A rule fires at most once per (partner, rule, key) while the action is open; the action
    is closed (`ended_at`) when its condition no longer holds, so the rule can fire again
    later. A reversed action stays open, which keeps the rule from undoing the manager.
    """

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE,
                                related_name="rule_actions")
    rule = models.CharField(max_length=20, choices=Rule.choices)
    key = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=32)
    reason = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)
    ended_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "partner", "rule", "ended_at"]),
                   models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.rule} {self.action} partner {self.partner_id}"

    @property
    def is_reversible(self) -> bool:
        return self.reversed_at is None and self.action in REVERSIBLE_ACTIONS


REVERSIBLE_ACTIONS = ("promote", "demote", "pause", "boost", "alert")


class OutcomeRollup(TenantOwned):
    """Event counts of a block of 2**level tenant-local days starting on `day`, per partner
    (null: events without a partner, or of a deleted partner). Derived from OutcomeEvent by
    feedback.rollup; read by the dashboard for the whole days of a period.

    Level 0 rows are days; a level L row is the sum of its two level L-1 halves, so any
    range of days is at most two blocks per level (docs/feedback.md, "Rollup").
    """

    level = models.PositiveSmallIntegerField()
    day = models.DateField(help_text=_("the block's first day (tenant-local)"))
    partner = models.ForeignKey("partners.Partner", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    offered = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    other = models.PositiveIntegerField(default=0, help_text=_(
        "contacted, qualified, proposal"))
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        indexes = [models.Index(fields=["tenant", "level", "day"], name="rollup_block")]

    def __str__(self) -> str:
        return f"rollup {self.day} +{2 ** self.level}d partner {self.partner_id}"


class RollupState(TenantOwned):
    """What the tenant's OutcomeRollup rows hold: every event recorded before
    `settled_before` whose tenant-local day (in `time_zone`) is on or before `through_day`.
    One row per tenant; changed only together with the rows, in one transaction."""

    time_zone = models.CharField(max_length=64)
    through_day = models.DateField(null=True, blank=True)
    settled_before = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"],
                                               name="rollup_state_one_per_tenant")]

    def __str__(self) -> str:
        return f"rollup of tenant {self.tenant_id} through {self.through_day}"
