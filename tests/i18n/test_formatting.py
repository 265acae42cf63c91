"""Numbers, amounts and dates in the active language's format."""

from datetime import date

from django.template import Context, Template
from django.utils import translation

from feedback.templatetags.insights import duration, money, pct
from leadrouter.tenancy.templatetags.formatting import money_format, tier_word


def test_it_formats_amounts_for_german():
    with translation.override("de"):
        assert money_format("1234.56", "EUR") == "1.234,56\u00a0€"
        assert money_format(50000, "CHF", decimals=0) == "50.000\u00a0CHF"
        assert money_format(None, "EUR") == "—"


def test_it_formats_amounts_for_english():
    with translation.override("en"):
        assert money_format("1234.56", "EUR") == "€1,234.56"
        assert money_format("-5", "USD") == "-$5.00"
        assert money_format(50000, "CHF", decimals=0) == "CHF\u00a050,000"


def test_it_rounds_whole_amounts_half_up():
    with translation.override("de"):
        assert money_format("123456.78", "EUR", decimals=0) == "123.457\u00a0€"


def test_it_formats_dashboard_figures_for_the_locale():
    with translation.override("de"):
        assert pct(0.125) == "12,5 %"
        assert money(1234567) == "1.234.567"
        assert duration(5400) == "1,5 Std."
        assert tier_word("high") == "stark"
    with translation.override("en"):
        assert pct(0.125) == "12.5 %"
        assert duration(5400) == "1.5 h"


def test_it_formats_dates_and_floatformat_for_the_locale():
    template = Template('{{ day|date:"SHORT_DATE_FORMAT" }} {{ n|floatformat:"2g" }}')
    context = Context({"day": date(2026, 3, 9), "n": 1234.5})
    with translation.override("de"):
        assert template.render(context) == "09.03.2026 1.234,50"
    with translation.override("en"):
        assert template.render(context) == "09/03/2026 1,234.50"
