"""API error messages follow the key's tenant locale unless the client sends
Accept-Language."""

from django.urls import reverse


def test_it_answers_a_german_tenants_key_in_german(api_a, german_tenant):
    response = api_a.post(reverse("api-leads"), {"country": "XX"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].startswith("Ungültige Eingabe in:")
    assert "Dieses Feld ist erforderlich." in error["fields"]["company_name"]
    assert response["Content-Language"] == "de"


def test_it_answers_in_the_language_the_client_asks_for(api_a, german_tenant):
    response = api_a.post(reverse("api-leads"), {"country": "XX"}, format="json",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["message"].startswith("Invalid input in:")


def test_it_answers_an_english_tenants_key_in_english(api_a, tenant_a):
    response = api_a.post(reverse("api-leads"), {"country": "XX"}, format="json")
    assert response.json()["error"]["message"].startswith("Invalid input in:")


def test_it_translates_drf_and_domain_errors(partner_api_a1, german_tenant):
    response = partner_api_a1.post(reverse("api-leads"), {"company_name": "X", "country": "DE"},
                                   format="json")
    assert response.status_code in (403, 409)
    assert "Partner-Schlüssel" in response.json()["error"]["message"]


def test_it_answers_a_bad_key_in_the_browsers_language(client, db):
    response = client.get(reverse("api-leads"), HTTP_AUTHORIZATION="Bearer nope",
                          HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Ungültiger oder widerrufener API-Schlüssel."
