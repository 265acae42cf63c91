"""~150 partners: a long tail of small shops, some mid-sized firms, a few large integrators.

Each partner also gets hidden performance rates (how often it accepts, contacts, wins) from
which the history is drawn; they are never stored, the system has to learn them from events.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from faker import Faker

from leadrouter.demo.places import LANGUAGES, MAJOR_CITIES, Place, place_of, places_in
from leadrouter.demo.taxonomy import SHOWROOM_PRODUCTS, Taxonomy
from leadrouter.tenancy.models import Tenant
from partners.models import (
    Partner,
    PartnerCertification,
    PartnerCompetency,
    PartnerIndustry,
    PartnerLevel,
    PartnerProduct,
    PartnerStatus,
    PartnerTerritory,
)

EXTERNAL_ID_PREFIX = "DEMO-P"

# (segment, count per country DE/AT/CH)
SEGMENTS = {"large": (6, 1, 1), "mid": (21, 5, 4), "small": (78, 19, 15)}
# Hidden performance groups per segment: (group, share).
GROUPS = {
    "large": [("high", 0.75), ("moderate", 0.25)],
    "mid": [("high", 0.2), ("moderate", 0.5), ("weak", 0.2), ("new", 0.1)],
    "small": [("high", 0.06), ("moderate", 0.44), ("weak", 0.4), ("new", 0.1)],
}
SHOP_WORDS = ["Maschinenservice", "Systemhaus", "Technik", "Industrieservice", "Automation",
              "Werkzeugmaschinen", "Anlagenbau", "Fördertechnik", "Metalltechnik", "Autohaus"]
LEGAL_FORMS = {"DE": ["GmbH", "e.K.", "GmbH & Co. KG", "KG"], "AT": ["GmbH", "e.U.", "KG"],
               "CH": ["AG", "GmbH", "Sàrl"]}


@dataclass
class Performance:
    """What a partner really does with leads (hidden; drawn once per partner)."""

    group: str
    accept: float  # P(accept an offer)
    expire_share: float  # of the offers it does not accept, the share it lets expire
    contact: float  # P(contacts an accepted lead)
    win: float  # P(won | accepted and closed)
    stale: float  # P(an accepted lead is never closed)
    days_to_close: tuple[int, int]
    response_hours: tuple[float, float]


@dataclass
class PartnerPlan:
    partner: Partner
    segment: str
    performance: Performance
    place: Place
    territories: list[PartnerTerritory] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    competencies: dict[str, int] = field(default_factory=dict)
    certifications: dict[str, date] = field(default_factory=dict)
    products: dict[str, bool] = field(default_factory=dict)


def _performance(group: str, rng: random.Random) -> Performance:
    u = rng.uniform
    if group == "high":
        return Performance(group, u(0.85, 0.95), 0.25, u(0.93, 0.99), u(0.17, 0.24), 0.02,
                           (12, 45), (0.2, 4))
    if group == "moderate":
        return Performance(group, u(0.6, 0.82), 0.35, u(0.8, 0.92), u(0.07, 0.13), 0.08,
                           (20, 70), (1, 14))
    if group == "weak":
        return Performance(group, u(0.35, 0.6), 0.6, u(0.5, 0.75), u(0.01, 0.04), 0.25,
                           (30, 100), (4, 23))
    return Performance(group, u(0.6, 0.85), 0.4, u(0.75, 0.95), u(0.05, 0.2), 0.05,
                       (15, 60), (1, 12))


def _weighted(rng: random.Random, options: list[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _name(segment: str, country: str, fake: Faker, rng: random.Random) -> str:
    if segment == "large":
        return f"{fake.last_name()} {rng.choice(['Industrial Solutions', 'Systems', 'Gruppe'])} AG"
    return f"{fake.last_name()} {rng.choice(SHOP_WORDS)} {rng.choice(LEGAL_FORMS[country])}"


def partners_plan(*, tenant: Tenant, taxonomy: Taxonomy, now: datetime, rng: random.Random,
                  fakers: dict[str, Faker]) -> list[PartnerPlan]:
    """Unsaved partners with everything that hangs off them, in a fixed order."""
    plans: list[PartnerPlan] = []
    majors = {c: [m for m in MAJOR_CITIES if m[0] == c] for c in ("DE", "AT", "CH")}
    industries = taxonomy.specific_industries
    sectors = [code for code in taxonomy.industries if len(code) == 1]
    competencies = list(taxonomy.competencies)
    certifications = list(taxonomy.certifications)
    products = list(taxonomy.products)
    number = 0
    for segment, counts in SEGMENTS.items():
        for country, count in zip(("DE", "AT", "CH"), counts, strict=True):
            fake = fakers[country]
            for i in range(count):
                number += 1
                group = _weighted(rng, GROUPS[segment])
                if segment == "large":
                    place = place_of(*majors[country][i % len(majors[country])])
                else:
                    place = rng.choice(places_in(country))
                if segment == "large":
                    employees = rng.randint(150, 1500)
                    capacity = rng.randint(40, 120)
                    band = (rng.choice([5000, 15000, 25000]), rng.choice([2e6, 5e6]))
                    level = rng.choice([PartnerLevel.PLATINUM, PartnerLevel.GOLD])
                elif segment == "mid":
                    employees = rng.randint(11, 90)
                    capacity = rng.randint(10, 30)
                    band = (rng.choice([3000, 5000, 8000]), rng.choice([2e5, 4e5, 6e5]))
                    level = rng.choice([PartnerLevel.GOLD, PartnerLevel.SILVER,
                                        PartnerLevel.SILVER])
                else:
                    employees = rng.randint(1, 10)
                    capacity = rng.randint(2, 8)
                    band = (rng.choice([0, 500, 1000]), rng.choice([3e4, 5e4, 8e4]))
                    level = rng.choice([PartnerLevel.SILVER, PartnerLevel.BRONZE,
                                        PartnerLevel.BRONZE, PartnerLevel.REGISTERED])
                if group == "new":
                    created_at = now - timedelta(days=rng.randint(20, 70))
                    level = PartnerLevel.REGISTERED
                else:
                    created_at = now - timedelta(days=rng.randint(400, 2500))
                status = PartnerStatus.ACTIVE
                if segment == "small" and rng.random() < 0.03:
                    status = PartnerStatus.PAUSED
                name = _name(segment, country, fake, rng)
                slug = f"partner{number:03d}"
                partner = Partner(
                    tenant=tenant, external_id=f"{EXTERNAL_ID_PREFIX}-{number:04d}", name=name,
                    status=status, employees=employees, capacity=capacity,
                    deal_value_min=Decimal(band[0]), deal_value_max=Decimal(int(band[1])),
                    level=level, country=country, postal_code=place.postal_code,
                    city=place.city, latitude=place.latitude, longitude=place.longitude,
                    languages=LANGUAGES[country] if country != "CH"
                    else ["de", rng.choice(["fr", "it", "en"])],
                    notification_email=f"leads@{slug}.example", created_at=created_at,
                )
                plan = PartnerPlan(partner, segment, _performance(group, rng), place)
                plan.territories = _territories(tenant, partner, segment, place, rng)
                if segment == "large":
                    plan.industries = rng.sample(sectors, 3) + rng.sample(industries, 3)
                else:
                    plan.industries = rng.sample(industries, rng.randint(1, 3))
                n_comp = {"large": 7, "mid": 5, "small": 3}[segment]
                plan.competencies = {
                    code: rng.choice([1, 2, 3] if segment != "small" else [1, 1, 2, 3])
                    for code in rng.sample(competencies, rng.randint(2, n_comp))}
                n_cert = {"large": 5, "mid": 3, "small": 2}[segment]
                for code in rng.sample(certifications, rng.randint(0, n_cert)):
                    # About one in six certifications has run out (renewal missed).
                    days = rng.randint(-200, -5) if rng.random() < 0.17 \
                        else rng.randint(30, 900)
                    plan.certifications[code] = (now + timedelta(days=days)).date()
                n_prod = {"large": 8, "mid": 5, "small": 3}[segment]
                for code in rng.sample(products, rng.randint(1, n_prod)):
                    available = code not in SHOWROOM_PRODUCTS or rng.random() < 0.7
                    plan.products[code] = available
                plans.append(plan)
    return plans


def _territories(tenant: Tenant, partner: Partner, segment: str, place: Place,
                 rng: random.Random) -> list[PartnerTerritory]:
    country = place.country
    if segment == "large":
        territories = [PartnerTerritory(tenant=tenant, partner=partner, country=country)]
        if country == "DE" and rng.random() < 0.5:
            territories.append(PartnerTerritory(tenant=tenant, partner=partner,
                                                country=rng.choice(["AT", "CH"])))
        return territories
    if rng.random() < 0.55:
        radius = rng.randint(120, 250) if segment == "mid" else rng.randint(50, 130)
        return [PartnerTerritory(tenant=tenant, partner=partner, country=country,
                                 radius_km=radius)]
    if segment == "mid":
        digit = place.postal_code[0]
        prefixes = sorted({digit, str((int(digit) + rng.choice([1, 9])) % 10)}) \
            if country == "DE" else [digit]
    else:
        # The home area and, for some, the neighbouring one.
        home = place.postal_code[:2]
        prefixes = sorted({home, f"{(int(home) + rng.choice([0, 1, -1])) % 100:02d}"})
    return [PartnerTerritory(tenant=tenant, partner=partner, country=country,
                             postal_prefixes=prefixes)]


def partners_save(*, tenant: Tenant, plans: list[PartnerPlan], taxonomy: Taxonomy) -> None:
    """Insert the planned partners and their territories, industries, competencies,
    certifications and products in a handful of bulk inserts."""
    Partner.objects.bulk_create([plan.partner for plan in plans])
    PartnerTerritory.objects.bulk_create(
        [t for plan in plans for t in plan.territories])
    PartnerIndustry.objects.bulk_create([
        PartnerIndustry(tenant=tenant, partner=plan.partner, term=taxonomy.industries[code])
        for plan in plans for code in plan.industries])
    PartnerCompetency.objects.bulk_create([
        PartnerCompetency(tenant=tenant, partner=plan.partner,
                          term=taxonomy.competencies[code], level=level)
        for plan in plans for code, level in plan.competencies.items()])
    PartnerCertification.objects.bulk_create([
        PartnerCertification(tenant=tenant, partner=plan.partner,
                             term=taxonomy.certifications[code], valid_until=until)
        for plan in plans for code, until in plan.certifications.items()])
    PartnerProduct.objects.bulk_create([
        PartnerProduct(tenant=tenant, partner=plan.partner, term=taxonomy.products[code],
                       available=available)
        for plan in plans for code, available in plan.products.items()])
