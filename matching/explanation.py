"""Routing decisions in words, for managers, e-mails and pages."""

from django.utils.translation import ngettext_lazy

EXCLUSION_WORDS = {
    "territory": ngettext_lazy("%d outside territory", "%d outside territory"),
    "certification": ngettext_lazy("%d missing certification", "%d missing certifications"),
    "product": ngettext_lazy("%d without the product available",
                             "%d without the product available"),
    "capacity": ngettext_lazy("%d at capacity", "%d at capacity"),
    "deal_band": ngettext_lazy("%d with the deal outside their band",
                               "%d with the deal outside their band"),
    "status": ngettext_lazy("%d paused or inactive", "%d paused or inactive"),
    "declined": ngettext_lazy("%d already declined or let it expire",
                              "%d already declined or let it expire"),
    "language": ngettext_lazy("%d not speaking the language", "%d not speaking the language"),
}


def excluded_in_words(excluded: dict | None) -> str:
    """{'territory': 9, 'certification': 3} → '9 outside territory, 3 missing certification'."""
    parts = []
    for reason, count in sorted((excluded or {}).items(), key=lambda item: -item[1]):
        if count:
            words = EXCLUSION_WORDS.get(reason)
            parts.append(words % count if words is not None else f"{count} excluded ({reason})")
    return ", ".join(parts)
