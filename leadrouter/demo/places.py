"""Real postal codes of Germany, Austria and Switzerland to put partners and leads on."""

import re
from dataclasses import dataclass
from functools import cache

from leads.geocoding import geocode

COUNTRIES = ("DE", "AT", "CH")
LANGUAGES = {"DE": ["de"], "AT": ["de"], "CH": ["de", "fr", "it"]}

# Homes of the large integrators: (country, postal code, city).
MAJOR_CITIES = [
    ("DE", "10115", "Berlin"), ("DE", "80331", "München"), ("DE", "20095", "Hamburg"),
    ("DE", "50667", "Köln"), ("DE", "60311", "Frankfurt am Main"),
    ("DE", "70173", "Stuttgart"), ("DE", "40213", "Düsseldorf"), ("DE", "04109", "Leipzig"),
    ("DE", "30159", "Hannover"), ("DE", "90402", "Nürnberg"), ("AT", "1010", "Wien"),
    ("AT", "8010", "Graz"), ("AT", "4020", "Linz"), ("CH", "8001", "Zürich"),
    ("CH", "4051", "Basel"), ("CH", "3011", "Bern"),
]


@dataclass(frozen=True)
class Place:
    country: str
    postal_code: str
    city: str
    latitude: float
    longitude: float


def _city_name(locality: str) -> str:
    # "Wien, Innere Stadt" → "Wien"; "Lausanne 25" → "Lausanne".
    return re.sub(r"\s+\d+$", "", locality.split(",")[0]).strip()


@cache
def places_in(country: str) -> tuple[Place, ...]:
    """Every located postal code of the country, one place each, sorted by code (so a seeded
    random choice is the same on every run). Cities with many codes are drawn more often,
    roughly as people live."""
    from countrystatecity_postal_codes import get_postcodes_of_country

    seen: dict[str, Place] = {}
    for entry in get_postcodes_of_country(country):
        if entry.code in seen or not entry.localityName:
            continue
        city = _city_name(entry.localityName)
        point = geocode(country=country, postal_code=entry.code, city=city)
        if point:
            seen[entry.code] = Place(country, entry.code, city, *point)
    return tuple(sorted(seen.values(), key=lambda place: place.postal_code))


def place_of(country: str, postal_code: str, city: str) -> Place:
    point = geocode(country=country, postal_code=postal_code, city=city)
    if point is None:
        raise LookupError(f"{country} {postal_code} {city} is not in the geocoding data")
    return Place(country, postal_code, city, *point)
