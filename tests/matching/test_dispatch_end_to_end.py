"""A lead pushed by a CRM is routed by the engine and offered to the partner that fits."""

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.models import Offer
from tests.factories import partner_create


def test_it_routes_a_lead_from_the_api_to_the_fitting_partner(
        api_a, tenant_a, django_capture_on_commit_callbacks):
    near = partner_create(tenant_a, name="Munich Dealer", postal_code="80331", city="München",
                          capacity=5, deal_value_min=1000, deal_value_max=100000)
    partner_create(tenant_a, name="Hamburg Dealer", postal_code="20095", city="Hamburg",
                   capacity=5, deal_value_min=1000, deal_value_max=100000)
    with tenant_scope(tenant_a):
        near.territories.create(tenant=tenant_a, country="DE", postal_prefixes=["80", "81"])
        hamburg = near.__class__.objects.get(name="Hamburg Dealer")
        hamburg.territories.create(tenant=tenant_a, country="DE", postal_prefixes=["20"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post("/api/v1/leads/", {
            "external_id": "CRM-1", "company_name": "Brauerei Huber", "country": "DE",
            "postal_code": "80333", "city": "München", "deal_value": "25000",
            "contact_name": "Max Huber", "contact_email": "max@huber.example"}, format="json")
    assert response.status_code == 201, response.json()
    lead_id = response.json()["id"]
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(pk=lead_id)
        offers = list(Offer.objects.filter(lead=lead).values_list("partner__name", flat=True))
    assert lead.status == "offered"
    assert offers == ["Munich Dealer"]
    body = api_a.get(f"/api/v1/leads/{lead_id}/").json()
    assert body["status"] == "offered"
    assert body["offers"][0]["partner"] == near.pk
    assert body["decision"]["excluded"].get("territory") == 1
    assert body["decision"]["candidates"][0]["partner"] == near.pk
