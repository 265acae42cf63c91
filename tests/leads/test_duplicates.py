from datetime import timedelta

from django.utils import timezone

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from tests.factories import lead_create
from tests.leads.conftest import lead_payload


def test_it_flags_the_same_contact_and_company_as_a_possible_duplicate(api_a, tenant_a):
    first = api_a.post("/api/v1/leads/", lead_payload(), format="json").json()
    second = api_a.post("/api/v1/leads/", lead_payload(
        company_name="KUNDE  GmbH.", contact_email="ERIKA@kunde.example"), format="json")
    assert second.status_code == 201
    assert second.json()["duplicate_of"] == first["id"]
    assert first["duplicate_of"] is None
    with tenant_scope(tenant_a):
        assert Lead.objects.count() == 2


def test_it_does_not_flag_another_company(api_a):
    api_a.post("/api/v1/leads/", lead_payload(), format="json")
    other = api_a.post("/api/v1/leads/", lead_payload(company_name="Andere AG"), format="json")
    assert other.json()["duplicate_of"] is None


def test_it_does_not_flag_outside_the_window(api_a, tenant_a):
    old = lead_create(tenant_a, contact_email="erika@kunde.example",
                      received_at=timezone.now() - timedelta(days=31))
    assert old.pk
    fresh = api_a.post("/api/v1/leads/", lead_payload(), format="json").json()
    assert fresh["duplicate_of"] is None


def test_it_follows_the_tenant_window(api_a, tenant_a):
    tenant_a.duplicate_window_days = 90
    tenant_a.save()
    old = lead_create(tenant_a, contact_email="erika@kunde.example",
                      received_at=timezone.now() - timedelta(days=60))
    fresh = api_a.post("/api/v1/leads/", lead_payload(), format="json").json()
    assert fresh["duplicate_of"] == old.pk


def test_it_flags_duplicates_inside_one_batch(api_a):
    results = api_a.post("/api/v1/leads/bulk/", {"leads": [lead_payload(), lead_payload()]},
                         format="json").json()["results"]
    assert results[0]["duplicate_of"] is None
    assert results[1]["duplicate_of"] == results[0]["id"]


def test_it_does_not_flag_across_tenants(api_a, api_b):
    api_a.post("/api/v1/leads/", lead_payload(), format="json")
    assert api_b.post("/api/v1/leads/", lead_payload(), format="json").json()[
        "duplicate_of"] is None
