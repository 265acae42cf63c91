"""Writes of the partners app: the taxonomy and partner profiles.

Every change is audited and tells the matching engine that its cached partner table of the
tenant is stale (after commit, so a rebuild never reads the old rows).
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.models import Tenant
from leads.geocoding import geocode
from matching.partner_table import partner_table_invalidate
from partners.models import (
    Partner,
    PartnerCertification,
    PartnerCompetency,
    PartnerIndustry,
    PartnerProduct,
    PartnerStatus,
    PartnerTerritory,
    TaxonomyTerm,
    TermKind,
)
from partners.profile_rules import (
    NESTED_FIELDS,
    NESTED_KIND,
    SCALAR_FIELDS,
    ProfileErrors,
    check_band,
    check_profile,
    normalise_codes,
    unknown_codes,
)

_LOCATION_FIELDS = ("country", "postal_code", "city")


def term_create(*, tenant: Tenant, actor, kind: str, code: str, name: str,
                level: int | None = None) -> TaxonomyTerm:
    """Add a code to the tenant's taxonomy of `kind`.

    Codes are unique per kind; `level` (1–3) applies to certifications only."""
    code = (code or "").strip()
    name = (name or "").strip() or code
    errors = ProfileErrors()
    if kind not in TermKind.values:
        errors.add("kind", gettext("Choose one of: %(values)s.")
                   % {"values": ", ".join(TermKind.values)})
    if not code:
        errors.add("code", gettext("This field is required."))
    elif len(code) > 40:
        errors.add("code", gettext("Use at most 40 characters."))
    if len(name) > 200:
        errors.add("name", gettext("Use at most 200 characters."))
    if level is not None:
        if kind != TermKind.CERTIFICATION:
            errors.add("level", gettext("Only certifications have a level."))
        elif not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 3:
            errors.add("level", gettext("The level is 1, 2 or 3."))
    if errors:
        raise DomainError(gettext("The term is not valid."), code="invalid", status_code=400,
                          fields=errors.fields)
    if TaxonomyTerm.objects.filter(kind=kind, code=code).exists():
        raise DomainError(gettext("The code '%(code)s' already exists in %(kind)s.")
                          % {"code": code, "kind": kind}, code="duplicate",
                          status_code=409, fields={"code": [gettext("This code already exists.")]})
    with transaction.atomic():
        term = TaxonomyTerm.objects.create(tenant=tenant, kind=kind, code=code, name=name,
                                           level=level)
        audit_record(tenant=tenant, actor=actor, action="term.created", target=term,
                     data={"kind": kind, "code": code})
    return term


def partner_create(*, tenant: Tenant, actor, data: dict) -> Partner:
    """Create a partner from profile fields named as in the API (DESIGN.md §8).

    Nested lists (territories, industries, competencies, certifications, products) name
    taxonomy codes; unknown codes are refused (400 `unknown_code`, listing the known ones)
    unless the tenant lets them be created. The home location is geocoded."""
    clean = _checked(data, creating=True, partner=None)
    scalars = {field: clean[field] for field in SCALAR_FIELDS if field in clean}
    with transaction.atomic():
        terms = _terms_for(tenant=tenant, actor=actor, clean=clean)
        partner = Partner(tenant=tenant, **scalars)
        _geocode(partner)
        try:
            with transaction.atomic():
                partner.save()
        except IntegrityError as exc:
            raise _duplicate_external_id(partner.external_id) from exc
        _replace_nested(partner=partner, clean=clean, terms=terms)
        audit_record(tenant=tenant, actor=actor, action="partner.created", target=partner,
                     data={"external_id": partner.external_id})
        _invalidate_on_commit(tenant.pk)
    return partner


def partner_update(*, partner: Partner, actor, data: dict) -> Partner:
    """Change the fields present in `data` (PATCH semantics); a nested list given replaces
    the partner's current one. Rules and errors as for `partner_create`."""
    clean = _checked(data, creating=False, partner=partner)
    tenant = partner.tenant
    changed = []
    with transaction.atomic():
        terms = _terms_for(tenant=tenant, actor=actor, clean=clean)
        for field in SCALAR_FIELDS:
            if field in clean and getattr(partner, field) != clean[field]:
                setattr(partner, field, clean[field])
                changed.append(field)
        if "status" in changed and partner.status != PartnerStatus.PAUSED:
            partner.paused_until = None
        if any(field in changed for field in _LOCATION_FIELDS):
            _geocode(partner)
        try:
            with transaction.atomic():
                partner.save()
        except IntegrityError as exc:
            raise _duplicate_external_id(partner.external_id) from exc
        _replace_nested(partner=partner, clean=clean, terms=terms)
        changed += [field for field in NESTED_FIELDS if field in clean]
        audit_record(tenant=tenant, actor=actor, action="partner.updated", target=partner,
                     data={"fields": changed})
        _invalidate_on_commit(tenant.pk)
    return partner


