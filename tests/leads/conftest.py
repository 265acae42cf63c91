"""Fixtures of the lead tests: a tenant taxonomy, routing rows, a private cache."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from leadrouter.tenancy.scoping import tenant_scope
from tests.factories import term_create


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # Rate-limit counters and import progress must not leak between tests (or test runs).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"leads-{uuid.uuid4()}"}}


@pytest.fixture
def taxonomy_a(tenant_a):
    for kind, code in [("industries", "C28"), ("competencies", "CAD"),
                       ("competencies", "ERP"), ("certifications", "ISO9001"),
                       ("products", "EV-SUV")]:
        term_create(tenant_a, kind, code)
    return tenant_a


def lead_payload(**fields) -> dict:
    data = {"company_name": "Kunde GmbH", "country": "DE", "postal_code": "80331",
            "city": "München", "deal_value": "25000", "contact_name": "Erika Mustermann",
            "contact_email": "erika@kunde.example", "contact_phone": "+49 89 1234567"}
    data.update(fields)
    return data


def offer_create(tenant, lead, partner, **fields):
    from matching.models import Offer

    defaults = {"expires_at": timezone.now() + timedelta(hours=24), "rank": 1, "score": 0.8}
    defaults.update(fields)
    with tenant_scope(tenant):
        return Offer.objects.create(tenant=tenant, lead=lead, partner=partner, **defaults)


def decision_create(tenant, lead, partner, **fields):
    from matching.models import RoutingDecision, RoutingPolicy

    with tenant_scope(tenant):
        policy = RoutingPolicy.objects.filter(version=1).first() or \
            RoutingPolicy.objects.create(tenant=tenant, version=1)
        defaults = {"seed": 7, "eligible_count": 1, "chosen": [partner.pk],
                    "candidates": [{"partner": partner.pk, "score": 0.8,
                                    "criteria": {"industry": 1.0, "distance": 0.5},
                                    "contributions": {"industry": 0.5}}],
                    "excluded": {"outside_territory": 9, "missing_certification": 3}}
        defaults.update(fields)
        return RoutingDecision.objects.create(tenant=tenant, lead=lead, policy=policy,
                                              **defaults)
