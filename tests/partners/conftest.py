"""Fixtures of the partner tests: a small taxonomy for tenant A, form-post helpers."""

import pytest

from tests.factories import term_create


@pytest.fixture
def taxonomy_a(tenant_a):
    """Industries C / C28 / C28.1, two competencies, a certification, two products."""
    terms = {}
    for kind, code, level in (
        ("industries", "C", None), ("industries", "C28", None), ("industries", "C28.1", None),
        ("competencies", "cnc", None), ("competencies", "service", None),
        ("certifications", "iso9001", 2),
        ("products", "model-x", None), ("products", "model-y", None),
    ):
        terms[code] = term_create(tenant_a, kind, code, name=code.upper(), level=level)
    return terms


def profile_post(**fields) -> dict:
    """POST data for the partner form: profile fields plus empty nested formsets, with
    `<field>-<n>-<name>` keys from `fields` overriding."""
    data = {
        "external_id": "P-NEW", "name": "Neu GmbH", "employees": "5", "capacity": "8",
        "deal_value_min": "1000", "deal_value_max": "", "level": "silver", "country": "DE",
        "postal_code": "80331", "city": "München", "languages": "de, en",
        "notification_email": "",
    }
    for prefix in ("territories", "industries", "competencies", "certifications", "products"):
        data[f"{prefix}-TOTAL_FORMS"] = "2"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for index in range(2):
            if prefix == "competencies":
                data[f"{prefix}-{index}-level"] = "1"
            if prefix == "products":
                data[f"{prefix}-{index}-available"] = "on"
    data.update({key.replace("__", "-"): value for key, value in fields.items()})
    return data