def partner_pause(*, partner: Partner, actor, until: date | None = None) -> Partner:
    """Stop offering leads to the partner, until (and including) `until` if given."""
    if partner.status == PartnerStatus.OFFBOARDED:
        raise DomainError(gettext("An offboarded partner cannot be paused."), code="offboarded",
                          status_code=409)
    if until is not None and until < timezone.localdate():
        raise DomainError(gettext("The pause cannot end in the past."), code="invalid",
                          status_code=400,
                          fields={"until": [gettext("Pick today or a later date.")]})
    return _set_status(partner=partner, actor=actor, status=PartnerStatus.PAUSED,
                       paused_until=until, action="partner.paused")


def partner_resume(*, partner: Partner, actor) -> Partner:
    """Offer leads to a paused partner again."""
    if partner.status == PartnerStatus.OFFBOARDED:
        raise DomainError(gettext("An offboarded partner cannot be resumed; create it anew."),
                          code="offboarded", status_code=409)
    return _set_status(partner=partner, actor=actor, status=PartnerStatus.ACTIVE,
                       paused_until=None, action="partner.resumed")


def partner_offboard(*, partner: Partner, actor) -> Partner:
    """End the partnership: the partner gets no more offers; its history stays."""
    return _set_status(partner=partner, actor=actor, status=PartnerStatus.OFFBOARDED,
                       paused_until=None, action="partner.offboarded")


def partner_profile_update(*, partner: Partner, actor, capacity: int, notification_email: str,
                           on_vacation: bool, vacation_until: date | None) -> Partner:
    """What a partner user may change of its own profile (the portal): capacity, contact
    e-mail, and a pause for a vacation. All of it lands or none of it."""
    with transaction.atomic():
        partner_update(partner=partner, actor=actor,
                       data={"capacity": capacity, "notification_email": notification_email})
        if on_vacation and (partner.status != PartnerStatus.PAUSED
                            or partner.paused_until != vacation_until):
            partner_pause(partner=partner, actor=actor, until=vacation_until)
        elif not on_vacation and partner.status == PartnerStatus.PAUSED:
            partner_resume(partner=partner, actor=actor)
    return partner


# --- internals ------------------------------------------------------------------------------

def _checked(data: dict, *, creating: bool, partner: Partner | None) -> dict:
    errors = ProfileErrors()
    clean = check_profile(data, errors, creating=creating)
    minimum = clean.get("deal_value_min", partner.deal_value_min if partner else 0)
    maximum = clean.get("deal_value_max", partner.deal_value_max if partner else None)
    check_band(minimum, maximum, errors)
    if errors:
        names = ", ".join(errors.fields)
        raise DomainError(gettext("Invalid input in: %(names)s.") % {"names": names},
                          code="invalid", status_code=400,
                          fields=errors.fields)
    external_id = clean.get("external_id")
    if external_id:
        others = Partner.objects.filter(external_id=external_id)
        if partner is not None:
            others = others.exclude(pk=partner.pk)
        if others.exists():
            raise _duplicate_external_id(external_id)
    return clean


