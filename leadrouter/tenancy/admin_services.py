"""Writes of the tenant administration: settings, members' roles, API keys.

Invitations live in leadrouter.tenancy.invitations. Every change here is audited.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from feedback.tenant_settings import TIER_THRESHOLD_FIELDS, tier_thresholds_save
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.api_keys import IssuedKey, api_key_create, api_key_revoke
from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.business_hours import business_hours_normalize, timezone_is_valid
from leadrouter.tenancy.models import ApiKey, Membership, Role, Tenant

SETTINGS_FIELDS = (
    "name", "logo", "timezone", "currency", "locale", "closed_lead_retention_days",
    "duplicate_window_days", "business_hours", "sla_business_hours_only",
)


def tenant_settings_update(*, tenant: Tenant, actor, changes: dict) -> list[str]:
    """Store the settings in `changes` (field → value); returns the names that changed.

    Fields of the Tenant (SETTINGS_FIELDS) and the tier thresholds (kept with the feedback
    settings, TIER_THRESHOLD_FIELDS, shares 0–1) are saved together in one transaction: a
    refused threshold leaves everything as it was. One audit event keeps old and new value
    of each changed field.
    """
    unknown = set(changes) - set(SETTINGS_FIELDS) - set(TIER_THRESHOLD_FIELDS)
    if unknown:
        raise ValueError(f"not a tenant setting: {', '.join(sorted(unknown))}")
    thresholds = {name: changes[name] for name in TIER_THRESHOLD_FIELDS if name in changes}
    changes = {name: value for name, value in changes.items() if name in SETTINGS_FIELDS}
    if "timezone" in changes and not timezone_is_valid(changes["timezone"]):
        raise DomainError(_("Unknown time zone."), code="invalid", status_code=400,
                          fields={"timezone": [_("Unknown time zone.")]})
    if changes.get("business_hours") is not None:
        changes = {**changes, "business_hours": business_hours_normalize(changes["business_hours"])}
    if changes.get("sla_business_hours_only") and not changes.get(
            "business_hours", tenant.business_hours):
        raise DomainError(_("Set business hours before counting SLAs in them."),
                          code="invalid", status_code=400,
                          fields={"sla_business_hours_only": [_("Set business hours first.")]})
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        diff = {name: [getattr(locked, name), value] for name, value in changes.items()
                if getattr(locked, name) != value}
        threshold_diff = (tier_thresholds_save(tenant_id=locked.pk, changes=thresholds)
                          if thresholds else {})
        if not diff and not threshold_diff:
            return []
        for name, (_old, new) in diff.items():
            setattr(locked, name, new)
        if diff:
            locked.save(update_fields=list(diff))
        # The logo itself is too big for the trail; that it changed is enough.
        logged = {name: (["…", "…"] if name == "logo" else values)
                  for name, values in (diff | threshold_diff).items()}
        audit_record(tenant=locked, actor=actor, action="tenant.settings_update", target=locked,
                     data={"changes": logged})
    for name, (_old, new) in diff.items():
        setattr(tenant, name, new)
    return [*diff, *threshold_diff]


def _admins_left_after(membership: Membership) -> int:
    """Admins of the tenant other than `membership`, counted under lock so two admins
    demoting each other at once cannot leave the tenant without one."""
    admins = list(Membership.objects.select_for_update().filter(role=Role.ADMIN)
                  .values_list("pk", flat=True))
    return len([pk for pk in admins if pk != membership.pk])


def _last_admin_error(membership: Membership, actor) -> DomainError:
    if getattr(actor, "pk", None) == membership.user_id:
        message = _("You are the last admin. Make someone else admin before you step down.")
    else:
        message = _("%(email)s is the last admin. Make someone else admin first.") % {
            "email": membership.user.email}
    return DomainError(message, code="last_admin", status_code=409,
                       fields={"role": [message]})


def membership_role_change(*, membership: Membership, actor, role: str,
                           partner=None) -> Membership:
    """Give a member another role (partner users name their partner). The tenant always
    keeps at least one admin."""
    if role not in Role.values:
        raise DomainError(_("Unknown role."), code="invalid", status_code=400,
                          fields={"role": [_("Choose admin, manager or partner.")]})
    if (role == Role.PARTNER) != (partner is not None):
        raise DomainError(_("A partner user needs a partner; other roles have none."),
                          code="invalid", status_code=400,
                          fields={"partner": [_("A partner user needs a partner.")]})
    with transaction.atomic():
        if membership.role == Role.ADMIN and role != Role.ADMIN \
                and _admins_left_after(membership) == 0:
            raise _last_admin_error(membership, actor)
        old = {"role": membership.role, "partner": membership.partner_id}
        membership.role = role
        membership.partner = partner
        membership.save(update_fields=["role", "partner"])
        audit_record(tenant=membership.tenant_id, actor=actor, action="membership.role_change",
                     target=membership, data={"email": membership.user.email, "old": old,
                                              "new": {"role": role,
                                                      "partner": membership.partner_id}})
    return membership


def membership_remove(*, membership: Membership, actor) -> None:
    """Take a person out of the tenant (their login stays for other tenants). The last
    admin cannot be removed."""
    with transaction.atomic():
        if membership.role == Role.ADMIN and _admins_left_after(membership) == 0:
            raise _last_admin_error(membership, actor)
        audit_record(tenant=membership.tenant_id, actor=actor, action="membership.remove",
                     target=membership, data={"email": membership.user.email,
                                              "role": membership.role})
        membership.delete()


def tenant_api_key_create(*, tenant: Tenant, actor, name: str, partner=None) -> IssuedKey:
    """Issue an API key from the admin page; the plain key is returned once."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the key a name."), code="invalid", status_code=400,
                          fields={"name": [_("Give the key a name.")]})
    with transaction.atomic():
        issued = api_key_create(tenant=tenant, name=name, partner=partner)
        audit_record(tenant=tenant, actor=actor, action="api_key.create",
                     target=issued.api_key, data={"name": name, "prefix": issued.api_key.prefix,
                                                  "partner": getattr(partner, "pk", None)})
    return issued


def tenant_api_key_revoke(*, api_key: ApiKey, actor) -> None:
    """Revoke a key from the admin page; its next request answers 401."""
    with transaction.atomic():
        if api_key.revoked_at is not None:
            return
        api_key_revoke(api_key=api_key)
        audit_record(tenant=api_key.tenant_id, actor=actor, action="api_key.revoke",
                     target=api_key, data={"name": api_key.name, "prefix": api_key.prefix})
