"""Hard rules: who may get the lead, and exclusions counted by reason."""

from datetime import date

from matching.engine import rank_lead
from tests.matching.engine_helpers import (
    AUGSBURG,
    BERLIN,
    MUNICH,
    TODAY,
    greedy,
    lead,
    partner,
    table_of,
)


def _rank(table, the_lead, **policy):
    return rank_lead(table, the_lead, greedy(**policy), seed=1, today=TODAY)


def test_it_matches_territories_by_country_and_postal_prefix():
    table = table_of(partner(1, territories=[("DE", ["80", "81"], None)]),
                     partner(2, territories=[("DE", ["1"], None)]),
                     partner(3, territories=[("AT", [], None)]),
                     partner(4, territories=[("DE", [], None)]))
    ranking = _rank(table, lead(country="DE", postal_code="80331"))
    assert set(ranking.order) == {1, 4}
    assert ranking.excluded == {"territory": 2}


def test_it_matches_a_radius_territory_by_great_circle_distance():
    table = table_of(
        partner(1, latitude=AUGSBURG[0], longitude=AUGSBURG[1], territories=[("DE", [], 80)]),
        partner(2, latitude=BERLIN[0], longitude=BERLIN[1], territories=[("DE", [], 80)]))
    ranking = _rank(table, lead(latitude=MUNICH[0], longitude=MUNICH[1]))
    assert ranking.order == [1] and ranking.excluded == {"territory": 1}


def test_it_falls_back_to_the_country_when_the_lead_has_no_location():
    table = table_of(
        partner(1, latitude=BERLIN[0], longitude=BERLIN[1], territories=[("DE", [], 80)]))
    assert _rank(table, lead(latitude=None, longitude=None)).order == [1]


def test_it_uses_the_home_country_for_a_partner_without_territories():
    table = table_of(partner(1, country="AT"), partner(2, country="DE"))
    assert _rank(table, lead(country="DE")).order == [2]


def test_it_requires_certifications_valid_on_the_routing_day():
    table = table_of(partner(1, certifications={"iso": None}),
                     partner(2, certifications={"iso": date(2026, 1, 1)}),
                     partner(3, certifications={"iso": TODAY}),
                     partner(4))
    ranking = _rank(table, lead(certifications=["iso"]))
    assert set(ranking.order) == {1, 3} and ranking.excluded == {"certification": 2}


def test_it_requires_the_product_to_be_available():
    table = table_of(partner(1, products={"car": True}), partner(2, products={"car": False}),
                     partner(3))
    ranking = _rank(table, lead(products=["car"]))
    assert ranking.order == [1] and ranking.excluded == {"product": 2}


def test_it_requires_capacity_left_counting_pending_offers():
    table = table_of(partner(1, capacity=3, load=2), partner(2, capacity=3, load=3),
                     partner(3, capacity=0))
    ranking = _rank(table, lead())
    assert ranking.order == [1] and ranking.excluded == {"capacity": 2}


def test_it_requires_the_deal_value_inside_the_band():
    table = table_of(partner(1, deal_min=1000, deal_max=50000),
                     partner(2, deal_min=100000), partner(3, deal_max=5000))
    ranking = _rank(table, lead(deal_value=20000))
    assert ranking.order == [1] and ranking.excluded == {"deal_band": 2}


def test_it_skips_paused_partners_and_those_who_declined():
    table = table_of(partner(1), partner(2, status="paused"),
                     partner(3, paused_until=date(2026, 3, 10)),
                     partner(4, paused_until=date(2026, 3, 1)), partner(5))
    ranking = _rank(table, lead(excluded_partner_ids=[5]))
    assert set(ranking.order) == {1, 4}
    assert ranking.excluded == {"status": 2, "declined": 1}


def test_it_requires_the_language_only_when_the_policy_makes_it_hard():
    table = table_of(partner(1, languages=["de"]), partner(2, languages=["en"]), partner(3))
    soft = _rank(table, lead(language="de"))
    assert set(soft.order) == {1, 2, 3}
    assert soft.order[-1] == 2  # the soft-rule penalty puts it last
    hard = _rank(table, lead(language="de"),
                 hard_rules=frozenset({"language", "territory", "status"}))
    assert set(hard.order) == {1, 3} and hard.excluded == {"language": 1}


def test_it_counts_each_excluded_partner_once_under_its_first_failing_rule():
    table = table_of(partner(1, country="AT", capacity=0), partner(2, capacity=0), partner(3))
    ranking = _rank(table, lead(country="DE"))
    assert ranking.excluded == {"territory": 1, "capacity": 1}
    assert ranking.eligible_count == 1


def test_it_turns_a_hard_rule_soft_by_policy():
    table = table_of(partner(1, certifications={"iso": None}), partner(2))
    ranking = _rank(table, lead(certifications=["iso"]), hard_rules=frozenset({"territory"}))
    assert ranking.order == [1, 2]
    assert ranking.candidates[1]["soft_violations"] == ["certification"]
    assert ranking.candidates[1]["factors"]["soft_penalty"] == 0.5


def test_it_reports_nobody_with_reasons_when_all_are_excluded():
    table = table_of(partner(1, country="AT"), partner(2, country="AT"),
                     partner(3, certifications={}))
    ranking = _rank(table, lead(certifications=["iso"]))
    assert ranking.order == [] and ranking.chosen == [] and ranking.candidates == []
    assert ranking.excluded == {"territory": 2, "certification": 1}
