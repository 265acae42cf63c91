"""Dates for European readers: English is day first with a 24-hour clock ("27 Nov 2026",
"27/11/2026 14:05"), German as Germans write it ("27.11.2026"); amounts follow the language."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tests.factories import lead_create

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 27)
MOMENT = datetime(2026, 11, 27, 14, 5, tzinfo=BERLIN)
TEMPLATE = Template('{{ day|date }} | {{ day|date:"SHORT_DATE_FORMAT" }} | '
                    '{{ moment|date:"SHORT_DATETIME_FORMAT" }} | '
                    '{{ moment|date:"DATETIME_FORMAT" }} | {{ moment|time }}')


def _render(language: str) -> str:
    with translation.override(language):
        return TEMPLATE.render(Context({"day": DAY, "moment": MOMENT}))


def test_it_renders_english_dates_day_first():
    assert _render("en") == ("27 Nov 2026 | 27/11/2026 | 27/11/2026 14:05 | "
                             "27 Nov 2026, 14:05 | 14:05")


def test_it_renders_german_dates_as_germans_write_them():
    assert _render("de") == ("27. November 2026 | 27.11.2026 | 27.11.2026 14:05 | "
                             "27. November 2026 14:05 | 14:05")


def test_it_reads_a_typed_english_date_day_first():
    class DateForm(forms.Form):
        day = forms.DateField()

    with translation.override("en"):
        form = DateForm({"day": "03/09/2026"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["day"] == date(2026, 9, 3)


def test_it_keeps_iso_dates_in_date_inputs():
    """<input type="date"> only takes 2026-11-27, whatever the language."""
    widget = forms.DateInput(attrs={"type": "date"})
    with translation.override("en"):
        assert 'value="2026-11-27"' in widget.render("day", DAY)


@pytest.fixture
def lead_on_page(tenant_a):
    return lead_create(tenant_a, received_at=MOMENT, deal_value="1234.56", currency="EUR")


def _lead_page(client, manager, lead, tenant, locale: str) -> str:
    tenant.locale = locale
    tenant.save(update_fields=["locale"])
    client.force_login(manager)
    response = client.get(reverse("leads:detail", args=[lead.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_an_english_page_with_day_first_dates(client, manager_a, tenant_a,
                                                       lead_on_page):
    page = _lead_page(client, manager_a, lead_on_page, tenant_a, "en")
    assert "27/11/2026 14:05" in page
    assert "€1,234.56" in page
    assert "11/27/2026" not in page


def test_it_shows_a_german_page_with_german_dates_and_amounts(client, manager_a, tenant_a,
                                                              lead_on_page):
    page = _lead_page(client, manager_a, lead_on_page, tenant_a, "de")
    assert "27.11.2026 14:05" in page
    assert "1.234,56\u00a0€" in page
