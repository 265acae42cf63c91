"""Partner onboarding: inviting a partner's people, and the partner keeping its own profile.

A partner may change in the portal what describes it. The parts that steer routing (size,
deal band, languages, territories, industries, competencies, certifications, products) do
not take effect at once: they wait in a `PartnerChangeRequest` until a manager approves it,
and approval applies them through `partners.services.partner_update` (audited, invalidates
the engine's partner table) — so routing sees a change only after approval. The contact
e-mail applies at once; capacity and vacation stay on the portal's quick form and apply at
once too (a partner must be able to say "we are full" without waiting for anyone).
"""

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.invitations import invitation_create
from leadrouter.tenancy.models import Invitation, Membership, Role, Tenant
from partners.models import ChangeStatus, Partner, PartnerChangeRequest
from partners.profile_rules import (
    ProfileErrors,
    check_band,
    check_profile,
    normalise_codes,
    unknown_codes,
)
from partners.selectors import partner_with_profile
from partners.services import partner_update

# What steers routing, in the order the diff shows it; a change waits for approval.
ROUTING_FIELDS = (
    "employees", "deal_value_min", "deal_value_max", "languages",
    "territories", "industries", "competencies", "certifications", "products",
)
# What a partner changes of its own profile without approval.
IMMEDIATE_FIELDS = ("notification_email",)
PORTAL_FIELDS = ROUTING_FIELDS + IMMEDIATE_FIELDS

FIELD_LABELS = {
    "employees": _("Employees"),
    "deal_value_min": _("Deal value from"),
    "deal_value_max": _("Deal value up to"),
    "languages": _("Languages"),
    "territories": _("Territories"),
    "industries": _("Industries"),
    "competencies": _("Competencies"),
    "certifications": _("Certifications"),
    "products": _("Products"),
}

MAX_INVITES = 20


# --- inviting partner users -----------------------------------------------------------------

@dataclass
class InviteResult:
    invited: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # e-mail → why


def parse_emails(text: str) -> list[str]:
    """The addresses in `text` (separated by commas, semicolons, spaces or lines), lowercased,
    each once. Raises DomainError naming the ones that are not addresses."""
    emails = list(dict.fromkeys(
        part.strip().lower() for part in text.replace(";", ",").replace(",", " ").split()
        if part.strip()))
    bad = []
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            bad.append(email)
    if bad:
        message = gettext("Not an e-mail address: %(emails)s.") % {"emails": ", ".join(bad)}
        raise DomainError(message, code="invalid", status_code=400, fields={"emails": [message]})
    if not emails:
        message = gettext("Enter at least one e-mail address.")
        raise DomainError(message, code="invalid", status_code=400, fields={"emails": [message]})
    if len(emails) > MAX_INVITES:
        message = gettext("Invite at most %(n)d people at once.") % {"n": MAX_INVITES}
        raise DomainError(message, code="invalid", status_code=400, fields={"emails": [message]})
    return emails


def partner_users_invite(*, tenant: Tenant, partner: Partner, actor,
                         emails: list[str]) -> InviteResult:
    """Invite each address as a user of `partner` (role `partner`): each gets a one-time
    link, valid 72 h, that sets a password and leads into the portal
    (leadrouter.tenancy.invitations). One refused address (already a member) does not
    stop the others."""
    result = InviteResult()
    for email in emails:
        try:
            invitation_create(tenant=tenant, actor=actor, email=email, role=Role.PARTNER,
                              partner=partner)
        except DomainError as exc:
            result.refused[email] = exc.message
        else:
            result.invited.append(email)
    return result


def partner_users(*, partner: Partner) -> QuerySet[Membership]:
    return Membership.objects.filter(partner=partner).select_related("user").order_by(
        "user__email")


def partner_invitations_open(*, partner: Partner) -> QuerySet[Invitation]:
    return Invitation.objects.filter(partner=partner, accepted_at__isnull=True,
                                     revoked_at__isnull=True).order_by("-created_at")


# --- the profile in the API shape -----------------------------------------------------------

def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _canonical(value) -> str:
    """Lists compare as sets of entries: the order rows were entered in does not matter."""
    if isinstance(value, list):
        return json.dumps(sorted(json.dumps(item, sort_keys=True) for item in value))
    return json.dumps(value, sort_keys=True)


def profile_snapshot(partner: Partner) -> dict:
    """The routing part of the partner's profile in the API shape, JSON-ready. Uses the
    prefetched rows when the partner came through `partner_with_profile`."""
    return _jsonable({
        "employees": partner.employees,
        "deal_value_min": partner.deal_value_min,
        "deal_value_max": partner.deal_value_max,
        "languages": list(partner.languages),
        "territories": [{"country": t.country, "postal_prefixes": list(t.postal_prefixes),
                         "radius_km": t.radius_km} for t in partner.territories.all()],
        "industries": [i.term.code for i in partner.industries.all()],
        "competencies": [{"code": c.term.code, "level": c.level}
                         for c in partner.competencies.all()],
        "certifications": [{"code": c.term.code, "valid_until": c.valid_until}
                           for c in partner.certifications.all()],
        "products": [{"code": p.term.code, "available": p.available}
                     for p in partner.products.all()],
    })


