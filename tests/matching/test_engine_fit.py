"""Every fit function at its edges: values stay in [0, 1] and mean what the docstring says."""

import math
from datetime import date

import numpy as np
import pytest

from matching.engine.eligibility import great_circle_km
from matching.engine.fit import (
    certification_fit,
    competency_fit,
    distance_fit,
    industry_fit,
    level_fit,
    size_fit,
)
from matching.engine.ranking import load_factor
from tests.matching.engine_helpers import MUNICH, TODAY, partner, table_of

DAY = TODAY.toordinal()


def test_it_gives_full_industry_fit_for_the_exact_code_or_an_ancestor():
    table = table_of(partner(1, industries=["C28.1"]), partner(2, industries=["C28"]),
                     partner(3, industries=["C10"]), partner(4, industries=["G46"]),
                     partner(5))
    assert list(industry_fit(table, "C28.1")) == [1.0, 1.0, 0.5, 0.0, 0.0]


def test_it_gives_everyone_full_industry_fit_when_the_lead_has_no_industry():
    table = table_of(partner(1, industries=["C28"]), partner(2))
    assert list(industry_fit(table, "")) == [1.0, 1.0]


def test_it_weights_competency_coverage_by_level():
    table = table_of(partner(1, competencies={"cnc": 3, "cad": 3}),
                     partner(2, competencies={"cnc": 3}),
                     partner(3, competencies={"cnc": 1, "cad": 1}), partner(4))
    fit = competency_fit(table, ["cnc", "cad"])
    assert fit == pytest.approx([1.0, 0.5, 1 / 3, 0.0])


def test_it_gives_full_competency_fit_when_none_is_requested():
    assert list(competency_fit(table_of(partner(1)), [])) == [1.0]


def _size(deal, employees, band=(0, math.inf), partner_employees=20):
    return float(size_fit(deal, employees, np.array([band[0]], dtype=float),
                          np.array([band[1]], dtype=float),
                          np.array([partner_employees], dtype=float))[0])


def test_it_is_a_perfect_size_fit_at_the_sweet_spot_inside_the_band():
    assert _size(10000, 40, band=(5000, 50000), partner_employees=20) == pytest.approx(1.0)


def test_it_lowers_size_fit_for_deals_too_big_and_too_small_for_the_band():
    inside = _size(10000, None, band=(5000, 50000))
    too_small = _size(500, None, band=(5000, 50000))
    too_big = _size(5_000_000, None, band=(5000, 50000))
    assert inside == 1.0 and too_small < 0.1 and too_big < 0.01
    assert _size(2500, None, band=(5000, 50000)) > too_small  # closer loses less


def test_it_lowers_size_fit_for_customers_too_big_and_too_small_for_the_partner():
    ten_person_shop = _size(None, 5000, partner_employees=10)
    large_integrator = _size(None, 3, partner_employees=2000)
    assert ten_person_shop < 0.2 and large_integrator < 0.1
    assert 0.0 <= ten_person_shop <= 1.0 and 0.0 <= large_integrator <= 1.0


def test_it_ignores_unknown_size_information():
    assert _size(None, None) == 1.0
    assert _size(0, None, band=(5000, 50000)) == 1.0


def test_it_gives_distance_fit_one_at_the_door_and_less_further_away():
    fit = distance_fit(np.array([0.0, 100.0, 1000.0, np.nan]), scale_km=100)
    assert fit[0] == 1.0 and fit[1] == pytest.approx(math.exp(-1))
    assert 0 <= fit[2] < 0.001 and fit[3] == 0.5


def test_it_measures_great_circle_distances():
    d = great_circle_km(np.array([MUNICH[0]]), np.array([MUNICH[1]]), 52.520, 13.405)
    assert d[0] == pytest.approx(504, abs=5)


def test_it_weights_requested_certifications_by_level_and_validity():
    table = table_of(
        partner(1, certifications={"iso": None, "expert": None}),
        partner(2, certifications={"iso": None}),
        partner(3, certifications={"iso": None, "expert": date(2020, 1, 1)}),  # expired
        levels={"iso": 1, "expert": 3})
    fit = certification_fit(table, ["iso", "expert"], DAY)
    assert fit == pytest.approx([1.0, 0.25, 0.25])


def test_it_rates_certification_depth_when_none_is_requested():
    table = table_of(partner(1, certifications={"a": None, "b": None}), partner(2),
                     levels={"a": 3, "b": 3})
    assert list(certification_fit(table, [], DAY, saturation=6)) == [1.0, 0.0]


def test_it_maps_partner_levels_to_zero_to_one():
    table = table_of(partner(1, level="platinum"), partner(2, level="silver"),
                     partner(3, level="registered"))
    assert list(level_fit(table)) == [1.0, 0.5, 0.0]


def test_it_falls_to_zero_load_factor_when_full():
    psi = load_factor(np.array([0.0, 5.0, 10.0, 12.0, 3.0]),
                      np.array([10.0, 10.0, 10.0, 10.0, 0.0]))
    assert psi[0] == pytest.approx(1 - math.exp(-1))
    assert psi[0] > psi[1] > psi[2] == 0.0
    assert psi[3] == 0.0 and psi[4] == 0.0
