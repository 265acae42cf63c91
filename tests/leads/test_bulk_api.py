from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from tests.leads.conftest import lead_payload


def test_it_reports_a_result_per_item_and_keeps_the_good_ones(api_a, tenant_a):
    response = api_a.post("/api/v1/leads/bulk/", {"leads": [
        lead_payload(external_id="A"),
        lead_payload(external_id="B", country="XX", deal_value="-1"),
        lead_payload(external_id="C", company_name="Dritte AG", contact_email="c@x.example"),
        "not an object",
    ]}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "created", "error"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert set(results[1]["error"]["fields"]) == {"country", "deal_value"}
    assert results[1]["id"] is None
    with tenant_scope(tenant_a):
        assert set(Lead.objects.values_list("external_id", flat=True)) == {"A", "C"}
        assert set(Lead.objects.values_list("channel", flat=True)) == {"bulk"}


def test_it_answers_existing_for_known_and_repeated_external_ids(api_a):
    first = api_a.post("/api/v1/leads/", lead_payload(external_id="A"), format="json").json()
    results = api_a.post("/api/v1/leads/bulk/", {"leads": [
        lead_payload(external_id="A"), lead_payload(external_id="N"),
        lead_payload(external_id="N"),
    ]}, format="json").json()["results"]
    assert [r["status"] for r in results] == ["existing", "created", "existing"]
    assert results[0]["id"] == first["id"]
    assert results[2]["id"] == results[1]["id"]


def test_it_refuses_more_than_1000_items(api_a):
    response = api_a.post("/api/v1/leads/bulk/", {"leads": [lead_payload()] * 1001},
                          format="json")
    assert response.status_code == 400
    assert "1000" in response.json()["error"]["fields"]["leads"][0]


def test_it_refuses_a_body_without_leads(api_a):
    response = api_a.post("/api/v1/leads/bulk/", {"items": []}, format="json")
    assert response.status_code == 400
    assert "leads" in response.json()["error"]["fields"]


def test_it_writes_a_batch_with_a_fixed_number_of_queries(api_a, settings):
    settings.LEADS_ROUTE_ON_INGEST = False

    def queries_for(n: int) -> int:
        items = [lead_payload(external_id=f"{n}-{i}", contact_email=f"p{i}@x.example")
                 for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            assert api_a.post("/api/v1/leads/bulk/", {"leads": items},
                              format="json").status_code == 200
        return len(captured)

    queries_for(1)  # the first call of a key also stamps its last use
    assert queries_for(5) == queries_for(200) <= 12


def test_it_hides_bulk_from_a_partner_key(partner_api_a1):
    response = partner_api_a1.post("/api/v1/leads/bulk/", {"leads": [lead_payload()]},
                                   format="json")
    assert response.status_code == 403