def _with_profile(partner: Partner) -> Partner:
    return partner_with_profile(Partner.objects.filter(pk=partner.pk)).get()


# --- change requests ------------------------------------------------------------------------

def partner_change_pending(*, partner: Partner) -> PartnerChangeRequest | None:
    return PartnerChangeRequest.objects.filter(partner=partner,
                                               status=ChangeStatus.PENDING).first()


def partner_change_submit(*, partner: Partner, actor, data: dict) -> PartnerChangeRequest | None:
    """What a partner user sends from the portal's profile page.

    `data` holds fields of PORTAL_FIELDS in the API shape. The contact e-mail applies at
    once; the routing fields that differ from the profile become the partner's one pending
    change request (replacing an earlier pending one). Asking for the profile as it is
    withdraws a pending request. Returns the pending request, or None."""
    unknown = set(data) - set(PORTAL_FIELDS)
    if unknown:
        raise ValueError(f"not a portal profile field: {', '.join(sorted(unknown))}")
    errors = ProfileErrors()
    clean = check_profile(data, errors, creating=False)
    check_band(clean.get("deal_value_min", partner.deal_value_min),
               clean.get("deal_value_max", partner.deal_value_max), errors)
    # Partners choose from the tenant's taxonomy; they never extend it.
    for name, (codes, _known) in unknown_codes(normalise_codes(clean)).items():
        errors.add(name, gettext("Unknown code(s): %(codes)s.") % {"codes": ", ".join(codes)})
    if errors:
        raise DomainError(gettext("Invalid input in: %(names)s.")
                          % {"names": ", ".join(errors.fields)},
                          code="invalid", status_code=400, fields=errors.fields)
    current = profile_snapshot(_with_profile(partner))
    requested = _jsonable({name: clean[name] for name in ROUTING_FIELDS if name in clean})
    changes = {name: value for name, value in requested.items()
               if _canonical(value) != _canonical(current[name])}
    immediate = {name: clean[name] for name in IMMEDIATE_FIELDS
                 if name in clean and getattr(partner, name) != clean[name]}
    with transaction.atomic():
        if immediate:
            partner_update(partner=partner, actor=actor, data=immediate)
        pending = (PartnerChangeRequest.objects.select_for_update()
                   .filter(partner=partner, status=ChangeStatus.PENDING).first())
        if not changes:
            if pending is not None:
                audit_record(tenant=partner.tenant_id, actor=actor,
                             action="partner.change_withdrawn", target=partner,
                             data={"fields": sorted(pending.data)})
                pending.delete()
            return None
        user = actor if getattr(actor, "pk", None) else None
        if pending is None:
            pending = PartnerChangeRequest(tenant_id=partner.tenant_id, partner=partner)
        pending.data = changes
        pending.requested_by = user
        pending.created_at = timezone.now()
        pending.save()
        audit_record(tenant=partner.tenant_id, actor=actor, action="partner.change_requested",
                     target=partner, data={"request": pending.pk, "fields": sorted(changes)})
    return pending


def partner_change_approve(*, change: PartnerChangeRequest, actor,
                           note: str = "") -> PartnerChangeRequest:
    """Apply a pending request to the profile (through partner_update, so audited and the
    engine's partner table refreshed) and mark it approved. 409 if already decided; a
    request that no longer fits the profile (e.g. a band the manager changed since) is
    refused with the profile rules' message and stays pending."""
    with transaction.atomic():
        locked = _lock_pending(change)
        partner = _with_profile(locked.partner)
        before = profile_snapshot(partner)
        partner_update(partner=partner, actor=actor, data=locked.data)
        _decide(locked, actor=actor, status=ChangeStatus.APPROVED, note=note)
        audit_record(tenant=locked.tenant_id, actor=actor, action="partner.change_approved",
                     target=partner,
                     data={"request": locked.pk,
                           "before": {name: before[name] for name in locked.data},
                           "after": locked.data})
    return locked


def partner_change_reject(*, change: PartnerChangeRequest, actor,
                          note: str = "") -> PartnerChangeRequest:
    """Refuse a pending request; the profile stays as it is. The note is shown to the
    partner."""
    with transaction.atomic():
        locked = _lock_pending(change)
        _decide(locked, actor=actor, status=ChangeStatus.REJECTED, note=note)
        audit_record(tenant=locked.tenant_id, actor=actor, action="partner.change_rejected",
                     target=locked.partner, data={"request": locked.pk, "note": locked.note})
    return locked


