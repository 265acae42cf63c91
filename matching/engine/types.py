"""The engine's inputs: the partner table (arrays), a lead profile and the policy's parameters.

Plain Python and numpy only. `PartnerTable.build` turns plain records into arrays once per
tenant; everything per lead is then vectorised over partners.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

# Every hard rule the policy can switch; the order is the order in which an excluded partner
# is attributed to a reason (the first rule it fails), so the counts add up to the excluded.
RULES = ("status", "declined", "territory", "language", "product", "certification",
         "deal_band", "capacity")
FIT_CRITERIA = ("industry", "competency", "size", "distance", "certification", "level")
# Optional exponents on the performance and load factors, kept in the policy's weights.
FACTOR_WEIGHTS = ("accept", "win", "load")
# Their values when the policy sets none. Load 1/4: at exponent 1 the balance factor ψ differs
# 3.5× between an idle partner and one at 80 % of capacity, more than conversion differs
# between most eligible partners, so balance overrode both fit and what the loop learned
# (docs/benchmarks-routing.md: +3.5 % conversions over 5 seeds; leads still spread).
FACTOR_WEIGHT_DEFAULTS = {"accept": 1.0, "win": 1.0, "load": 0.25}
LEVEL_SCORES = {"platinum": 1.0, "gold": 0.75, "silver": 0.5, "bronze": 0.25,
                "registered": 0.0}
TIERS = ("high", "moderate", "weak", "new")

# Outcome kinds as counted by the performance model.
EV_ACCEPTED, EV_DECLINED, EV_WON, EV_LOST = 0, 1, 2, 3
EVENT_KINDS = {"accepted": EV_ACCEPTED, "rejected": EV_DECLINED, "expired": EV_DECLINED,
               "won": EV_WON, "lost": EV_LOST, "returned": EV_LOST}

NO_DATE = np.iinfo(np.int32).max  # "valid forever" / "never"


# Company size: (employees below, band, size class), in order. The engine's segments use the
# class (micro < 10 ≤ small < 50 ≤ medium < 250 ≤ large); pages show the band, which splits
# large once more at 1000. The one table for both; the words are in matching/company_size.py.
SIZE_BANDS: tuple[tuple[int | None, str, str], ...] = (
    (10, "1-9", "micro"),
    (50, "10-49", "small"),
    (250, "50-249", "medium"),
    (1000, "250-999", "large"),
    (None, "1000+", "large"),
)
SIZE_UNKNOWN = "unknown"


def size_band(employees: int | None) -> str:
    """The display band of a company size: "1-9", …, "1000+" (or "unknown")."""
    if employees is None:
        return SIZE_UNKNOWN
    return next(band for below, band, _class in SIZE_BANDS if below is None or employees < below)


def size_class(employees: int | None) -> str:
    """Company size class of a lead: micro < 10 ≤ small < 50 ≤ medium < 250 ≤ large."""
    if employees is None:
        return SIZE_UNKNOWN
    return next(cls for below, _band, cls in SIZE_BANDS if below is None or employees < below)


def industry_sector(code: str) -> str:
    """The sector of an industry code: its first letter (NACE section), `C28.1` → `C`."""
    return code[:1].upper() if code else ""


def segment_of(industry: str, employees: int | None) -> str:
    """Segment = industry sector × size class, e.g. `C:medium`."""
    return f"{industry_sector(industry) or '-'}:{size_class(employees)}"


def _ordinal(value: date | datetime | None) -> int:
    if value is None:
        return int(NO_DATE)
    if isinstance(value, datetime):
        value = value.date()
    return value.toordinal()


@dataclass
class PartnerRecord:
    """One partner as plain data (what the Django side reads, and what tests write)."""

    id: int
    name: str = ""
    status: str = "active"
    paused_until: date | None = None
    employees: int = 1
    capacity: int = 10
    load: int = 0  # open leads + pending offers
    deal_min: float = 0.0
    deal_max: float | None = None
    level: str = "registered"
    country: str = "DE"
    latitude: float | None = None
    longitude: float | None = None
    # (country, postal_prefixes, radius_km); none at all means the home country.
    territories: list[tuple[str, list[str], float | None]] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    competencies: dict[str, int] = field(default_factory=dict)  # code → level 1..3
    certifications: dict[str, date | None] = field(default_factory=dict)  # code → valid_until
    products: dict[str, bool] = field(default_factory=dict)  # code → available
    languages: list[str] = field(default_factory=list)


@dataclass
class EventRecord:
    """One matured outcome of a partner: kind in EVENT_KINDS, the lead's segment, when, and
    optionally the lead's profile: with it the table keeps the fit criteria of this partner
    for that lead when the lead closed (won, lost, returned), which the skill estimate
    compares the outcome with (performance.py)."""

    partner_id: int
    kind: str
    segment: str
    occurred: date | datetime
    lead: LeadProfile | None = None


@dataclass
class LeadProfile:
    id: int | None = None
    industry: str = ""
    employees: int | None = None
    country: str = ""
    postal_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    deal_value: float | None = None
    competencies: list[str] = field(default_factory=list)
    certifications: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    language: str = ""
    excluded_partner_ids: list[int] = field(default_factory=list)  # declined / let expire

    @property
    def segment(self) -> str:
        return segment_of(self.industry, self.employees)


@dataclass
class PolicyParams:
    weights: dict[str, float] = field(default_factory=lambda: {
        "industry": 1.0, "competency": 1.0, "size": 1.0, "distance": 0.5,
        "certification": 0.5, "level": 0.3})
    hard_rules: frozenset[str] = frozenset(
        ("territory", "certification", "product", "capacity", "deal_band", "status",
         "declined"))
    fit_exponent: float = 1.0  # γ
    prior_strength: float = 20.0  # m, in pseudo-observations
    half_life_days: float = 180.0
    use_performance: bool = True
    exploration: str = "greedy"  # or "thompson"
    exploration_rate: float = 0.08  # ε
    exploration_min_closed: int = 10  # n₀
    tier_multipliers: dict[str, float] = field(default_factory=lambda: {
        "high": 1.2, "moderate": 1.0, "weak": 0.7, "new": 1.0})
    tier_high: float = 0.15
    tier_weak: float = 0.05
    mode: str = "cascade"
    broadcast_count: int = 3
    max_attempts: int = 3
    keep_top: int = 10
    soft_rule_penalty: float = 0.5  # score × this per soft rule a partner fails
    distance_scale_km: float = 100.0
    size_sigma: float = 2.0  # width of the company-size fit, in natural-log units
    deal_sigma: float = 1.0  # how fast a deal outside the band loses, in log units
    customer_ratio: float = 2.0  # ideal customer employees per partner employee
    certification_saturation: float = 6.0


class PartnerTable:
    """A tenant's partners as arrays, indexed 0..N-1 (`ids[i]` is the partner's id).

    Sparse properties (industries, competencies, certifications, products, languages) are
    inverted indexes: code → partner indexes (and level / validity / availability), so a
    lead touches only the partners that hold the codes it asks for.
    """

    def __init__(self) -> None:
        self._memo: dict = {}

    @classmethod
    def build(cls, partners: list[PartnerRecord],
              events: list[EventRecord] | None = None,
              certification_levels: dict[str, int] | None = None) -> PartnerTable:
        t = cls()
        n = len(partners)
        t.ids = np.array([p.id for p in partners], dtype=np.int64)
        t.index_of = {int(pid): i for i, pid in enumerate(t.ids)}
        t.names = [p.name for p in partners]
        t.active = np.array([p.status == "active" for p in partners], dtype=bool)
        t.paused_until = np.array(
            [_ordinal(p.paused_until) if p.paused_until else 0 for p in partners],
            dtype=np.int64)
        t.employees = np.array([max(p.employees or 1, 1) for p in partners], dtype=float)
        t.capacity = np.array([p.capacity for p in partners], dtype=float)
        t.load = np.array([p.load for p in partners], dtype=float)
        t.band_min = np.array([float(p.deal_min or 0) for p in partners], dtype=float)
        t.band_max = np.array(
            [np.inf if p.deal_max is None else float(p.deal_max) for p in partners],
            dtype=float)
        t.level = np.array([LEVEL_SCORES.get(p.level, 0.0) for p in partners], dtype=float)
        t.lat = np.array([np.nan if p.latitude is None else p.latitude for p in partners],
                         dtype=float)
        t.lon = np.array([np.nan if p.longitude is None else p.longitude for p in partners],
                         dtype=float)

        t.country_vocab, t.prefix_vocab = {}, {}
        terr_partner, terr_country, terr_radius, terr_has_prefixes = [], [], [], []
        prefix_terr, prefix_id = [], []
        for i, p in enumerate(partners):
            territories = p.territories or [(p.country, [], None)]
            for country, prefixes, radius in territories:
                k = len(terr_partner)
                terr_partner.append(i)
                terr_country.append(t.country_vocab.setdefault(country.upper(),
                                                               len(t.country_vocab)))
                terr_radius.append(np.nan if not radius else float(radius))
                terr_has_prefixes.append(bool(prefixes))
                for prefix in prefixes:
                    prefix_terr.append(k)
                    prefix_id.append(t.prefix_vocab.setdefault(prefix.upper().replace(" ", ""),
                                                               len(t.prefix_vocab)))
        t.terr_partner = np.array(terr_partner, dtype=np.int64)
        t.terr_country = np.array(terr_country, dtype=np.int64)
        t.terr_radius = np.array(terr_radius, dtype=float)
        t.terr_has_prefixes = np.array(terr_has_prefixes, dtype=bool)
        t.terr_radius_idx = np.flatnonzero(~np.isnan(t.terr_radius))
        t.prefix_terr = np.array(prefix_terr, dtype=np.int64)
        t.prefix_id = np.array(prefix_id, dtype=np.int64)

        industries: dict[str, list[int]] = {}
        sectors: dict[str, set[int]] = {}
        competencies: dict[str, tuple[list, list]] = {}
        certifications: dict[str, tuple[list, list]] = {}
        products: dict[str, tuple[list, list]] = {}
        languages: dict[str, list[int]] = {}
        speaks_any = np.zeros(n, dtype=bool)
        for i, p in enumerate(partners):
            for code in set(p.industries):
                industries.setdefault(code.upper(), []).append(i)
                sectors.setdefault(industry_sector(code), set()).add(i)
            for code, level in p.competencies.items():
                entry = competencies.setdefault(code, ([], []))
                entry[0].append(i)
                entry[1].append(min(max(int(level), 0), 3))
            for code, valid_until in p.certifications.items():
                entry = certifications.setdefault(code, ([], []))
                entry[0].append(i)
                entry[1].append(_ordinal(valid_until))
            for code, available in p.products.items():
                entry = products.setdefault(code, ([], []))
                entry[0].append(i)
                entry[1].append(bool(available))
            for lang in set(p.languages):
                languages.setdefault(lang.lower(), []).append(i)
            speaks_any[i] = bool(p.languages)
        as_idx = lambda values: np.array(values, dtype=np.int64)  # noqa: E731
        t.industries = {code: as_idx(idx) for code, idx in industries.items()}
        t.sectors = {code: as_idx(sorted(idx)) for code, idx in sectors.items()}
        t.competencies = {code: (as_idx(i), np.array(lv, dtype=float))
                          for code, (i, lv) in competencies.items()}
        t.certifications = {code: (as_idx(i), np.array(v, dtype=np.int64))
                            for code, (i, v) in certifications.items()}
        t.products = {code: (as_idx(i), np.array(a, dtype=bool))
                      for code, (i, a) in products.items()}
        t.languages = {code: as_idx(idx) for code, idx in languages.items()}
        t.speaks_any = speaks_any
        # Level of each certification term, 1 (basic) to 3 (expert); unknown counts as 1.
        t.certification_levels = {code: float(level or 1)
                                  for code, level in (certification_levels or {}).items()}

        t.segment_vocab = {}
        t.ev_partner = np.zeros(0, dtype=np.int64)
        t.ev_kind = np.zeros(0, dtype=np.int64)
        t.ev_segment = np.zeros(0, dtype=np.int64)
        t.ev_day = np.zeros(0, dtype=float)
        # Fit criteria (FIT_CRITERIA order) of the event's partner for the event's lead; NaN
        # where the event came without the lead's profile.
        t.ev_criteria = np.zeros((0, len(FIT_CRITERIA)), dtype=np.float32)
        t.add_events(events or [])
        return t

    def add_events(self, events: list[EventRecord]) -> int:
        """Append matured outcomes (of partners in the table; others are skipped) without a
        rebuild; returns how many were added. The performance estimates see them at once."""
        ev = [(self.index_of.get(e.partner_id), EVENT_KINDS.get(e.kind), e) for e in events]
        ev = [(i, k, e) for i, k, e in ev if i is not None and k is not None]
        if not ev:
            return 0
        vocab = self.segment_vocab
        self.ev_partner = np.concatenate(
            [self.ev_partner, np.array([i for i, _, _ in ev], dtype=np.int64)])
        self.ev_kind = np.concatenate(
            [self.ev_kind, np.array([k for _, k, _ in ev], dtype=np.int64)])
        self.ev_segment = np.concatenate([self.ev_segment, np.array(
            [vocab.setdefault(e.segment, len(vocab)) for _, _, e in ev], dtype=np.int64)])
        self.ev_day = np.concatenate(
            [self.ev_day, np.array([_ordinal(e.occurred) for _, _, e in ev], dtype=float)])
        from matching.engine.fit import event_criteria  # fit.py imports this module

        # Only closed leads are compared with their fit (the skill); offers need none.
        self.ev_criteria = np.concatenate([self.ev_criteria, event_criteria(
            self, [(i, e.lead if k in (EV_WON, EV_LOST) else None, _ordinal(e.occurred))
                   for i, k, e in ev])])
        self._memo.clear()  # the estimates were computed without these
        return len(ev)

    def __len__(self) -> int:
        return len(self.ids)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_memo"] = {}  # derived, per process
        return state

    def with_load(self, load_by_partner: dict[int, int]) -> PartnerTable:
        """Replace the current load (open leads + pending offers) — cheap, no rebuild."""
        load = np.zeros(len(self.ids), dtype=float)
        for pid, count in load_by_partner.items():
            i = self.index_of.get(int(pid))
            if i is not None:
                load[i] = count
        self.load = load
        return self

    def nbytes(self) -> int:
        """Memory of the arrays (inverted indexes included), for the benchmark."""
        total = 0
        for value in self.__dict__.values():
            if isinstance(value, np.ndarray):
                total += value.nbytes
            elif isinstance(value, dict):
                for item in value.values():
                    parts = item if isinstance(item, tuple) else (item,)
                    total += sum(a.nbytes for a in parts if isinstance(a, np.ndarray))
        return total
