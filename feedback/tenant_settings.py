"""The tenant's feedback settings: tier thresholds and threshold rules."""

import copy
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.formats import number_format
from django.utils.translation import gettext

from feedback.models import TenantFeedbackSettings
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.models import Tenant
from leadrouter.transaction_memo import memo_forget, transaction_memo


def feedback_settings_get(*, tenant: Tenant | int) -> TenantFeedbackSettings:
    """The tenant's settings row; created with the defaults on first use. Read once per
    transaction (stats, rules and tiers of one event all ask): a copy each time, so a
    caller that changes its copy changes nobody else's. A saved change is seen at once
    (the memo is dropped on save); a queryset `.update()` in the same transaction is not."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    found = transaction_memo(("feedback_settings", tenant_id),
                             lambda: _feedback_settings_read(tenant_id))
    return copy.copy(found)


def _feedback_settings_read(tenant_id: int) -> TenantFeedbackSettings:
    found = TenantFeedbackSettings.objects.filter(tenant_id=tenant_id).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return TenantFeedbackSettings.objects.create(tenant_id=tenant_id)
    except IntegrityError:  # created concurrently
        return TenantFeedbackSettings.objects.get(tenant_id=tenant_id)


@receiver(post_save, sender=TenantFeedbackSettings, dispatch_uid="feedback_settings_saved")
@receiver(post_delete, sender=TenantFeedbackSettings, dispatch_uid="feedback_settings_deleted")
def _feedback_settings_changed(sender, instance: TenantFeedbackSettings, **kwargs) -> None:
    # Cache invalidation only (no business logic): the next read in this transaction sees
    # the change.
    memo_forget(("feedback_settings", instance.tenant_id))


# --- tier thresholds (edited on the tenant settings page) --------------------------------------

# The thresholds `feedback.tiers.tier_for` applies; the tenant settings page edits them
# (leadrouter.tenancy.admin_services.tenant_settings_update), in one save with the rest.
TIER_THRESHOLD_FIELDS = ("tier_weak", "tier_high", "new_min_closed")
MAX_NEW_MIN_CLOSED = 1000


def tier_thresholds_problems(*, weak: float, high: float, min_closed: int
                             ) -> dict[str, list[str]]:
    """{field: [problem]} of a set of thresholds ({} when they fit): both rates between 0 and
    1, weak strictly below high (else no partner could be moderate), N closed leads ≥ 0."""
    problems: dict[str, list[str]] = {}
    for name, value in (("tier_weak", weak), ("tier_high", high)):
        if not 0 <= value <= 1:
            problems[name] = [gettext("Enter a share between 0 and 100 %.")]
    if not problems and weak >= high:
        problems["tier_weak"] = [
            gettext("Must be below the high performer threshold (%(high)s %%).")
            % {"high": _percent_text(high)}]
    if not 0 <= min_closed <= MAX_NEW_MIN_CLOSED:
        problems["new_min_closed"] = [
            gettext("Enter a number from 0 to %(max)s.") % {"max": MAX_NEW_MIN_CLOSED}]
    return problems


def _percent_text(share: float) -> str:
    """0.125 → "12.5" (German "12,5"), 0.15 → "15": as the settings form shows it."""
    return number_format(Decimal(f"{round(share * 100, 2):g}"), use_l10n=True)


def tier_thresholds_save(*, tenant_id: int, changes: dict) -> dict[str, list]:
    """Store new tier thresholds inside the caller's transaction; returns {field: [old, new]}
    of what changed. The row is locked and the result checked as a whole (a new weak
    threshold against the stored high one); DomainError with per-field problems otherwise.
    The computed tiers follow at the next recompute (nightly, or "Recompute now")."""
    unknown = set(changes) - set(TIER_THRESHOLD_FIELDS)
    if unknown:
        raise ValueError(f"not a tier threshold: {', '.join(sorted(unknown))}")
    current = feedback_settings_get(tenant=tenant_id)
    row = TenantFeedbackSettings.objects.select_for_update().get(pk=current.pk)
    merged = {name: changes.get(name, getattr(row, name)) for name in TIER_THRESHOLD_FIELDS}
    problems = tier_thresholds_problems(weak=merged["tier_weak"], high=merged["tier_high"],
                                        min_closed=merged["new_min_closed"])
    if problems:
        raise DomainError(gettext("Invalid tier thresholds."), code="invalid",
                          status_code=400, fields=problems)
    diff = {name: [getattr(row, name), value] for name, value in changes.items()
            if getattr(row, name) != value}
    if diff:
        for name, (_old, new) in diff.items():
            setattr(row, name, new)
        row.save(update_fields=[*diff, "updated_at"])
    return diff
