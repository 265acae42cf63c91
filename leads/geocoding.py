"""Offline geocoding: postal code / city → coordinates. Never uses the network.

The data ship inside two installed packages of the countries-states-cities database
(ODbL): `countrystatecity-postal-codes` (every postal code of a country with its locality
and state, but no coordinates) and `countrystatecity-countries` (cities with coordinates).
A postal code is located by joining its locality to a city of the same name, preferring
the same state. That is city-level precision (all Munich codes share one point), which is
what radius territories and the distance fit need.

Order of lookup:
1. the full postal code, when its locality joins a known city;
2. the city name given with the lead;
3. the centroid of the located codes sharing the longest prefix ("8099x" → "809" → "80");
4. otherwise None (the caller marks the lead `unknown` and matches on country and prefix).

Known gaps: a locality with no city of the same name (about 10–15 % of DE/AT codes and
more than half of the small Swiss ones) is placed by its prefix centroid, within roughly
10–30 km. Data are loaded once per process and country on first use (~0.1 s per country).
"""

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

Point = tuple[float, float]

MIN_PREFIX = 2
EARTH_RADIUS_KM = 6371.0088

# The city data name a few large cities in English; postal data and users use the local name.
_EXONYMS = {
    "munchen": "munich",
    "wien": "vienna",
    "geneve": "geneva",
    "genf": "geneva",
    "nurnberg": "nuremberg",
    "koln": "cologne",
    "hannover": "hanover",
    "braunschweig": "brunswick",
    "luzern": "lucerne",
}
# "Freiburg im Breisgau" → "freiburg", "Offenbach am Main" → "offenbach".
_QUALIFIER = re.compile(r"\s(?:am|an der|an|im|in der|in|bei|ob|ueber|uber|auf der)\s.*$")
# "Lausanne 25", "Renens VD": a delivery district number or a canton suffix.
_SUFFIX = re.compile(r"\s+(?:\d+|[A-Z]{2})$")


def normalize_place(name: str) -> str:
    """A comparable key for a place name: lower case, no accents, `ß`→`ss`, `St.`→`sankt`,
    no district after a comma ("Wien, Innere Stadt" → "wien")."""
    name = _SUFFIX.sub("", name.strip())
    name = re.split(r"[,/(]", name, maxsplit=1)[0].lower().replace("ß", "ss")
    name = unicodedata.normalize("NFKD", name)
    name = "".join(ch for ch in name if not unicodedata.combining(ch))
    name = re.sub(r"^(?:st\.\s*|st\s+|ste?-|sankt\s+|saint-)", "sankt ", name)
    name = re.sub(r"[^a-z]+", " ", name)
    return " ".join(name.split())


def _name_keys(name: str) -> list[str]:
    key = normalize_place(name)
    if not key:
        return []
    keys = [key]
    if key in _EXONYMS:
        keys.append(_EXONYMS[key])
    short = _QUALIFIER.sub("", key)
    if short != key:
        keys.append(short)
    return keys


def normalize_postal_code(country: str, postal_code: str) -> str:
    """`D-80331`, `CH-8001`, ` 1010 ` → the bare code."""
    code = postal_code.strip().upper().replace(" ", "")
    return re.sub(rf"^(?:{re.escape(country)}|[A-Z]{{1,2}})-", "", code)


@dataclass(frozen=True)
class _CountryIndex:
    codes: dict[str, Point]
    cities: dict[str, Point]
    prefixes: dict[str, Point]


@cache
def _country_index(country: str) -> _CountryIndex:
    # Imported here so that importing this module (e.g. by the URLconf) stays cheap.
    from countrystatecity_countries import get_cities_of_country
    from countrystatecity_postal_codes import get_postcodes_of_country

    cities: dict[str, Point] = {}
    cities_in_state: dict[tuple[str, str], Point] = {}
    for city in get_cities_of_country(country):
        if city.latitude is None or city.longitude is None:
            continue
        point = (float(city.latitude), float(city.longitude))
        for key in _name_keys(city.name):
            cities.setdefault(key, point)
            cities_in_state.setdefault((city.state_code or "", key), point)

    codes: dict[str, Point] = {}
    for entry in get_postcodes_of_country(country):
        if entry.code in codes:
            continue
        if entry.latitude is not None and entry.longitude is not None:
            codes[entry.code] = (entry.latitude, entry.longitude)
            continue
        for key in _name_keys(entry.localityName or ""):
            point = cities_in_state.get((entry.stateCode or "", key)) or cities.get(key)
            if point:
                codes[entry.code] = point
                break

    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for code, (lat, lon) in codes.items():
        for length in range(MIN_PREFIX, len(code)):
            acc = sums[code[:length]]
            acc[0] += lat
            acc[1] += lon
            acc[2] += 1
    prefixes = {prefix: (lat / n, lon / n) for prefix, (lat, lon, n) in sums.items()}
    return _CountryIndex(codes=codes, cities=cities, prefixes=prefixes)


def geocode(*, country: str, postal_code: str = "", city: str = "") -> Point | None:
    """Coordinates (latitude, longitude) for the place, or None when it is not known.

    Tries the full postal code, then the city name, then the centroid of the longest known
    postal-code prefix. Never uses the network.
    """
    country = (country or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        return None
    index = _country_index(country)
    code = normalize_postal_code(country, postal_code or "")
    if code and code in index.codes:
        return index.codes[code]
    for key in _name_keys(city or ""):
        if key in index.cities:
            return index.cities[key]
    for length in range(len(code) - 1, MIN_PREFIX - 1, -1):
        point = index.prefixes.get(code[:length])
        if point:
            return point
    return None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km: 2R·asin(√(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)))."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
