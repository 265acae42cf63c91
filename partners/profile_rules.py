"""The rules a partner profile must satisfy, checked before anything is written.

The API's serializers and the dashboard's forms already parse types; these checks are the
domain's own (band order, levels, codes in the tenant's taxonomy, ...) so that every way in —
API, dashboard, seed data, management commands — obeys the same rules. Each problem is
reported under the name of the field it belongs to, as in the API contract (DESIGN.md §8).
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

from leads.codes import COUNTRIES
from partners.models import PartnerLevel, PartnerStatus, TaxonomyTerm, TermKind

# The profile fields of DESIGN.md §8 that are plain columns of Partner.
SCALAR_FIELDS = (
    "external_id", "name", "status", "employees", "capacity", "deal_value_min",
    "deal_value_max", "level", "country", "postal_code", "city", "languages",
    "notification_email",
)
# The nested lists; a list given in an update replaces the partner's current one.
NESTED_FIELDS = ("territories", "industries", "competencies", "certifications", "products")
# Which taxonomy kind the codes of each nested list come from.
NESTED_KIND = {
    "industries": TermKind.INDUSTRY,
    "competencies": TermKind.COMPETENCY,
    "certifications": TermKind.CERTIFICATION,
    "products": TermKind.PRODUCT,
}

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_POSTAL_PREFIX = re.compile(r"^[A-Za-z0-9 -]{1,12}$")


class ProfileErrors:
    """Collects problems per field so one answer names all of them."""

    def __init__(self) -> None:
        self.fields: dict[str, list] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)


def normalise_codes(data: dict) -> dict[str, list[str]]:
    """The taxonomy codes named in `data`, per nested field (stripped, in order)."""
    codes: dict[str, list[str]] = {}
    for field in NESTED_KIND:
        if field not in data or data[field] is None:
            continue
        if field == "industries":
            codes[field] = [str(code).strip() for code in data[field]]
        else:
            codes[field] = [str(item.get("code", "")).strip() for item in data[field]]
    return codes


def check_profile(data: dict, errors: ProfileErrors, *, creating: bool) -> dict:
    """Check and normalise the fields present in `data`; returns the cleaned values."""
    clean: dict = {}
    unknown = set(data) - set(SCALAR_FIELDS) - set(NESTED_FIELDS)
    for field in sorted(unknown):
        errors.add(field, gettext("Unknown field."))
    if creating:
        for field in ("external_id", "name", "country"):
            if not str(data.get(field) or "").strip():
                errors.add(field, gettext("This field is required."))

    for field in ("external_id", "name", "postal_code", "city"):
        if field in data:
            clean[field] = str(data[field] or "").strip()
    for field in ("external_id", "name"):
        if field in clean and not clean[field] and not creating:
            errors.add(field, gettext("This field may not be blank."))
    if "country" in data:
        clean["country"] = str(data["country"] or "").strip().upper()
        if clean["country"] and clean["country"] not in COUNTRIES:
            errors.add("country", gettext("Use a two-letter ISO 3166-1 country code, e.g. DE."))
        elif not clean["country"] and not creating:
            errors.add("country", gettext("This field may not be blank."))
    if "status" in data:
        clean["status"] = data["status"]
        if data["status"] not in PartnerStatus.values:
            errors.add("status", gettext("Choose one of: %(values)s.")
                       % {"values": ", ".join(PartnerStatus.values)})
    if "level" in data:
        clean["level"] = data["level"]
        if data["level"] not in PartnerLevel.values:
            errors.add("level", gettext("Choose one of: %(values)s.")
                       % {"values": ", ".join(PartnerLevel.values)})
    for field in ("employees", "capacity"):
        if field in data:
            value = data[field]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errors.add(field, gettext("Enter a whole number of 0 or more."))
            clean[field] = value
    for field in ("deal_value_min", "deal_value_max"):
        if field in data:
            clean[field] = _decimal(data[field], field, errors,
                                    allow_none=field == "deal_value_max")
    if "languages" in data:
        languages = [str(code).strip().lower() for code in (data["languages"] or [])]
        bad = [code for code in languages if not _LANGUAGE.match(code)]
        if bad:
            errors.add("languages", gettext("Use ISO 639-1 codes such as de or en (not %(codes)s).")
                       % {"codes": ", ".join(bad)})
        clean["languages"] = list(dict.fromkeys(languages))
    if "notification_email" in data:
        email = str(data["notification_email"] or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.add("notification_email", gettext("Enter a valid e-mail address."))
        clean["notification_email"] = email

    if "territories" in data:
        clean["territories"] = _territories(data["territories"] or [], errors)
    if "competencies" in data:
        clean["competencies"] = _levels(data["competencies"] or [], errors)
    if "certifications" in data:
        clean["certifications"] = _valid_until(data["certifications"] or [], errors)
    if "products" in data:
        clean["products"] = [
            {"code": str(item.get("code", "")).strip(),
             "available": bool(item.get("available", True))}
            for item in data["products"] or []
        ]
    if "industries" in data:
        clean["industries"] = [str(code).strip() for code in data["industries"] or []]
    for field, codes in normalise_codes(clean).items():
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            errors.add(field, gettext("Listed more than once: %(codes)s.")
                       % {"codes": ", ".join(duplicates)})
        if any(not code for code in codes):
            errors.add(field, gettext("Every entry needs a code."))
    return clean


def check_band(minimum, maximum, errors: ProfileErrors) -> None:
    if minimum is not None and maximum is not None and maximum < minimum:
        errors.add("deal_value_max",
                   gettext("The maximum deal value must not be below the minimum."))


def unknown_codes(codes_by_field: dict[str, list[str]]) -> dict[str, tuple[list[str], list[str]]]:
    """Per field: (codes not in the tenant's taxonomy, the known codes of that kind).

    One query for all kinds, inside the current tenant scope."""
    kinds = {NESTED_KIND[field] for field, codes in codes_by_field.items() if codes}
    if not kinds:
        return {}
    known: dict[str, set[str]] = {kind: set() for kind in kinds}
    for kind, code in TaxonomyTerm.objects.filter(kind__in=kinds).values_list("kind", "code"):
        known[kind].add(code)
    result = {}
    for field, codes in codes_by_field.items():
        if not codes:
            continue
        kind = NESTED_KIND[field]
        missing = [code for code in dict.fromkeys(codes) if code not in known[kind]]
        if missing:
            result[field] = (missing, sorted(known[kind]))
    return result


def _decimal(value, field: str, errors: ProfileErrors, *, allow_none: bool):
    if value is None or value == "":
        if allow_none:
            return None
        errors.add(field, gettext("This field may not be empty."))
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.add(field, gettext("Enter a number."))
        return None
    if not number.is_finite() or number < 0:
        errors.add(field, gettext("Enter an amount of 0 or more."))
        return None
    if number >= Decimal("1e12"):
        errors.add(field, gettext("Enter an amount below 1,000,000,000,000."))
        return None
    return number.quantize(Decimal("0.01"))


def _territories(items: list, errors: ProfileErrors) -> list[dict]:
    clean = []
    for index, item in enumerate(items):
        country = str(item.get("country") or "").strip().upper()
        prefixes = [str(p).strip() for p in item.get("postal_prefixes") or [] if str(p).strip()]
        radius = item.get("radius_km")
        if country not in COUNTRIES:
            errors.add("territories", gettext("Territory %(n)d: use a two-letter country code.")
                       % {"n": index + 1})
        bad = [p for p in prefixes if not _POSTAL_PREFIX.match(p)]
        if bad:
            errors.add("territories",
                       gettext("Territory %(n)d: postal prefixes are letters and digits only.")
                       % {"n": index + 1})
        if radius is not None and (not isinstance(radius, int) or isinstance(radius, bool)
                                   or not 1 <= radius <= 2000):
            errors.add("territories", gettext("Territory %(n)d: radius_km is 1 to 2000.")
                       % {"n": index + 1})
        if radius is not None and prefixes:
            errors.add("territories",
                       gettext("Territory %(n)d: give postal prefixes or a radius, not both.")
                       % {"n": index + 1})
        clean.append({"country": country, "postal_prefixes": list(dict.fromkeys(prefixes)),
                      "radius_km": radius})
    return clean


def _levels(items: list, errors: ProfileErrors) -> list[dict]:
    clean = []
    for item in items:
        level = item.get("level", 1)
        level = 1 if level is None else level
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 3:
            errors.add("competencies", f"{item.get('code', '')}: level is 1, 2 or 3.")
        clean.append({"code": str(item.get("code", "")).strip(), "level": level})
    return clean


def _valid_until(items: list, errors: ProfileErrors) -> list[dict]:
    clean = []
    for item in items:
        valid_until = item.get("valid_until")
        if valid_until is not None and not isinstance(valid_until, date):
            try:
                valid_until = date.fromisoformat(str(valid_until))
            except ValueError:
                errors.add("certifications",
                           f"{item.get('code', '')}: valid_until is a date (YYYY-MM-DD).")
                valid_until = None
        clean.append({"code": str(item.get("code", "")).strip(), "valid_until": valid_until})
    return clean
