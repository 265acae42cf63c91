"""Reads of the partners app for pages, the API and management commands.

All of them run inside the current tenant scope; a partner user or partner-scoped API key
only ever sees its own partner, and anything else is a 404 (never a 403).
"""

import re

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from leadrouter.tenancy.models import ApiKey, Membership, Role
from partners.models import (
    Partner,
    PartnerCertification,
    PartnerCompetency,
    PartnerIndustry,
    PartnerProduct,
    TaxonomyTerm,
)

_POSTAL = re.compile(r"[^A-Za-z0-9 -]")


def partners_visible(*, membership: Membership | None = None,
                     api_key: ApiKey | None = None) -> QuerySet[Partner]:
    """The partners the caller may see: all of the tenant's for staff and tenant keys, only
    its own for a partner user or partner-scoped key."""
    partners = Partner.objects.all()
    if api_key is not None:
        if api_key.partner_id:
            partners = partners.filter(pk=api_key.partner_id)
    elif membership is None:
        partners = partners.none()
    elif membership.role == Role.PARTNER:
        partners = partners.filter(pk=membership.partner_id)
    return partners


def partner_list(*, partners: QuerySet[Partner] | None = None, search: str = "",
                 status: str = "", level: str = "", country: str = "", postal_prefix: str = "",
                 competency: str = "") -> QuerySet[Partner]:
    """Partners filtered as on the list page and the API, ordered by name.

    - `search`: name, external id or city contains the text;
    - `country` (+ `postal_prefix`): has a territory in that country that covers postal codes
      starting with the prefix — a whole-country territory, a prefix list with a prefix that
      starts with it or that it starts with, or a radius around a home postal code that
      starts with it;
    - `competency`: holds that competency code (any level).
    """
    partners = Partner.objects.all() if partners is None else partners
    search = search.strip()
    if search:
        partners = partners.filter(Q(name__icontains=search) | Q(external_id__icontains=search)
                                   | Q(city__icontains=search))
    if status:
        partners = partners.filter(status=status)
    if level:
        partners = partners.filter(level=level)
    country = country.strip().upper()
    if country:
        partners = partners.filter(pk__in=_covering_territories(country, postal_prefix))
    if competency:
        partners = partners.filter(
            pk__in=PartnerCompetency.objects.filter(term__code=competency).values("partner_id"))
    return partners.order_by("name", "pk")


def _covering_territories(country: str, postal_prefix: str):
    from partners.models import PartnerTerritory

    territories = PartnerTerritory.objects.filter(country=country)
    prefix = _POSTAL.sub("", postal_prefix).strip()
    if prefix:
        # postal_prefixes is a JSON list of strings; its text form is ["80", "81"], so a
        # quoted prefix found in the text is an element starting with (or equal to) it.
        # This works alike on PostgreSQL and SQLite, where JSON containment does not.
        covers = Q(postal_prefixes=[]) & Q(radius_km__isnull=True)
        covers |= Q(postal_prefixes__icontains=f'"{prefix}')
        for length in range(1, len(prefix)):
            covers |= Q(postal_prefixes__icontains=f'"{prefix[:length]}"')
        covers |= Q(radius_km__isnull=False, partner__postal_code__istartswith=prefix)
        territories = territories.filter(covers)
    return territories.values("partner_id")


def partner_with_profile(partners: QuerySet[Partner]) -> QuerySet[Partner]:
    """Prefetch everything a full profile shows (five queries, whatever the count)."""
    return partners.prefetch_related(
        "territories",
        Prefetch("industries", PartnerIndustry.objects.select_related("term")),
        Prefetch("competencies", PartnerCompetency.objects.select_related("term")),
        Prefetch("certifications", PartnerCertification.objects.select_related("term")),
        Prefetch("products", PartnerProduct.objects.select_related("term")),
    )


def get_partner_for_user(*, partner_id: int | str, membership: Membership | None = None,
                         api_key: ApiKey | None = None, profile: bool = False) -> Partner:
    """The partner with `partner_id` if the caller may see it, else Http404."""
    try:
        partner_id = int(partner_id)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    partners = partners_visible(membership=membership, api_key=api_key)
    if profile:
        partners = partner_with_profile(partners)
    partner = partners.filter(pk=partner_id).first()
    if partner is None:
        raise Http404("No such partner.")
    return partner


def partner_by_reference(ref: str) -> Partner | None:
    """A partner of the current tenant by external_id, or by id when `ref` is a number
    (external_id wins when both match): what people type in management commands."""
    ref = (ref or "").strip()
    if not ref:
        return None
    partner = Partner.objects.filter(external_id=ref).first()
    if partner is None and ref.isdigit():
        partner = Partner.objects.filter(pk=int(ref)).first()
    return partner


def term_list(*, kind: str) -> QuerySet[TaxonomyTerm]:
    """The tenant's taxonomy of one kind, ordered by code."""
    return TaxonomyTerm.objects.filter(kind=kind).order_by("code", "pk")


def term_choices(*, kind: str) -> list[tuple[str, str]]:
    """(code, "code — name") pairs for a select box."""
    return [(code, f"{code} — {name}" if name != code else code)
            for code, name in term_list(kind=kind).values_list("code", "name")]
