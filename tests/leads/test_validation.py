import pytest

from leadrouter.tenancy.scoping import tenant_scope
from partners.models import TaxonomyTerm
from tests.leads.conftest import lead_payload


def _errors(api, **fields):
    response = api.post("/api/v1/leads/", lead_payload(**fields), format="json")
    assert response.status_code == 400, response.json()
    return response.json()["error"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("country", "Germany", "no more than 2 characters"),
    ("country", "XX", "ISO 3166-1"),
    ("deal_value", "-5", "zero or more"),
    ("deal_value", "lots", "number"),
    ("contact_email", "not-an-email", "valid e-mail"),
    ("currency", "EURO", "no more than 3"),
    ("currency", "XYZ", "ISO 4217"),
    ("employees", "12.5", "whole number"),
    ("language", "german", "ISO 639-1"),
    ("company_name", "", "required"),
    ("cost", -1, "zero or more"),
])
def test_it_names_the_bad_field(api_a, field, value, message):
    error = _errors(api_a, **{field: value})
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert message in error["fields"][field][0]
    assert field in error["message"]


def test_it_reports_every_bad_field_at_once(api_a):
    error = _errors(api_a, country="XX", deal_value="-1", contact_email="x")
    assert set(error["fields"]) == {"country", "deal_value", "contact_email"}


def test_it_refuses_an_unknown_field(api_a):
    error = _errors(api_a, company="typo")
    assert error["fields"] == {"company": ["Unknown field."]}


def test_it_refuses_a_body_that_is_not_an_object(api_a):
    response = api_a.post("/api/v1/leads/", [1, 2], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["error"]["fields"]


def test_it_lists_the_known_codes_for_an_unknown_one(api_a, taxonomy_a):
    error = _errors(api_a, competencies=["CAD", "WELDING"])
    message = error["fields"]["competencies"][0]
    assert "WELDING" in message and "CAD, ERP" in message


def test_it_refuses_an_unknown_industry(api_a, taxonomy_a):
    error = _errors(api_a, industry="Z99")
    assert "C28" in error["fields"]["industry"][0]


def test_it_accepts_known_codes(api_a, taxonomy_a):
    response = api_a.post("/api/v1/leads/", lead_payload(
        industry="C28", competencies=["CAD"], certifications=["ISO9001"],
        products=["EV-SUV"]), format="json")
    assert response.status_code == 201
    assert response.json()["products"] == ["EV-SUV"]


def test_it_creates_unknown_codes_when_the_tenant_allows_it(api_a, tenant_a):
    tenant_a.auto_create_terms = True
    tenant_a.save()
    response = api_a.post("/api/v1/leads/", lead_payload(products=["NEW-CAR"]), format="json")
    assert response.status_code == 201
    with tenant_scope(tenant_a):
        assert TaxonomyTerm.objects.filter(kind="products", code="NEW-CAR").exists()


def test_it_normalises_case_of_codes_and_email(api_a):
    body = api_a.post("/api/v1/leads/", lead_payload(
        country="de", currency="chf", contact_email=" Erika@Kunde.Example "),
        format="json").json()
    assert (body["country"], body["currency"], body["contact_email"]) == \
        ("DE", "CHF", "erika@kunde.example")


def test_it_writes_nothing_for_an_invalid_lead(api_a, tenant_a):
    from leads.models import Lead

    _errors(api_a, country="XX")
    with tenant_scope(tenant_a):
        assert not Lead.objects.exists()
