"""The ingestion rules for one lead, the same for every channel (API, bulk, CSV, form, manual).

`LeadRules.load(tenant=...)` reads what the rules need once per batch (the tenant's taxonomy);
`lead_clean(data, rules=...)` then checks one raw item without touching the database and
returns the cleaned values or a message per bad field.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

from leadrouter.tenancy.models import Tenant
from leads.codes import COUNTRIES, CURRENCIES
from partners.models import TaxonomyTerm, TermKind

# Field → max length, for the plain text fields of a lead.
TEXT_FIELDS = {
    "company_name": 200, "postal_code": 12, "city": 100, "source": 100, "campaign": 100,
    "contact_name": 200, "contact_phone": 50, "notes": 10_000,
}
LIST_FIELDS = {
    "competencies": TermKind.COMPETENCY,
    "certifications": TermKind.CERTIFICATION,
    "products": TermKind.PRODUCT,
}
# Every field a client may send (DESIGN.md §8 lead fields, plus the form's consent).
LEAD_FIELDS = (
    "external_id", "company_name", "industry", "employees", "country", "postal_code", "city",
    "deal_value", "currency", "competencies", "certifications", "products", "language",
    "source", "campaign", "cost", "contact_name", "contact_email", "contact_phone", "notes",
    "consent",
)
REQUIRED = ("company_name", "country")
MAX_MONEY = Decimal("1000000000000")  # 14 digits with 2 decimals
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,4})?$")
_LIST_SPLIT = re.compile(r"[,;|]")
_COMPANY_NOISE = re.compile(r"[\W_]+")
_KNOWN_SHOWN = 40  # how many known codes an error message lists


class LeadRules:
    """What validating a batch of leads needs. The tenant's taxonomy is read once per batch,
    and only when an item names a code (most single API leads name none: no query)."""

    def __init__(self, *, tenant: Tenant):
        self.tenant = tenant
        self.auto_create_terms = tenant.auto_create_terms
        self._known: dict[str, set[str]] | None = None

    @classmethod
    def load(cls, *, tenant: Tenant) -> "LeadRules":
        return cls(tenant=tenant)

    @property
    def known(self) -> dict[str, set[str]]:
        if self._known is None:
            known: dict[str, set[str]] = {kind: set() for kind in TermKind.values}
            for kind, code in TaxonomyTerm.objects.values_list("kind", "code"):
                known.setdefault(kind, set()).add(code)
            self._known = known
        return self._known

    def check_codes(self, kind: str, codes: list[str], new_terms: dict) -> str | None:
        """None when all codes are usable, else the message for the field. Unknown codes
        the tenant lets us create are added to `new_terms` (kind → codes)."""
        unknown = [code for code in codes if code not in self.known[kind]]
        if not unknown:
            return None
        if self.auto_create_terms:
            new_terms.setdefault(kind, set()).update(unknown)
            return None
        known = sorted(self.known[kind])
        listed = ", ".join(known[:_KNOWN_SHOWN]) + (" …" if len(known) > _KNOWN_SHOWN else "")
        return gettext("Unknown code(s): %(codes)s. Known %(kind)s: %(known)s.") % {
            "codes": ", ".join(unknown), "kind": kind, "known": listed or gettext("none yet")}


def company_key(name: str) -> str:
    """A company name reduced for duplicate detection: case, punctuation and spacing ignored."""
    return " ".join(_COMPANY_NOISE.sub(" ", name.casefold()).split())


def email_normalise(email: str) -> str:
    return email.strip().lower()


def _text(value, max_length: int) -> tuple[str, str | None]:
    if value is None:
        return "", None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return "", gettext("Must be a string.")
    value = str(value).strip()
    if len(value) > max_length:
        return "", (gettext("Ensure this field has no more than %(n)d characters.")
                    % {"n": max_length})
    return value, None


def _money(value) -> tuple[Decimal | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        return None, gettext("Must be a number.")
    try:
        amount = Decimal(str(value).strip().replace(" ", ""))
    except InvalidOperation:
        return None, gettext("Must be a number.")
    if not amount.is_finite():
        return None, gettext("Must be a number.")
    if amount < 0:
        return None, gettext("Must be zero or more.")
    if amount >= MAX_MONEY:
        return None, gettext("Must be less than 1,000,000,000,000.")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), None


def _count(value) -> tuple[int | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, gettext("Must be a whole number.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None, gettext("Must be a whole number.")
    if not number.is_finite() or number != number.to_integral_value():
        return None, gettext("Must be a whole number.")
    if number < 0:
        return None, gettext("Must be zero or more.")
    if number > 10_000_000:
        return None, gettext("Must be at most 10,000,000.")
    return int(number), None


def _codes(value) -> tuple[list[str], str | None]:
    if value is None or value == "":
        return [], None
    if isinstance(value, str):
        value = _LIST_SPLIT.split(value)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [], gettext("Must be a list of codes.")
    codes: list[str] = []
    for code in (v.strip() for v in value):
        if len(code) > 40:
            return [], gettext("A code has at most 40 characters.")
        if code and code not in codes:
            codes.append(code)
    return codes, None


def _flag(value) -> tuple[bool, str | None]:
    if value is None or value == "":
        return False, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "y", "on", "ja"}:
        return True, None
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "n", "off",
                                                            "nein"}:
        return False, None
    return False, gettext("Must be true or false.")


def lead_clean(data, *, rules: LeadRules) -> tuple[dict, dict[str, list[str]]]:
    """Check one raw lead. Returns (cleaned values, {field: [message]}); errors empty = valid.

    `cleaned["new_terms"]` holds the unknown taxonomy codes to create (kind → codes) when
    the tenant auto-creates terms."""
    if not isinstance(data, dict):
        return {}, {"non_field_errors": [gettext("Each lead must be a JSON object.")]}
    errors: dict[str, list[str]] = {}
    new_terms: dict[str, set[str]] = {}
    cleaned: dict = {}

    def fail(name: str, message: str | None) -> None:
        if message:
            errors.setdefault(name, []).append(message)

    for name in data:
        if name not in LEAD_FIELDS:
            fail(str(name), gettext("Unknown field."))

    for name, max_length in TEXT_FIELDS.items():
        cleaned[name], message = _text(data.get(name), max_length)
        fail(name, message)
    for name in REQUIRED:
        if name not in errors and not (cleaned.get(name) or data.get(name)):
            fail(name, gettext("This field is required."))

    external_id, message = _text(data.get("external_id"), 100)
    fail("external_id", message)
    cleaned["external_id"] = external_id or None

    country, message = _text(data.get("country"), 2)
    country = country.upper()
    if not message and country and country not in COUNTRIES:
        message = gettext("Enter a two-letter ISO 3166-1 country code, e.g. DE.")
    if "country" not in errors:
        fail("country", message)
    cleaned["country"] = country

    currency, message = _text(data.get("currency"), 3)
    currency = currency.upper() or rules.tenant.currency
    if not message and currency not in CURRENCIES:
        message = gettext("Enter a three-letter ISO 4217 currency code, e.g. EUR.")
    fail("currency", message)
    cleaned["currency"] = currency

    language, message = _text(data.get("language"), 8)
    language = language.lower()
    if not message and language and not _LANGUAGE.match(language):
        message = gettext("Enter an ISO 639-1 language code, e.g. de.")
    fail("language", message)
    cleaned["language"] = language

    email, message = _text(data.get("contact_email"), 254)
    email = email_normalise(email)
    if not message and email:
        try:
            validate_email(email)
        except ValidationError:
            message = gettext("Enter a valid e-mail address.")
    fail("contact_email", message)
    cleaned["contact_email"] = email

    for name in ("deal_value", "cost"):
        cleaned[name], message = _money(data.get(name))
        fail(name, message)
    cleaned["employees"], message = _count(data.get("employees"))
    fail("employees", message)
    cleaned["consent"], message = _flag(data.get("consent"))
    fail("consent", message)

    industry, message = _text(data.get("industry"), 40)
    if not message and industry:
        message = rules.check_codes(TermKind.INDUSTRY, [industry], new_terms)
    fail("industry", message)
    cleaned["industry"] = industry
    for name, kind in LIST_FIELDS.items():
        codes, message = _codes(data.get(name))
        if not message and codes:
            message = rules.check_codes(kind, codes, new_terms)
        fail(name, message)
        cleaned[name] = codes

    cleaned["new_terms"] = new_terms
    return cleaned, errors
