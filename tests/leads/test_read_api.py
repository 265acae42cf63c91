from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from tests.factories import lead_create
from tests.leads.conftest import decision_create, offer_create


def test_it_reads_a_lead_with_offers_and_the_latest_decision(api_a, tenant_a, partner_a1):
    lead = lead_create(tenant_a, status="offered")
    offer = offer_create(tenant_a, lead, partner_a1)
    decision_create(tenant_a, lead, partner_a1, excluded={"old": 1})
    decision_create(tenant_a, lead, partner_a1)
    body = api_a.get(f"/api/v1/leads/{lead.pk}/").json()
    assert body["status"] == "offered"
    assert body["offers"][0] == {
        "id": offer.pk, "partner": partner_a1.pk, "status": "pending", "rank": 1,
        "score": 0.8, "offered_at": body["offers"][0]["offered_at"],
        "expires_at": body["offers"][0]["expires_at"]}
    decision = body["decision"]
    assert decision["policy_version"] == 1
    assert decision["excluded"] == {"outside_territory": 9, "missing_certification": 3}
    assert decision["candidates"] == [{"partner": partner_a1.pk, "score": 0.8,
                                       "criteria": {"industry": 1.0, "distance": 0.5}}]
    assert body["contact_email"] == "erika@kunde.example"


def test_it_answers_404_for_a_stranger(api_b, tenant_a):
    lead = lead_create(tenant_a)
    response = api_b.get(f"/api/v1/leads/{lead.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_it_lists_only_the_tenants_leads(api_a, api_b, tenant_a, tenant_b):
    lead_create(tenant_a)
    lead_create(tenant_b, company_name="Fremd GmbH")
    names = [lead["company_name"] for lead in api_a.get("/api/v1/leads/").json()["results"]]
    assert names == ["Kunde GmbH"]


def test_it_filters_by_status_partner_and_updated_since(api_a, tenant_a, partner_a1):
    won = lead_create(tenant_a, status="won", assigned_partner=partner_a1)
    lead_create(tenant_a, status="new")
    assert [r["id"] for r in api_a.get("/api/v1/leads/?status=won").json()["results"]] == \
        [won.pk]
    assert [r["id"] for r in api_a.get(
        f"/api/v1/leads/?partner={partner_a1.pk}").json()["results"]] == [won.pk]
    with tenant_scope(tenant_a):
        Lead.objects.filter(pk=won.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    ids = [r["id"] for r in api_a.get("/api/v1/leads/", {"updated_since": since})
           .json()["results"]]
    assert won.pk not in ids and len(ids) == 1


def test_it_refuses_a_bad_filter_value(api_a):
    response = api_a.get("/api/v1/leads/?status=nonsense")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


@pytest.mark.parametrize("value", ["3.402823466e+38", "1.5", "9223372036854775808", "abc"])
def test_it_refuses_a_partner_filter_that_is_no_id(api_a, value):
    # Found by the API fuzzer: 3.4e38 reached SQLite as an integer and answered 500.
    response = api_a.get("/api/v1/leads/", {"partner": value})
    assert response.status_code == 400
    assert "partner" in response.json()["error"]["fields"]


def test_it_pages_with_a_cursor(api_a, tenant_a):
    for i in range(5):
        lead_create(tenant_a, company_name=f"Firma {i}")
    first = api_a.get("/api/v1/leads/?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    seen = [r["id"] for r in first["results"]]
    page = first
    while page["next"]:
        page = api_a.get(page["next"]).json()
        seen += [r["id"] for r in page["results"]]
    assert len(seen) == len(set(seen)) == 5


def test_it_lists_with_a_fixed_number_of_queries(api_a, tenant_a, partner_a1,
                                                 django_assert_num_queries):
    for _ in range(10):
        lead = lead_create(tenant_a)
        offer_create(tenant_a, lead, partner_a1)
        decision_create(tenant_a, lead, partner_a1)
    # key lookup + last-use stamp (2) and on PostgreSQL the scope's set_config calls (4),
    # then leads, offers, decisions (3) — whatever the number of leads.
    with django_assert_num_queries(5 + (4 if connection.vendor == "postgresql" else 0)):
        assert len(api_a.get("/api/v1/leads/").json()["results"]) == 10