def _duplicate_external_id(external_id: str) -> DomainError:
    return DomainError(gettext("A partner with external_id '%(id)s' already exists.")
                       % {"id": external_id},
                       code="duplicate", status_code=409,
                       fields={"external_id": [
                           gettext("A partner with this external_id already exists.")]})


def _terms_for(*, tenant: Tenant, actor, clean: dict) -> dict[tuple[str, str], TaxonomyTerm]:
    """The taxonomy terms the nested lists name, by (kind, code); creates unknown ones when
    the tenant allows it, else refuses them naming the field and the known codes."""
    codes_by_field = normalise_codes(clean)
    missing = unknown_codes(codes_by_field)
    if missing and not tenant.auto_create_terms:
        fields = {
            field: [gettext("Unknown code(s): %(codes)s. Known codes: %(known)s.")
                    % {"codes": ", ".join(codes),
                       "known": ", ".join(known) or gettext("(none yet)")}]
            for field, (codes, known) in missing.items()
        }
        names = ", ".join(fields)
        raise DomainError(gettext("Unknown taxonomy code in: %(names)s.") % {"names": names},
                          code="unknown_code",
                          status_code=400, fields=fields)
    for field, (codes, _known) in missing.items():
        for code in codes:
            term_create(tenant=tenant, actor=actor, kind=NESTED_KIND[field], code=code,
                        name=code)
    kinds = {NESTED_KIND[field] for field in codes_by_field}
    if not kinds:
        return {}
    return {(term.kind, term.code): term
            for term in TaxonomyTerm.objects.filter(kind__in=kinds)}


def _replace_nested(*, partner: Partner, clean: dict, terms: dict) -> None:
    tenant_id = partner.tenant_id
    if "territories" in clean:
        PartnerTerritory.objects.filter(partner=partner).delete()
        PartnerTerritory.objects.bulk_create([
            PartnerTerritory(tenant_id=tenant_id, partner=partner, **item)
            for item in clean["territories"]
        ])
    if "industries" in clean:
        PartnerIndustry.objects.filter(partner=partner).delete()
        PartnerIndustry.objects.bulk_create([
            PartnerIndustry(tenant_id=tenant_id, partner=partner,
                            term=terms[(TermKind.INDUSTRY, code)])
            for code in clean["industries"]
        ])
    nested = (
        ("competencies", PartnerCompetency, TermKind.COMPETENCY, "level"),
        ("certifications", PartnerCertification, TermKind.CERTIFICATION, "valid_until"),
        ("products", PartnerProduct, TermKind.PRODUCT, "available"),
    )
    for field, model, kind, attribute in nested:
        if field not in clean:
            continue
        model.objects.filter(partner=partner).delete()
        model.objects.bulk_create([
            model(tenant_id=tenant_id, partner=partner, term=terms[(kind, item["code"])],
                  **{attribute: item[attribute]})
            for item in clean[field]
        ])


def _geocode(partner: Partner) -> None:
    point = geocode(country=partner.country, postal_code=partner.postal_code,
                    city=partner.city) if partner.country else None
    partner.latitude, partner.longitude = point if point else (None, None)


def _set_status(*, partner: Partner, actor, status: str, paused_until: date | None,
                action: str) -> Partner:
    with transaction.atomic():
        partner.status = status
        partner.paused_until = paused_until
        partner.save(update_fields=["status", "paused_until", "updated_at"])
        audit_record(tenant=partner.tenant_id, actor=actor, action=action, target=partner,
                     data={"until": paused_until.isoformat() if paused_until else None})
        _invalidate_on_commit(partner.tenant_id)
    return partner


def _invalidate_on_commit(tenant_id: int) -> None:
    transaction.on_commit(lambda: partner_table_invalidate(tenant_id))
