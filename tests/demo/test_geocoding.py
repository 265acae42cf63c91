"""Offline geocoding from the data the installed packages ship (no network)."""

import pytest

from leads.geocoding import geocode, haversine_km, normalize_place


@pytest.mark.parametrize(
    ("country", "postal_code", "lat", "lon"),
    [
        ("DE", "80331", 48.14, 11.58),  # München
        ("DE", "10115", 52.52, 13.41),  # Berlin
        ("AT", "1010", 48.21, 16.37),  # Wien
        ("CH", "8001", 47.37, 8.55),  # Zürich
    ],
)
def test_it_locates_a_full_postal_code(country, postal_code, lat, lon):
    point = geocode(country=country, postal_code=postal_code)
    assert point is not None
    assert haversine_km(*point, lat, lon) < 10


def test_it_accepts_a_country_prefixed_code_and_lowercase_country():
    assert geocode(country="de", postal_code="D-80331") == geocode(country="DE",
                                                                   postal_code="80331")


def test_it_falls_back_to_the_city_name():
    point = geocode(country="DE", postal_code="", city="Hamburg")
    assert point is not None and haversine_km(*point, 53.55, 10.0) < 15


def test_it_finds_a_city_by_its_local_name():
    munich = geocode(country="DE", city="München")
    vienna = geocode(country="AT", city="Wien")
    assert munich and haversine_km(*munich, 48.14, 11.58) < 10
    assert vienna and haversine_km(*vienna, 48.21, 16.37) < 10


def test_it_falls_back_to_the_prefix_centroid_for_an_unknown_code():
    point = geocode(country="DE", postal_code="80999")  # not a code; 80xxx is Munich
    assert point is not None and haversine_km(*point, 48.14, 11.58) < 30


def test_it_returns_none_for_an_unknown_place():
    assert geocode(country="DE", postal_code="00000") is None
    assert geocode(country="DE", city="Nirgendwo-am-See") is None
    assert geocode(country="XX", postal_code="12345", city="Berlin") is None


def test_it_measures_great_circle_distance():
    assert haversine_km(48.137, 11.575, 52.520, 13.405) == pytest.approx(504, abs=5)
    assert haversine_km(1.0, 2.0, 1.0, 2.0) == 0


def test_it_normalizes_place_names():
    assert normalize_place("Wien, Innere Stadt") == "wien"
    assert normalize_place("St. Gallen") == normalize_place("Sankt Gallen")
    assert normalize_place("Renens VD") == "renens"
    assert normalize_place("Gießen") == "giessen"
