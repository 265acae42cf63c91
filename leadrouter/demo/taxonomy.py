"""The demo tenant's vocabulary: NACE-like industries, competencies, certifications, products."""

from dataclasses import dataclass

from leadrouter.tenancy.models import Tenant
from partners.models import TaxonomyTerm, TermKind

INDUSTRIES = [
    ("A", "Landwirtschaft"), ("A01", "Pflanzen- und Tierproduktion"),
    ("C", "Verarbeitendes Gewerbe"), ("C10", "Nahrungs- und Futtermittel"),
    ("C22", "Gummi- und Kunststoffwaren"), ("C25", "Metallerzeugnisse"),
    ("C25.6", "Oberflächenveredlung und Wärmebehandlung"), ("C28", "Maschinenbau"),
    ("C28.1", "Maschinen unspezifischer Verwendung"),
    ("C28.4", "Werkzeugmaschinen"), ("C29", "Kraftwagen und Kraftwagenteile"),
    ("D", "Energieversorgung"), ("D35", "Elektrizitäts- und Wärmeversorgung"),
    ("F", "Baugewerbe"), ("F43", "Vorbereitende Baustellenarbeiten und Bauinstallation"),
    ("G", "Handel"), ("G45", "Kfz-Handel und -Reparatur"), ("G46", "Großhandel"),
    ("H", "Verkehr und Lagerei"), ("H49", "Landverkehr"),
    ("J", "Information und Kommunikation"), ("J62", "IT-Dienstleistungen"),
    ("M", "Freiberufliche und technische Dienstleistungen"),
    ("M71", "Architektur- und Ingenieurbüros"),
    ("Q", "Gesundheitswesen"), ("Q86", "Gesundheitsdienstleistungen"),
]

COMPETENCIES = [
    ("installation", "Installation und Inbetriebnahme"),
    ("service", "Wartung und Reparatur"),
    ("consulting", "Beratung"),
    ("integration", "Systemintegration"),
    ("automation", "Automatisierung und SPS-Programmierung"),
    ("retrofit", "Retrofit und Modernisierung"),
    ("training", "Schulung"),
    ("financing", "Finanzierung und Leasing"),
    ("upselling", "Upselling (Bestandskunden)"),
    ("cross-selling", "Cross-Selling"),
]

# (code, name, level 1 basic … 3 expert)
CERTIFICATIONS = [
    ("iso-9001", "ISO 9001 Qualitätsmanagement", 1),
    ("install-basic", "Zertifizierter Installationspartner", 1),
    ("service-pro", "Service Professional", 2),
    ("ce-machinery", "CE-Konformität Maschinenrichtlinie", 2),
    ("cnc-programming", "CNC-Programmierung", 2),
    ("hv-vehicles", "Hochvolt-Fahrzeugtechnik", 2),
    ("robot-safety", "Robotik-Sicherheit", 3),
    ("service-expert", "Service Expert", 3),
]

# Machines and vehicles; "available" at a partner means it can be shown or test-driven.
PRODUCTS = [
    ("cnc-mill-vx5", "CNC-Fräszentrum VX5"),
    ("cnc-lathe-t400", "CNC-Drehmaschine T400"),
    ("laser-lc3", "Faserlaser LC3"),
    ("press-brake-pb200", "Abkantpresse PB200"),
    ("robot-cell-rc6", "Roboterzelle RC6"),
    ("forklift-e25", "Elektro-Stapler E25"),
    ("ev-van-e-cargo", "Elektro-Transporter eCargo"),
    ("suv-hybrid-x3", "Hybrid-SUV X3 (Vorführwagen)"),
    ("service-plus", "Servicevertrag Plus"),
    ("leasing-flex", "Leasing Flex"),
]

# Machines and vehicles a customer may want to see first: a lead naming one needs a partner
# that has it available.
SHOWROOM_PRODUCTS = ["cnc-mill-vx5", "cnc-lathe-t400", "laser-lc3", "press-brake-pb200",
                     "robot-cell-rc6", "forklift-e25", "ev-van-e-cargo", "suv-hybrid-x3"]


@dataclass(frozen=True)
class Taxonomy:
    industries: dict[str, TaxonomyTerm]
    competencies: dict[str, TaxonomyTerm]
    certifications: dict[str, TaxonomyTerm]
    products: dict[str, TaxonomyTerm]

    @property
    def specific_industries(self) -> list[str]:
        """Industry codes below a sector (C28, C28.1, …): what a lead names."""
        return [code for code in self.industries if len(code) > 1]


def taxonomy_seed(*, tenant: Tenant) -> Taxonomy:
    """Create the terms that are missing (never duplicates) and return all of them by code."""
    rows = (
        [(TermKind.INDUSTRY, code, name, None) for code, name in INDUSTRIES]
        + [(TermKind.COMPETENCY, code, name, None) for code, name in COMPETENCIES]
        + [(TermKind.CERTIFICATION, code, name, level) for code, name, level in CERTIFICATIONS]
        + [(TermKind.PRODUCT, code, name, None) for code, name in PRODUCTS]
    )
    TaxonomyTerm.objects.bulk_create(
        [TaxonomyTerm(tenant=tenant, kind=kind, code=code, name=name, level=level)
         for kind, code, name, level in rows],
        ignore_conflicts=True,
    )
    by_kind: dict[str, dict[str, TaxonomyTerm]] = {kind: {} for kind in TermKind.values}
    for term in TaxonomyTerm.objects.all():
        by_kind[term.kind][term.code] = term
    return Taxonomy(
        industries=by_kind[TermKind.INDUSTRY],
        competencies=by_kind[TermKind.COMPETENCY],
        certifications=by_kind[TermKind.CERTIFICATION],
        products=by_kind[TermKind.PRODUCT],
    )
