"""What became of each lead: append-only outcome events, from which statistics derive."""

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from leadrouter.tenancy.models import TenantOwned


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

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="events")
    partner = models.ForeignKey("partners.Partner", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="events")
    offer = models.ForeignKey("matching.Offer", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="events")
    kind = models.CharField(max_length=16, choices=OutcomeKind.choices)
    reason = models.CharField(max_length=24, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=now)
    recorded_at = models.DateTimeField(default=now)
    actor = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "partner", "kind", "occurred_at"]),
            models.Index(fields=["tenant", "lead", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} lead {self.lead_id}"