def _lock_pending(change: PartnerChangeRequest) -> PartnerChangeRequest:
    locked = (PartnerChangeRequest.objects.select_for_update(of=("self",))
              .select_related("partner__tenant").filter(pk=change.pk).first())
    if locked is None or locked.status != ChangeStatus.PENDING:
        raise DomainError(gettext("This change request has already been decided."),
                          code="conflict", status_code=409)
    return locked


def _decide(change: PartnerChangeRequest, *, actor, status: str, note: str) -> None:
    change.status = status
    change.decided_by = actor if getattr(actor, "pk", None) else None
    change.decided_at = timezone.now()
    change.note = (note or "").strip()[:2000]
    change.save(update_fields=["status", "decided_by", "decided_at", "note"])


# --- reads for the pages --------------------------------------------------------------------

def changes_pending() -> QuerySet[PartnerChangeRequest]:
    """Open requests, oldest first, with the profiles the diff compares them to (a fixed
    number of queries, whatever the count)."""
    return (PartnerChangeRequest.objects.filter(status=ChangeStatus.PENDING)
            .select_related("partner", "requested_by")
            .prefetch_related("partner__territories", "partner__industries__term",
                              "partner__competencies__term", "partner__certifications__term",
                              "partner__products__term")
            .order_by("created_at", "pk"))


def changes_decided(*, limit: int = 20) -> list[PartnerChangeRequest]:
    return list(PartnerChangeRequest.objects.exclude(status=ChangeStatus.PENDING)
                .select_related("partner", "requested_by", "decided_by")
                .order_by("-decided_at", "-pk")[:limit])


def get_change_for_manager(*, change_id: int, membership: Membership | None
                           ) -> PartnerChangeRequest:
    if membership is None or not membership.is_staff_role:
        raise Http404
    change = PartnerChangeRequest.objects.select_related("partner").filter(pk=change_id).first()
    if change is None:
        raise Http404("No such change request.")
    return change


def get_change_for_partner(*, change_id: int, membership: Membership | None
                           ) -> PartnerChangeRequest:
    """A request of the partner user's own partner; anyone else's is a 404."""
    if membership is None or membership.role != Role.PARTNER:
        raise Http404
    change = (PartnerChangeRequest.objects.select_related("partner", "decided_by")
              .filter(pk=change_id, partner_id=membership.partner_id).first())
    if change is None:
        raise Http404("No such change request.")
    return change


def partner_changes(*, partner: Partner, limit: int = 10) -> list[PartnerChangeRequest]:
    return list(PartnerChangeRequest.objects.filter(partner=partner)
                .select_related("decided_by").order_by("-created_at", "-pk")[:limit])


# --- the before/after diff ------------------------------------------------------------------

@dataclass
class FieldDiff:
    name: str
    label: str
    kept: list[str]
    removed: list[str]
    added: list[str]


def _item_text(name: str, item) -> str:
    if item is None or item == "":
        return "—"
    if name == "territories":
        if item.get("radius_km"):
            return gettext("%(country)s, %(km)s km around the home location") % {
                "country": item["country"], "km": item["radius_km"]}
        prefixes = ", ".join(item.get("postal_prefixes") or [])
        return f"{item['country']} {prefixes}" if prefixes else \
            gettext("%(country)s, whole country") % {"country": item["country"]}
    if name == "competencies":
        return gettext("%(code)s, level %(level)s") % item
    if name == "certifications":
        if item.get("valid_until"):
            return gettext("%(code)s, valid until %(date)s") % {
                "code": item["code"], "date": item["valid_until"]}
        return item["code"]
    if name == "products":
        return item["code"] + " (" + (gettext("available") if item.get("available")
                                      else gettext("not available")) + ")"
    return str(item)


def change_diff(*, change: PartnerChangeRequest, partner: Partner | None = None
                ) -> list[FieldDiff]:
    """Per requested field: entries kept, removed and added against the partner's current
    profile (what approval would change). Scalars show as one removed and one added entry."""
    current = profile_snapshot(partner or change.partner)
    rows = []
    for name in ROUTING_FIELDS:
        if name not in change.data:
            continue
        before, after = current[name], change.data[name]
        if not isinstance(before, list):
            before, after = [before], [after]
        before_texts = [_item_text(name, item) for item in before]
        after_texts = [_item_text(name, item) for item in after]
        rows.append(FieldDiff(
            name=name, label=str(FIELD_LABELS[name]),
            kept=[text for text in after_texts if text in before_texts],
            removed=[text for text in before_texts if text not in after_texts],
            added=[text for text in after_texts if text not in before_texts],
        ))
    return rows


def change_requested(*, change: PartnerChangeRequest) -> list[tuple[str, list[str]]]:
    """(label, entries) of each field the request asks for, as the partner entered it."""
    return [(str(FIELD_LABELS[name]),
             [_item_text(name, item) for item in (value if isinstance(value, list) else [value])])
            for name, value in change.data.items()]
