"""Reading the tenant's taxonomy (the vocabulary partners and leads are described in)."""

from partners.models import TaxonomyTerm, TermKind


def known_codes(kind: str) -> set[str]:
    """All codes of one kind in the current tenant scope."""
    return set(TaxonomyTerm.objects.filter(kind=kind).values_list("code", flat=True))


def industry_sector(code: str) -> str:
    """The sector of an industry code: its letter (NACE section), e.g. `C28.1` → `C`."""
    return code[:1].upper() if code else ""


__all__ = ["TermKind", "known_codes", "industry_sector"]
