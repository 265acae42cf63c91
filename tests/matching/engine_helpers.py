"""Building partner tables and leads for engine tests without a database."""

from datetime import date

from hypothesis import strategies as st

from matching.engine import EventRecord, LeadProfile, PartnerRecord, PartnerTable, PolicyParams

TODAY = date(2026, 3, 2)
MUNICH = (48.137, 11.575)
AUGSBURG = (48.371, 10.898)  # ~ 57 km from Munich
BERLIN = (52.520, 13.405)  # ~ 505 km from Munich


def partner(pid: int, **fields) -> PartnerRecord:
    defaults = {"name": f"P{pid}", "employees": 20, "capacity": 10, "country": "DE"}
    defaults.update(fields)
    return PartnerRecord(id=pid, **defaults)


def table_of(*partners: PartnerRecord, events: list[EventRecord] | None = None,
             levels: dict | None = None) -> PartnerTable:
    return PartnerTable.build(list(partners), events or [], levels or {})


def lead(**fields) -> LeadProfile:
    defaults = {"id": 1, "country": "DE", "postal_code": "80331"}
    defaults.update(fields)
    return LeadProfile(**defaults)


def outcomes(pid: int, *, accepted=0, rejected=0, won=0, lost=0, segment="C:small",
             day: date = TODAY) -> list[EventRecord]:
    events = []
    for kind, count in (("accepted", accepted), ("rejected", rejected), ("won", won),
                        ("lost", lost)):
        events += [EventRecord(pid, kind, segment, day) for _ in range(count)]
    return events


def greedy(**fields) -> PolicyParams:
    """The default policy without the exploration draw (deterministic best-first)."""
    fields.setdefault("exploration_rate", 0.0)
    return PolicyParams(**fields)


# --- hypothesis strategies -------------------------------------------------------------------
CODES = ["a", "b", "c"]
INDUSTRIES = ["C28", "C28.1", "C10", "G46", "J62"]


@st.composite
def partner_records(draw, pid: int) -> PartnerRecord:
    capacity = draw(st.integers(0, 5))
    return PartnerRecord(
        id=pid, name=f"P{pid}",
        status=draw(st.sampled_from(["active", "active", "active", "paused"])),
        employees=draw(st.integers(1, 2000)),
        capacity=capacity, load=draw(st.integers(0, 6)),
        deal_min=draw(st.sampled_from([0, 1000, 50000])),
        deal_max=draw(st.sampled_from([None, 20000, 500000])),
        level=draw(st.sampled_from(["platinum", "gold", "silver", "bronze", "registered"])),
        latitude=draw(st.one_of(st.none(), st.floats(47, 55))),
        longitude=draw(st.one_of(st.none(), st.floats(6, 15))),
        territories=draw(st.lists(st.tuples(
            st.sampled_from(["DE", "AT"]),
            st.lists(st.sampled_from(["8", "80", "1", "2"]), max_size=2),
            st.one_of(st.none(), st.sampled_from([50, 300]))), max_size=2)),
        industries=draw(st.lists(st.sampled_from(INDUSTRIES), max_size=2)),
        competencies=draw(st.dictionaries(st.sampled_from(CODES), st.integers(1, 3),
                                          max_size=3)),
        certifications=draw(st.dictionaries(
            st.sampled_from(CODES), st.sampled_from([None, date(2020, 1, 1),
                                                     date(2030, 1, 1)]), max_size=2)),
        products=draw(st.dictionaries(st.sampled_from(CODES), st.booleans(), max_size=2)),
        languages=draw(st.lists(st.sampled_from(["de", "en"]), max_size=2)),
    )


@st.composite
def tables(draw, min_size: int = 1, max_size: int = 12) -> PartnerTable:
    n = draw(st.integers(min_size, max_size))
    partners = [draw(partner_records(pid)) for pid in range(1, n + 1)]
    events = draw(st.lists(st.builds(
        EventRecord, partner_id=st.integers(1, n),
        kind=st.sampled_from(["accepted", "rejected", "won", "lost", "expired"]),
        segment=st.sampled_from(["C:small", "C:medium", "G:small"]),
        occurred=st.dates(date(2024, 1, 1), TODAY)), max_size=30))
    return table_of(*partners, events=events, levels={"a": 1, "b": 2, "c": 3})


leads = st.builds(
    LeadProfile, id=st.just(1), industry=st.sampled_from(["", *INDUSTRIES]),
    employees=st.one_of(st.none(), st.integers(1, 5000)), country=st.sampled_from(["DE", "AT"]),
    postal_code=st.sampled_from(["80331", "10115", "20095", ""]),
    latitude=st.one_of(st.none(), st.floats(47, 55)),
    longitude=st.one_of(st.none(), st.floats(6, 15)),
    deal_value=st.one_of(st.none(), st.floats(100, 1e6)),
    competencies=st.lists(st.sampled_from(CODES), max_size=2, unique=True),
    certifications=st.lists(st.sampled_from(CODES), max_size=1),
    products=st.lists(st.sampled_from(CODES), max_size=1),
    language=st.sampled_from(["", "de", "en"]),
    excluded_partner_ids=st.lists(st.integers(1, 12), max_size=2),
)
