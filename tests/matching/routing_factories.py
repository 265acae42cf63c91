"""Partners with full profiles, stored in the database, for routing tests."""

from leadrouter.tenancy.scoping import tenant_scope
from partners.models import (
    PartnerCertification,
    PartnerCompetency,
    PartnerIndustry,
    PartnerProduct,
    PartnerTerritory,
    TaxonomyTerm,
)
from tests.factories import partner_create


def term(tenant, kind: str, code: str, level=None) -> TaxonomyTerm:
    with tenant_scope(tenant):
        found = TaxonomyTerm.objects.filter(kind=kind, code=code).first()
        return found or TaxonomyTerm.objects.create(tenant=tenant, kind=kind, code=code,
                                                    name=code, level=level)


def profiled_partner(tenant, *, territories=(("DE", [], None),), industries=(),
                     competencies=None, certifications=None, products=None, **fields):
    partner = partner_create(tenant, **fields)
    with tenant_scope(tenant):
        for country, prefixes, radius in territories:
            PartnerTerritory.objects.create(tenant=tenant, partner=partner, country=country,
                                            postal_prefixes=list(prefixes), radius_km=radius)
        for code in industries:
            PartnerIndustry.objects.create(tenant=tenant, partner=partner,
                                           term=term(tenant, "industries", code))
        for code, level in (competencies or {}).items():
            PartnerCompetency.objects.create(tenant=tenant, partner=partner, level=level,
                                             term=term(tenant, "competencies", code))
        for code, valid_until in (certifications or {}).items():
            PartnerCertification.objects.create(tenant=tenant, partner=partner,
                                                valid_until=valid_until,
                                                term=term(tenant, "certifications", code, 2))
        for code, available in (products or {}).items():
            PartnerProduct.objects.create(tenant=tenant, partner=partner, available=available,
                                          term=term(tenant, "products", code))
    return partner
