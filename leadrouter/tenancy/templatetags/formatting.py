"""Locale-aware formatting of amounts:
{% load formatting %} ... {{ lead.deal_value|money:lead.currency }}

German: 1.234,56 €   English: €1,234.56   (the active language decides, see
leadrouter.tenancy.language). Grouping is forced here, so USE_THOUSAND_SEPARATOR stays off and
ids in URLs are never grouped.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language, pgettext_lazy

register = template.Library()

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
NBSP = "\u00a0"


def money_format(value, currency: str = "", *, decimals: int = 2) -> str:
    """`value` as an amount in the active language, with the currency's symbol (or code)."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    amount = amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    number = number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    code = (currency or "").upper()
    symbol = SYMBOLS.get(code, code)
    if not symbol:
        return number
    if (get_language() or "en").startswith("de"):
        return f"{number}{NBSP}{symbol}"
    if len(symbol) == 1:
        return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
    return f"{symbol}{NBSP}{number}"


@register.filter
def money(value, currency: str = "") -> str:
    """An amount with cents: {{ lead.deal_value|money:lead.currency }} → 1.234,56 €."""
    return money_format(value, currency)


@register.filter
def money0(value, currency: str = "") -> str:
    """A whole amount: {{ partner.deal_value_max|money0:currency }} → 50.000 €."""
    return money_format(value, currency, decimals=0)


TIER_WORDS = {
    "high": pgettext_lazy("tier", "high"),
    "moderate": pgettext_lazy("tier", "moderate"),
    "weak": pgettext_lazy("tier", "weak"),
    "new": pgettext_lazy("tier", "new"),
}


@register.filter
def tier_word(value) -> str:
    """A performance tier code as a short word in the active language: "high" → "stark"."""
    return str(TIER_WORDS.get(value, value))


@register.filter
def partner_status_label(value) -> str:
    """A partner status code ("paused") as its label in the active language."""
    from partners.models import PartnerStatus

    return str(dict(PartnerStatus.choices).get(value, value))


@register.filter
def criterion_label(name) -> str:
    """A routing criterion code ("industry") as its label in the active language."""
    from matching.templatetags.matching_explain import CRITERION_LABELS

    return str(CRITERION_LABELS.get(name, name))


@register.filter
def segment_label(segment) -> str:
    """A statistics segment ("C:medium") in words: "C · 50–249 employees"."""
    from matching.company_size import segment_label as words

    return words(str(segment or ""))
