"""Words for routing decisions: criteria, rules and exclusion counts."""

from django import template
from django.utils.translation import gettext_lazy as _

from matching.explanation import excluded_in_words

register = template.Library()

CRITERION_LABELS = {
    "industry": _("Industry"), "competency": _("Competencies"), "size": _("Size fit"),
    "distance": _("Distance"), "certification": _("Certifications"),
    "level": _("Partner level"), "accept": _("Acceptance (exponent)"),
    "win": _("Win rate (exponent)"), "load": _("Free capacity (exponent)"),
    "p_accept": _("Acceptance rate"), "p_win": _("Win rate"),
    # wins over the wins the partner's leads' fit predicted: 1 = as expected, 1.3 = 30 % more
    "skill": _("Wins vs. expected"),
}
RULE_LABELS = {
    "status": _("Active and not paused"), "declined": _("Has not declined this lead"),
    "territory": _("Inside territory"), "language": _("Speaks the lead's language"),
    "product": _("Requested products available"),
    "certification": _("Required certifications valid"),
    "deal_band": _("Deal value inside the partner's band"),
    "capacity": _("Capacity left"),
}
SHOWN_CRITERIA = ("industry", "competency", "size", "distance", "certification", "level",
                  "p_accept", "p_win", "skill", "load")


@register.filter
def excluded_words(excluded: dict | None) -> str:
    return excluded_in_words(excluded)


@register.filter
def excluded_total(excluded: dict | None) -> int:
    return sum((excluded or {}).values())


@register.filter
def criteria_rows(candidate: dict) -> list[dict]:
    """[{name, label, value, contribution}] for the bars of one candidate."""
    criteria = candidate.get("criteria", {})
    contributions = candidate.get("contributions", {})
    return [{"name": name, "label": CRITERION_LABELS.get(name, name),
             "value": criteria[name], "contribution": contributions.get(name)}
            for name in SHOWN_CRITERIA if name in criteria]


@register.filter
def rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule, rule)
