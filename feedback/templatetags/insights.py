"""Formatting for the dashboard: percentages, durations, changes against the last period."""

from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def pct(value, digits: int = 1) -> str:
    if value is None or value == "":
        return "—"
    return f"{number_format(float(value) * 100, decimal_pos=int(digits), use_l10n=True)} %"


@register.filter
def duration(value) -> str:
    """Seconds or a timedelta as '3.2 h' / '4.1 d' / '12 min'."""
    if value is None or value == "":
        return "—"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 3600:
        return _("%(n)d min") % {"n": round(seconds / 60)}
    if seconds < 86400 * 2:
        return _("%(n)s h") % {"n": number_format(seconds / 3600, decimal_pos=1, use_l10n=True)}
    return _("%(n)s d") % {"n": number_format(seconds / 86400, decimal_pos=1, use_l10n=True)}


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return "—"
    return number_format(Decimal(value), decimal_pos=0, use_l10n=True, force_grouping=True)


@register.filter
def kpi(value, kind: str) -> str:
    if kind == "pct":
        return pct(value)
    if kind == "duration":
        return duration(value)
    if kind == "money":
        return money(value)
    return "—" if value is None else str(value)


@register.filter
def change(value) -> str:
    if value is None:
        return ""
    number = number_format(abs(value) * 100, decimal_pos=0, use_l10n=True)
    return f"{'+' if value >= 0 else '−'}{number} %"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
