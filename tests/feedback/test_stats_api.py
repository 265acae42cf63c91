"""GET /api/v1/partners/{id}/stats/: statistics and tier; own partner only for partner keys."""

from decimal import Decimal

from feedback.models import Tier


def _url(partner) -> str:
    return f"/api/v1/partners/{partner.pk}/stats/"


def test_it_returns_the_statistics_and_tier(api_a, tenant_a, partner_a1, make_history):
    make_history(tenant_a, partner_a1, ["offered accepted won", "offered rejected"])
    response = api_a.get(_url(partner_a1))
    assert response.status_code == 200
    body = response.json()
    assert body["partner"] == partner_a1.pk and body["tier"] == Tier.NEW
    assert body["all_time"]["offers"] == 2 and body["all_time"]["won"] == 1
    assert body["window"]["accept_rate"] == 0.5
    assert Decimal(body["all_time"]["revenue"]) == Decimal("1000")
    assert body["all_time"]["reject_reasons"] == {"no_capacity": 1}
    assert [s["segment"] for s in body["segments"]] == ["C:medium"]


def test_it_answers_for_a_partner_without_events(api_a, partner_a2):
    body = api_a.get(_url(partner_a2)).json()
    assert body["all_time"]["offers"] == 0 and body["all_time"]["accept_rate"] is None


def test_it_lets_a_partner_key_read_its_own(partner_api_a1, partner_a1):
    assert partner_api_a1.get(_url(partner_a1)).status_code == 200


def test_it_hides_another_partner_from_a_partner_key(partner_api_a1, partner_a2):
    assert partner_api_a1.get(_url(partner_a2)).status_code == 404


def test_it_hides_the_partner_from_a_stranger(api_b, partner_a1):
    response = api_b.get(_url(partner_a1))
    assert response.status_code == 404
    assert "error" in response.json()


def test_it_is_in_the_schema(api_a):
    schema = api_a.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert "/api/v1/partners/{id}/stats/" in schema.content.decode()
