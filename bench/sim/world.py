"""A simulated partner channel with hidden truth (pure numpy, no Django).

A world is drawn from one seed: partners with profiles like a real channel (a long tail of
sizes, territories of one to three postal regions or a radius, industries, competencies,
capacities) and hidden behaviour — how often each answers and accepts, how fast, and how
well it converts a lead given the fit (industry, competencies, size, distance) plus its own
skill; a stream of leads with profiles and deal values; optional drift (skills changing
mid-run, partners joining late). Everything random that the partners do is drawn from
generators keyed by (seed, lead, partner), so every policy meets the same world.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# Ten postal regions of Germany: (first digit, real postal code, lat, lon, weight).
REGIONS = [
    ("0", "01067", 51.05089, 13.73832, 0.6), ("1", "10115", 52.52437, 13.41053, 1.2),
    ("2", "20095", 53.57532, 10.01534, 1.0), ("3", "30159", 52.37052, 9.73322, 0.9),
    ("4", "40210", 51.22172, 6.77616, 1.3), ("5", "50667", 50.93333, 6.95, 1.2),
    ("6", "60311", 50.11552, 8.68417, 1.0), ("7", "70173", 48.78232, 9.17702, 1.1),
    ("8", "80331", 48.13743, 11.57549, 1.1), ("9", "90402", 49.45421, 11.07752, 0.7),
]
INDUSTRIES = ["C10", "C20", "C25", "C28", "F41", "G46", "J62", "M71"]
COMPETENCIES = [f"comp{i:02d}" for i in range(12)]
LEVELS = ["platinum", "gold", "silver", "bronze", "registered"]
START = "2026-01-05T08:00:00+00:00"


@dataclass
class Partner:
    index: int
    name: str
    region: int
    lat: float
    lon: float
    employees: int
    capacity: int
    level: str
    territories: list[tuple[list[str], int | None]]  # (postal prefixes, radius km)
    industries: list[str]
    competencies: dict[str, int]
    join_lead: int = 0  # joins before lead number `join_lead` (0: from the start)
    # Hidden truth
    accept: float = 0.75  # p(accept | answers, perfect competence fit)
    silent: float = 0.03  # p(never answers an offer)
    delay_hours: float = 4.0  # median answer delay
    skill: float = 0.0  # logit shift of p(win)
    skill_late: float | None = None  # skill after the drift point (None: unchanged)


@dataclass
class Lead:
    index: int
    hours: float  # arrival, hours after START
    region: int
    postal_code: str
    lat: float
    lon: float
    industry: str
    employees: int
    deal_value: float
    competencies: list[str]


@dataclass
class World:
    """A seeded world. `alike`: every partner behaves the same and fit does not matter
    (nothing to learn). `drift`: 15 % of partners change skill at the middle of the run and
    `late_joiners` partners join at a quarter of it."""

    seed: int = 1
    partners_count: int = 300
    leads_count: int = 5000
    days: float | None = None  # default: ~28 leads a day
    alike: bool = False
    drift: bool = False
    late_joiners: int = 0
    sla_hours: int = 24
    partners: list[Partner] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.partners:
            self._draw()

    # --- drawing ---------------------------------------------------------------------------

    def _draw(self) -> None:
        rng = np.random.default_rng([self.seed, 0])
        weights = np.array([r[4] for r in REGIONS])
        weights /= weights.sum()
        total = self.partners_count + self.late_joiners
        for i in range(total):
            region = int(rng.choice(len(REGIONS), p=weights))
            _, _, lat, lon, _ = REGIONS[region]
            employees = int(min(2000, rng.lognormal(2.3, 1.2))) + 1  # long tail
            capacity = int(np.clip(round(3 + employees ** 0.6), 3, 60))
            kind = rng.random()
            if employees > 150 and kind < 0.5:
                territories = [([], None)]  # the whole country
            elif kind < 0.7:
                neighbours = {region, (region + 1) % 10, (region - 1) % 10}
                picked = [region] + [int(r) for r in rng.choice(
                    sorted(neighbours - {region}), int(rng.integers(0, 3)), replace=False)]
                territories = [([REGIONS[r][0] for r in sorted(set(picked))], None)]
            else:
                territories = [([], int(rng.choice([150, 250, 400])))]
            industries = sorted({str(c) for c in rng.choice(
                INDUSTRIES, int(rng.integers(1, 4)), replace=False)})
            comps = rng.choice(COMPETENCIES, int(rng.integers(2, 6)), replace=False)
            competencies = {str(c): int(rng.integers(1, 4)) for c in comps}
            partner = Partner(
                index=i, name=f"Sim partner {i:04d}", region=region,
                lat=lat + rng.normal(0, 0.3), lon=lon + rng.normal(0, 0.4),
                employees=employees, capacity=capacity,
                level=str(rng.choice(LEVELS, p=[0.05, 0.15, 0.3, 0.3, 0.2])),
                territories=territories, industries=industries, competencies=competencies)
            if self.alike:
                partner.accept, partner.silent, partner.delay_hours = 0.85, 0.03, 4.0
            else:
                ghost = rng.random() < 0.08
                partner.accept = float(rng.beta(7, 2))
                partner.silent = float(rng.uniform(0.3, 0.7) if ghost else rng.uniform(0, 0.06))
                partner.delay_hours = float(rng.lognormal(1.2, 0.8))
                partner.skill = float(rng.normal(0, 0.9))
            if self.drift and not self.alike and i < self.partners_count \
                    and rng.random() < 0.15:
                partner.skill_late = partner.skill + float(rng.choice([-1.5, 1.5]))
            if i >= self.partners_count:
                partner.join_lead = self.leads_count // 4
            self.partners.append(partner)

        days = self.days or self.leads_count / 28.0
        hours = np.sort(rng.uniform(0, days * 24, self.leads_count))
        for k in range(self.leads_count):
            region = int(rng.choice(len(REGIONS), p=weights))
            prefix, postal, lat, lon, _ = REGIONS[region]
            self.leads.append(Lead(
                index=k, hours=float(hours[k]), region=region, postal_code=postal,
                lat=lat, lon=lon, industry=str(rng.choice(INDUSTRIES)),
                employees=int(min(20000, rng.lognormal(3.5, 1.4))) + 1,
                deal_value=float(round(rng.lognormal(10, 0.8), -2) + 500),
                competencies=sorted({str(c) for c in rng.choice(
                    COMPETENCIES, int(rng.integers(1, 3)), replace=False)})))

    # --- hidden truth ----------------------------------------------------------------------

    def fit_features(self, lead: Lead, partner: Partner) -> tuple[float, float, float, float]:
        """(industry, competency coverage, size, distance in km): what the truth depends on."""
        if lead.industry in partner.industries:
            industry = 1.0
        elif any(code[0] == lead.industry[0] for code in partner.industries):
            industry = 0.5
        else:
            industry = 0.0
        competency = sum(partner.competencies.get(c, 0) / 3 for c in lead.competencies) \
            / max(len(lead.competencies), 1)
        size = math.exp(-math.log(lead.employees / (3 * partner.employees)) ** 2 / 8)
        km = _km(lead.lat, lead.lon, partner.lat, partner.lon)
        return industry, competency, size, km

    def p_accept(self, lead: Lead, partner: Partner) -> float:
        """p(the partner accepts an offer of this lead), answering or not."""
        if self.alike:
            return (1 - partner.silent) * partner.accept
        _, competency, _, _ = self.fit_features(lead, partner)
        return (1 - partner.silent) * partner.accept * (0.6 + 0.4 * competency)

    def p_win(self, lead: Lead, partner: Partner) -> float:
        """p(won | the partner holds the lead) — logistic in fit and skill."""
        if self.alike:
            return 0.2
        industry, competency, size, km = self.fit_features(lead, partner)
        skill = partner.skill
        if partner.skill_late is not None and lead.index >= self.leads_count // 2:
            skill = partner.skill_late
        logit = -2.4 + 1.2 * industry + 1.0 * competency + 0.6 * size - 0.4 * km / 100 + skill
        return 1 / (1 + math.exp(-logit))

    def rng_for(self, *keys: int) -> np.random.Generator:
        """The generator of one random event (common random numbers across policies)."""
        return np.random.default_rng([self.seed, *keys])

    def lead_data(self, lead: Lead) -> dict:
        """The lead as a CRM would send it to the ingestion API."""
        return {"external_id": f"SIM-{lead.index}", "company_name": f"Sim customer {lead.index}",
                "industry": lead.industry, "employees": lead.employees, "country": "DE",
                "postal_code": lead.postal_code, "deal_value": f"{lead.deal_value:.2f}",
                "competencies": lead.competencies}


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))
