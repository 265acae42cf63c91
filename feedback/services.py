"""Outcomes reported by partners (portal, API) and CRMs: what became of an accepted lead."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.events import event_record
from feedback.models import LossReason, OutcomeKind
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import audit_record
from leads.models import Lead, LeadStatus
from matching.models import Offer, OfferStatus

PROGRESS_KINDS = (OutcomeKind.CONTACTED, OutcomeKind.QUALIFIED, OutcomeKind.PROPOSAL)
REPORTABLE = (*PROGRESS_KINDS, OutcomeKind.WON, OutcomeKind.LOST, OutcomeKind.RETURNED)
HELD_STATUSES = (LeadStatus.ACCEPTED, LeadStatus.IN_PROGRESS)


def outcome_record(*, lead_id: int, actor, status: str, partner_id: int | None = None,
                   value: Decimal | None = None, reason: str = "",
                   closed_at: datetime | None = None, note: str = "") -> Lead:
    """Record what a partner (or the tenant's CRM, acting for the assigned partner) reports.

    `partner_id` set means the report comes from that partner: it must hold the lead.
    contacted / qualified / proposal move the lead to in progress; won (with value) and lost
    (with a reason) close it; returned hands it back and re-routes it. Anything else — won
    after lost, a report on a lead the partner does not hold — is refused, never overwritten.
    """
    if status not in REPORTABLE:
        raise DomainError(_("Unknown status."), code="invalid", status_code=400,
                          fields={"status": [_("Choose one of: %s.") % ", ".join(REPORTABLE)]})
    if status == OutcomeKind.LOST and reason not in LossReason.values:
        raise DomainError(_("A lost lead needs a reason."), code="invalid", status_code=400,
                          fields={"reason": [
                              _("Choose one of: %s.") % ", ".join(LossReason.values)]})
    if status == OutcomeKind.WON and value is not None and value < 0:
        raise DomainError(_("The won value cannot be negative."), code="invalid", status_code=400,
                          fields={"value": [_("Must be 0 or more.")]})

    with transaction.atomic():
        # The partner comes along (its row is not locked): the event and audit need it.
        lead = (Lead.objects.select_for_update(of=("self",)).select_related("assigned_partner")
                .get(pk=lead_id))
        if partner_id is not None and lead.assigned_partner_id != partner_id:
            raise DomainError(_("This lead is not held by your partner account."),
                              code="not_held", status_code=409)
        if lead.status not in HELD_STATUSES:
            raise DomainError(
                _("The lead is %(status)s; an outcome can only be reported for an accepted "
                  "lead in progress.") % {"status": lead.get_status_display().lower()},
                code="invalid_transition", status_code=409)
        offer = (Offer.objects.filter(lead=lead, status=OfferStatus.ACCEPTED,
                                      partner_id=lead.assigned_partner_id).first())
        partner = lead.assigned_partner
        # Without `closed_at`, the event happens when it is recorded (its own clock reading:
        # at or after the statistics' `now`, so inside any window without reading it).
        when = event_record(lead=lead, kind=status, actor=actor, partner=partner, offer=offer,
                            reason=reason, value=value, note=note,
                            occurred_at=closed_at).occurred_at
        if status in PROGRESS_KINDS:
            lead.status = LeadStatus.IN_PROGRESS
        elif status == OutcomeKind.WON:
            lead.status, lead.closed_at = LeadStatus.WON, when
            if value is not None:
                lead.deal_value = value
        elif status == OutcomeKind.LOST:
            lead.status, lead.closed_at = LeadStatus.LOST, when
            lead.status_reason = reason
        lead.save()
        audit_record(tenant=lead.tenant_id, actor=actor, action=f"lead.{status}", target=lead,
                     data={"partner": partner.pk if partner else None, "reason": reason,
                           "value": str(value) if value is not None else None})
        if status == OutcomeKind.RETURNED:
            from matching.dispatch import lead_return

            lead_return(lead=lead, offer=offer, actor=actor, reason=reason or note)
        elif status in (OutcomeKind.WON, OutcomeKind.LOST):
            from matching.webhooks import webhook_emit

            webhook_emit(tenant_id=lead.tenant_id, event=f"lead.{status}",
                         data={"lead": lead.pk, "partner": partner.pk if partner else None,
                               "value": str(value) if value is not None else None,
                               "reason": reason or None})
    return lead


def feedback_recompute(*, tenant_id: int, now: datetime | None = None) -> dict:
    """Rebuild the statistics, recompute the tiers and run the threshold rules (nightly, on
    demand). Runs in the tenant's scope."""
    from feedback.rules import rules_evaluate
    from feedback.stats import stats_recompute
    from feedback.tiers import tiers_recompute

    now = now or timezone.now()
    rows = stats_recompute(tenant_id=tenant_id, now=now)
    changed = tiers_recompute(tenant_id=tenant_id, now=now)
    actions = rules_evaluate(tenant_id=tenant_id, now=now)
    return {"stats_rows": rows, "tiers_changed": changed, "actions": len(actions)}


# What the Tiers page edits. The tier thresholds are tenant settings, edited with the rest on
# the settings page (feedback.tenant_settings.tier_thresholds_save).
SETTINGS_FIELDS = (
    "window_days", "rule_tier", "rule_pause",
    "pause_after_expiries", "rule_alert", "alert_accept_rate_below", "alert_conversion_below",
    "alert_min_answered", "rule_boost", "boost_close_days", "boost_min_won", "boost_factor",
)


def feedback_settings_update(*, tenant, actor, changes: dict):
    """Change the tenant's statistics window and threshold rules (validated: window ≥ 1 day,
    boost factor > 0). Tier thresholds are not changed here."""
    from feedback.models import TenantFeedbackSettings
    from feedback.tenant_settings import feedback_settings_get

    with transaction.atomic():
        current = feedback_settings_get(tenant=tenant)
        row = TenantFeedbackSettings.objects.select_for_update().get(pk=current.pk)
        for name, value in changes.items():
            if name in SETTINGS_FIELDS:
                setattr(row, name, value)
        errors = {}
        if row.window_days < 1:
            errors["window_days"] = [_("At least one day.")]
        if row.boost_factor <= 0:
            errors["boost_factor"] = [_("Must be more than 0.")]
        if errors:
            raise DomainError(_("Invalid settings."), code="invalid", status_code=400,
                              fields=errors)
        row.save()
        audit_record(tenant=row.tenant_id, actor=actor, action="feedback_settings.updated",
                     target=row, data={"changes": sorted(k for k in changes
                                                         if k in SETTINGS_FIELDS)})
    return row
