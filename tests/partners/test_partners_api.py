import pytest

from leadrouter.tenancy.scoping import tenant_scope
from partners.models import Partner
from tests.factories import partner_create

PARTNER_FIELDS = {
    "id", "external_id", "name", "status", "employees", "capacity", "deal_value_min",
    "deal_value_max", "level", "country", "postal_code", "city", "territories", "industries",
    "competencies", "certifications", "products", "languages", "notification_email",
}

BODY = {
    "external_id": "CRM-7", "name": "Delta Anlagenbau", "country": "AT",
    "postal_code": "1010", "city": "Wien", "employees": 40, "capacity": 12,
    "deal_value_min": "10000.00", "deal_value_max": "250000.00", "level": "gold",
    "territories": [{"country": "AT", "postal_prefixes": ["1", "2"]},
                    {"country": "DE", "radius_km": 80}],
    "industries": ["C28.1"],
    "competencies": [{"code": "cnc", "level": 2}],
    "certifications": [{"code": "iso9001", "valid_until": "2031-12-31"}],
    "products": [{"code": "model-y", "available": True}],
    "languages": ["de"], "notification_email": "vertrieb@delta.example",
}


def test_it_creates_a_partner(api_a, taxonomy_a):
    response = api_a.post("/api/v1/partners/", BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == PARTNER_FIELDS
    assert body["territories"] == [
        {"country": "AT", "postal_prefixes": ["1", "2"], "radius_km": None},
        {"country": "DE", "postal_prefixes": [], "radius_km": 80},
    ]
    assert body["competencies"] == [{"code": "cnc", "level": 2}]
    assert body["certifications"] == [{"code": "iso9001", "valid_until": "2031-12-31"}]
    assert body["products"] == [{"code": "model-y", "available": True}]
    assert body["industries"] == ["C28.1"] and body["status"] == "active"
    assert body["deal_value_max"] == "250000.00"


def test_it_reads_a_partner(api_a, taxonomy_a):
    created = api_a.post("/api/v1/partners/", BODY, format="json").json()
    response = api_a.get(f"/api/v1/partners/{created['id']}/")
    assert response.status_code == 200 and response.json() == created


def test_it_lists_partners_paginated(api_a, partner_a1, partner_a2):
    response = api_a.get("/api/v1/partners/", {"page_size": 1})
    body = response.json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"]
    assert set(body["results"][0]) == PARTNER_FIELDS
    assert body["results"][0]["name"] == "Alpha Systemhaus"


def test_it_filters_the_list(api_a, partner_a1, partner_a2):
    response = api_a.get("/api/v1/partners/", {"search": "berlin"})
    assert [p["external_id"] for p in response.json()["results"]] == ["P-A2"]


def test_it_patches_only_the_fields_sent(api_a, taxonomy_a):
    created = api_a.post("/api/v1/partners/", BODY, format="json").json()
    response = api_a.patch(f"/api/v1/partners/{created['id']}/",
                           {"capacity": 3, "products": []}, format="json")
    body = response.json()
    assert response.status_code == 200
    assert body["capacity"] == 3 and body["products"] == []
    assert body["competencies"] == created["competencies"]
    assert body["name"] == "Delta Anlagenbau"


def test_it_answers_validation_errors_per_field(api_a):
    response = api_a.post("/api/v1/partners/",
                          {"name": "", "country": "Deutschland", "capacity": -1,
                           "competencies": [{"code": "cnc", "level": 7}]}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert {"external_id", "name", "country", "capacity", "competencies"} <= set(error["fields"])


def test_it_answers_unknown_codes_with_the_known_ones(api_a, taxonomy_a):
    response = api_a.post("/api/v1/partners/", BODY | {"industries": ["Q86"]}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unknown_code"
    assert list(error["fields"]) == ["industries"]
    assert "Q86" in error["fields"]["industries"][0]
    assert "Known codes: C, C28, C28.1." in error["fields"]["industries"][0]


def test_it_refuses_an_external_id_in_use(api_a, partner_a1):
    response = api_a.post("/api/v1/partners/", {"external_id": "P-A1", "name": "Copy",
                                                 "country": "DE"}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate" and "external_id" in error["fields"]


def test_it_refuses_to_patch_an_external_id_in_use(api_a, partner_a1, partner_a2):
    response = api_a.patch(f"/api/v1/partners/{partner_a2.pk}/", {"external_id": "P-A1"},
                           format="json")
    assert response.status_code == 409 and "external_id" in response.json()["error"]["fields"]


def test_it_allows_the_same_external_id_in_another_tenant(api_b, partner_a1):
    response = api_b.post("/api/v1/partners/", {"external_id": "P-A1", "name": "Other",
                                                "country": "DE"}, format="json")
    assert response.status_code == 201


def test_it_answers_404_as_json_for_a_missing_partner(api_a):
    response = api_a.get("/api/v1/partners/999999/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_it_requires_a_key(client, partner_a1):
    assert client.get("/api/v1/partners/").status_code == 401


@pytest.mark.parametrize("kind", ["industries", "competencies", "certifications", "products"])
def test_it_lists_a_taxonomy(api_a, taxonomy_a, kind):
    response = api_a.get(f"/api/v1/taxonomy/{kind}/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert results
    expected = {"id", "code", "name", "level"} if kind == "certifications" \
        else {"id", "code", "name"}
    assert all(set(item) == expected for item in results)


def test_it_creates_a_taxonomy_term(api_a, tenant_a):
    response = api_a.post("/api/v1/taxonomy/certifications/",
                          {"code": "tuv-sued", "name": "TÜV Süd", "level": 2}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body.pop("id") > 0
    assert body == {"code": "tuv-sued", "name": "TÜV Süd", "level": 2}
    assert api_a.get("/api/v1/taxonomy/certifications/").json()["count"] == 1


def test_it_refuses_a_duplicate_taxonomy_code(api_a, taxonomy_a):
    response = api_a.post("/api/v1/taxonomy/industries/", {"code": "C28", "name": "again"},
                          format="json")
    assert response.status_code == 409 and "code" in response.json()["error"]["fields"]


def test_it_refuses_a_level_outside_certifications(api_a, tenant_a):
    response = api_a.post("/api/v1/taxonomy/products/", {"code": "x", "level": 2},
                          format="json")
    assert response.status_code == 400 and "level" in response.json()["error"]["fields"]


def test_it_answers_404_for_an_unknown_taxonomy_kind(api_a):
    assert api_a.get("/api/v1/taxonomy/colours/").status_code == 404
    assert api_a.post("/api/v1/taxonomy/colours/", {"code": "red"},
                      format="json").status_code == 404


def test_it_describes_the_endpoints_in_the_schema(api_a):
    schema = api_a.get("/api/v1/schema/", {"format": "json"}).json()
    partner = schema["components"]["schemas"]["PartnerOutput"]["properties"]
    assert set(partner) == PARTNER_FIELDS
    assert "/api/v1/taxonomy/{kind}/" in schema["paths"]
    assert "patch" in schema["paths"]["/api/v1/partners/{id}/"]


def test_it_creates_unknown_codes_through_the_api_when_allowed(api_a, tenant_a):
    tenant_a.auto_create_terms = True
    tenant_a.save()
    response = api_a.post("/api/v1/partners/", BODY, format="json")
    assert response.status_code == 201
    with tenant_scope(tenant_a):
        assert Partner.objects.get().industries.get().term.code == "C28.1"
    assert api_a.get("/api/v1/taxonomy/industries/").json()["results"][0]["code"] == "C28.1"


def test_it_keeps_a_partner_of_another_tenant_apart(api_a, tenant_b):
    other = partner_create(tenant_b, external_id="B-1", name="Globex Partner")
    response = api_a.get("/api/v1/partners/")
    assert other.pk not in [p["id"] for p in response.json()["results"]]
