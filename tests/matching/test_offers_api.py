"""Partner systems answer offers and report outcomes through the API."""

from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer
from tests.factories import lead_create
from tests.offer_helpers import dispatch_to


def _offer(tenant, partner):
    lead = lead_create(tenant)
    dispatch_to(tenant, lead, [partner])
    with tenant_scope(tenant):
        return Offer.objects.get(lead=lead)


def test_it_lists_only_the_partners_own_offers(partner_api_a1, tenant_a, partner_a1,
                                               partner_a2):
    mine = _offer(tenant_a, partner_a1)
    _offer(tenant_a, partner_a2)
    body = partner_api_a1.get("/api/v1/offers/").json()
    assert [o["id"] for o in body["results"]] == [mine.pk]
    assert set(body["results"][0]) >= {"id", "partner", "status", "rank", "score",
                                       "offered_at", "expires_at"}


def test_it_accepts_through_the_api(partner_api_a1, tenant_a, partner_a1):
    offer = _offer(tenant_a, partner_a1)
    response = partner_api_a1.post(f"/api/v1/offers/{offer.pk}/accept/")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    again = partner_api_a1.post(f"/api/v1/offers/{offer.pk}/accept/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "offer_closed"


def test_it_rejects_with_a_reason_and_names_a_bad_one(partner_api_a1, tenant_a, partner_a1):
    offer = _offer(tenant_a, partner_a1)
    bad = partner_api_a1.post(f"/api/v1/offers/{offer.pk}/reject/", {"reason": "bored"},
                              format="json")
    assert bad.status_code == 400 and "reason" in bad.json()["error"]["fields"]
    ok = partner_api_a1.post(f"/api/v1/offers/{offer.pk}/reject/",
                             {"reason": "outside_territory", "note": "Nur Bayern"},
                             format="json")
    assert ok.status_code == 200 and ok.json()["reject_reason"] == "outside_territory"


def test_it_answers_404_for_another_partners_offer(partner_api_a1, tenant_a, partner_a2):
    offer = _offer(tenant_a, partner_a2)
    assert partner_api_a1.post(f"/api/v1/offers/{offer.pk}/accept/").status_code == 404


def test_it_answers_404_to_the_stranger_tenant(api_b, tenant_a, partner_a1):
    offer = _offer(tenant_a, partner_a1)
    assert api_b.get("/api/v1/offers/").json()["results"] == []
    assert api_b.post(f"/api/v1/offers/{offer.pk}/accept/").status_code in (403, 404)
    assert api_b.post(f"/api/v1/leads/{offer.lead_id}/outcome/", {"status": "won"},
                      format="json").status_code == 404


def test_it_lets_only_partner_keys_answer_offers(api_a, tenant_a, partner_a1):
    offer = _offer(tenant_a, partner_a1)
    response = api_a.post(f"/api/v1/offers/{offer.pk}/accept/")
    assert response.status_code == 403
    assert "partner-scoped" in response.json()["error"]["message"]


def test_it_records_outcomes_from_a_crm(api_a, partner_api_a1, tenant_a, partner_a1):
    offer = _offer(tenant_a, partner_a1)
    partner_api_a1.post(f"/api/v1/offers/{offer.pk}/accept/")
    url = f"/api/v1/leads/{offer.lead_id}/outcome/"
    assert api_a.post(url, {"status": "qualified"}, format="json").json()["status"] \
        == "in_progress"
    lost = api_a.post(url, {"status": "lost"}, format="json")
    assert lost.status_code == 400 and "reason" in lost.json()["error"]["fields"]
    won = api_a.post(url, {"status": "won", "value": "12000.00",
                           "closed_at": "2026-11-20T10:00:00Z"}, format="json")
    assert won.status_code == 200 and won.json()["status"] == "won"
    again = api_a.post(url, {"status": "lost", "reason": "price"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"


def test_it_refuses_an_outcome_from_a_partner_that_does_not_hold_the_lead(
        partner_api_a1, tenant_a, partner_a1):
    offer = _offer(tenant_a, partner_a1)
    response = partner_api_a1.post(f"/api/v1/leads/{offer.lead_id}/outcome/",
                                   {"status": "won", "value": "5"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_held"
