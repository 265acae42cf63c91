"""Formatting for the dashboard: percentages, durations, changes against the last period."""

from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def pct(value, digits: int = 1) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f} %"


@register.filter
def duration(value) -> str:
    """Seconds or a timedelta as '3.2 h' / '4.1 d' / '12 min'."""
    if value is None or value == "":
        return "—"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 3600:
        return _("%(n)d min") % {"n": round(seconds / 60)}
    if seconds < 86400 * 2:
        return _("%(n).1f h") % {"n": seconds / 3600}
    return _("%(n).1f d") % {"n": seconds / 86400}


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.0f}".replace(",", "\u202f")


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
    return f"{'+' if value >= 0 else '−'}{abs(value) * 100:.0f} %"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
