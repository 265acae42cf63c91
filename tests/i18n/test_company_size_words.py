"""Company sizes: one table of boundaries (matching.engine.types.SIZE_BANDS) gives the
engine's segments and the words on the pages, in English and German."""

import pytest
from django.utils import translation

from matching.company_size import segment_label, size_label
from matching.engine.types import segment_of, size_class


@pytest.mark.parametrize(("employees", "engine", "shown"), [
    (None, "unknown", "unknown size"),
    (1, "micro", "1–9 employees"),
    (9, "micro", "1–9 employees"),
    (10, "small", "10–49 employees"),
    (49, "small", "10–49 employees"),
    (50, "medium", "50–249 employees"),
    (249, "medium", "50–249 employees"),
    (250, "large", "250–999 employees"),
    (999, "large", "250–999 employees"),
    (1000, "large", "1000+ employees"),
])
def test_it_puts_engine_class_and_page_band_on_the_same_boundaries(employees, engine, shown):
    with translation.override("en"):
        assert size_class(employees) == engine
        assert size_label(employees) == shown


def test_it_shows_a_segment_in_words():
    segment = segment_of("C28.1", 120)
    assert segment == "C:medium"
    with translation.override("en"):
        assert segment_label(segment) == "C · 50–249 employees"
        assert segment_label(segment_of("", 400)) == "any industry · 250+ employees"
    with translation.override("de"):
        assert segment_label(segment) == "C · 50–249 Mitarbeitende"
        assert size_label(2000) == "1000+ Mitarbeitende"
        assert size_label(None) == "unbekannte Größe"
