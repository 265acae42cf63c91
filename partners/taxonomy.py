"""Reading the tenant's taxonomy (the vocabulary partners and leads are described in)."""

from partners.models import TaxonomyTerm, TermKind


def known_codes(kind: str) -> set[str]:
    """All codes of one kind in the current tenant scope."""
    return set(TaxonomyTerm.objects.filter(kind=kind).values_list("code", flat=True))


__all__ = ["TermKind", "known_codes"]
