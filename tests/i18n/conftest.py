"""German tenants and a German page's visible text, for the language tests."""

import gettext
import html
import re
from pathlib import Path

import pytest
from django.conf import settings

from leadrouter.tenancy.models import Tenant

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.mo"


@pytest.fixture
def german_tenant(tenant_a) -> Tenant:
    tenant_a.locale = "de"
    tenant_a.save(update_fields=["locale"])
    return tenant_a


def visible_text(page: str) -> str:
    """What a reader sees: no tags, scripts, styles or comments; entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def english_ui_strings() -> list[str]:
    """The catalogue's English strings that read differently in German: if one of them is
    on a German page, a template or view string was not marked for translation."""
    with CATALOGUE.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog
    german_text = " ".join(value for value in catalogue.values() if isinstance(value, str))
    strings = set()
    for key, german in catalogue.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid or "\x04" in msgid or german == msgid:
            continue
        # Placeholders split a sentence into fixed parts; look for each longer part.
        for part in re.split(r"%(?:\([a-z_]+\))?[-#0 +]*\d*(?:\.\d+)?[sdfr]|%%", msgid):
            part = part.strip(" .,:;()·—–-'\"“”„‘’")
            if not re.search(r"[A-Za-z]{2}", part) or re.fullmatch(r"[A-Z]{2,3}", part):
                continue  # no word, or a code such as CI or ID
            # Words German uses too ("Partners" in "des Partners", "Channel-Manager").
            if re.search(r"(?<!\w)" + re.escape(part) + r"(?!\w)", german_text):
                continue
            strings.add(part)
    return sorted(strings)


def english_leftovers(page: str) -> list[str]:
    """English UI strings found as whole words in a page's visible text."""
    text = visible_text(page)
    found = []
    for string in english_ui_strings():
        match = re.search(r"(?<![\w@.])" + re.escape(string) + r"(?![\w@])", text)
        if match:
            found.append(f"{string!r} in “…{text[max(0, match.start() - 40):match.end() + 40]}…”")
    return found
