"""Company sizes in words, from the one table of boundaries (matching.engine.types.SIZE_BANDS):
the band a page shows ("50–249 employees") and the engine's size class in a segment
("C:medium" → "C · 50–249 employees")."""

from django.utils.translation import gettext

from matching.engine.types import SIZE_BANDS, SIZE_UNKNOWN, size_band


def _range_words(low: int, below: int | None) -> str:
    if below is None:
        return gettext("%(low)s+ employees") % {"low": low}
    return gettext("%(low)s–%(high)s employees") % {"low": low, "high": below - 1}


def _ranges() -> tuple[dict[str, tuple[int, int | None]], dict[str, tuple[int, int | None]]]:
    """(band → (lowest, below), class → (lowest, below)); a class spans its bands."""
    bands, classes, low = {}, {}, 1  # "1–9": a company has at least one person
    for below, band, size_class in SIZE_BANDS:
        bands[band] = (low, below)
        first = classes.get(size_class, (low, below))[0]
        classes[size_class] = (first, below)
        low = below if below is not None else low
    return bands, classes


BAND_RANGES, CLASS_RANGES = _ranges()


def size_label(employees: int | None) -> str:
    """The band of a company size in words: 1–9 employees, …, 1000+ employees."""
    return size_band_label(size_band(employees))


def size_band_label(band: str) -> str:
    if band not in BAND_RANGES:
        return gettext("unknown size")
    return _range_words(*BAND_RANGES[band])


def size_class_label(size_class: str) -> str:
    """The engine's size class in words: "medium" → 50–249 employees, "large" → 250+."""
    if size_class == SIZE_UNKNOWN or size_class not in CLASS_RANGES:
        return gettext("unknown size")
    return _range_words(*CLASS_RANGES[size_class])


def segment_label(segment: str) -> str:
    """A statistics segment (sector:size class, e.g. "C:medium") in words."""
    sector, _sep, size_class = (segment or "").partition(":")
    if not size_class:
        return segment
    sector_words = sector if sector and sector != "-" else gettext("any industry")
    return f"{sector_words} · {size_class_label(size_class)}"
