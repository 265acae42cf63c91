"""The change-request API: a partner's own system asks for profile changes that steer
routing; the tenant's key approves (routing sees the change) or rejects (it does not).
Another tenant and another partner get 404; a partner key may not decide (403)."""

import pytest

from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.partner_table import partner_table_invalidate
from matching.routing import lead_route
from partners.models import ChangeStatus, PartnerChangeRequest, PartnerTerritory
from tests.conftest import _api_client
from tests.factories import lead_create

BERLIN_TOO = {"territories": [{"country": "DE", "postal_prefixes": ["80", "10"]}]}


@pytest.fixture
def munich_only(tenant_a, partner_a1):
    with tenant_scope(tenant_a):
        PartnerTerritory.objects.create(tenant=tenant_a, partner=partner_a1, country="DE",
                                        postal_prefixes=["80"])
    return partner_a1


@pytest.fixture
def berlin_lead(tenant_a):
    return lead_create(tenant_a, postal_code="10115", city="Berlin")


@pytest.fixture
def partner_api_a2(tenant_a, partner_a2):
    return _api_client(tenant_a, name="Beta system", partner=partner_a2)


def url(partner, change=None, action="") -> str:
    base = f"/api/v1/partners/{partner.pk}/change-requests/"
    if change is None:
        return base
    return f"{base}{change if isinstance(change, int) else change['id']}/" + (
        f"{action}/" if action else "")


def chosen(tenant, lead) -> list[int]:
    partner_table_invalidate(tenant.pk)
    with tenant_scope(tenant):
        return lead_route(lead=Lead.objects.get(pk=lead.pk), seed=1).chosen


def prefixes(tenant, partner) -> list[list[str]]:
    with tenant_scope(tenant):
        return [t.postal_prefixes for t in PartnerTerritory.objects.filter(partner=partner)]


def submit(partner_api, partner, body=None):
    return partner_api.post(url(partner), BERLIN_TOO if body is None else body, format="json")


def test_it_holds_a_submitted_change_until_it_is_approved(
        partner_api_a1, api_a, tenant_a, munich_only, berlin_lead,
        django_capture_on_commit_callbacks):
    response = submit(partner_api_a1, munich_only)

    assert response.status_code == 201, response.json()
    change = response.json()
    assert change["status"] == "pending" and change["partner"] == munich_only.pk
    assert change["requested"] == {"territories": [
        {"country": "DE", "postal_prefixes": ["80", "10"], "radius_km": None}]}
    assert prefixes(tenant_a, munich_only) == [["80"]]
    assert munich_only.pk not in chosen(tenant_a, berlin_lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post(url(munich_only, change, "approve"), {"note": "ok"},
                              format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved" and response.json()["note"] == "ok"
    assert prefixes(tenant_a, munich_only) == [["80", "10"]]
    assert chosen(tenant_a, berlin_lead) == [munich_only.pk]
    with tenant_scope(tenant_a):
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"partner.change_requested", "partner.change_approved", "partner.updated"} <= actions


def test_it_leaves_the_profile_as_it_was_when_rejected(
        partner_api_a1, api_a, tenant_a, munich_only, berlin_lead):
    change = submit(partner_api_a1, munich_only).json()

    response = api_a.post(url(munich_only, change, "reject"),
                          {"note": "Berlin is covered."}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert prefixes(tenant_a, munich_only) == [["80"]]
    assert munich_only.pk not in chosen(tenant_a, berlin_lead)
    seen = partner_api_a1.get(url(munich_only, change)).json()
    assert seen["status"] == "rejected" and seen["note"] == "Berlin is covered."


def test_it_decides_a_request_only_once(partner_api_a1, api_a, munich_only):
    change = submit(partner_api_a1, munich_only).json()
    api_a.post(url(munich_only, change, "reject"), {}, format="json")

    response = api_a.post(url(munich_only, change, "approve"), {}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_it_lists_the_partners_requests_to_both_keys(partner_api_a1, api_a, munich_only):
    change = submit(partner_api_a1, munich_only).json()
    for client in (partner_api_a1, api_a):
        body = client.get(url(munich_only)).json()
        assert [row["id"] for row in body["results"]] == [change["id"]]
    assert api_a.get(url(munich_only), {"status": "approved"}).json()["results"] == []


def test_it_answers_204_when_nothing_is_left_to_approve(partner_api_a1, tenant_a,
                                                        munich_only):
    submit(partner_api_a1, munich_only)

    response = submit(partner_api_a1, munich_only, {
        "territories": [{"country": "DE", "postal_prefixes": ["80"]}],
        "notification_email": "offers@alpha.example"})

    assert response.status_code == 204
    with tenant_scope(tenant_a):
        assert not PartnerChangeRequest.objects.filter(partner=munich_only).exists()
        munich_only.refresh_from_db()
    assert munich_only.notification_email == "offers@alpha.example"  # applies at once


def test_it_refuses_a_partner_key_deciding(partner_api_a1, tenant_a, munich_only):
    change = submit(partner_api_a1, munich_only).json()
    for action in ("approve", "reject"):
        response = partner_api_a1.post(url(munich_only, change, action), {}, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    with tenant_scope(tenant_a):
        assert PartnerChangeRequest.objects.get(pk=change["id"]).status == ChangeStatus.PENDING


def test_it_refuses_the_tenant_key_submitting(api_a, tenant_a, munich_only):
    response = submit(api_a, munich_only)
    assert response.status_code == 403
    assert "PATCH" in response.json()["error"]["message"]
    with tenant_scope(tenant_a):
        assert not PartnerChangeRequest.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"capacity": 3}, "capacity"),
    ({"employees": -1}, "employees"),
    ({"territories": [{"country": "XX"}]}, "territories"),
    ({"deal_value_min": "5000", "deal_value_max": "100"}, "deal_value_max"),
    ({"competencies": [{"code": "no-such-code"}]}, "competencies"),
])
def test_it_refuses_bad_input_naming_the_field(partner_api_a1, tenant_a, munich_only, body,
                                               field):
    response = submit(partner_api_a1, munich_only, body)
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    with tenant_scope(tenant_a):
        assert not PartnerChangeRequest.objects.exists()


def test_it_refuses_an_empty_request(partner_api_a1, munich_only):
    response = submit(partner_api_a1, munich_only, {})
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_it_answers_404_to_another_tenant(partner_api_a1, api_b, tenant_b, munich_only):
    change = submit(partner_api_a1, munich_only).json()
    partner_key_b = _api_client(tenant_b, name="B partner")
    for client in (api_b, partner_key_b):
        assert client.get(url(munich_only)).status_code == 404
        assert client.get(url(munich_only, change)).status_code == 404
        assert submit(client, munich_only).status_code == 404
        for action in ("approve", "reject"):
            response = client.post(url(munich_only, change, action), {}, format="json")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"


def test_it_answers_404_to_the_other_partner(partner_api_a1, partner_api_a2, tenant_a,
                                             munich_only, partner_a2):
    change = submit(partner_api_a1, munich_only).json()
    assert partner_api_a2.get(url(munich_only)).status_code == 404
    assert partner_api_a2.get(url(munich_only, change)).status_code == 404
    assert submit(partner_api_a2, munich_only).status_code == 404
    assert partner_api_a2.post(url(munich_only, change, "approve"), {},
                               format="json").status_code == 404
    # Its own partner's URL with p1's request id: still not found.
    assert partner_api_a2.get(url(partner_a2, change)).status_code == 404


def test_it_answers_404_for_a_request_of_another_partner_under_this_one(
        partner_api_a1, api_a, tenant_a, munich_only, partner_a2):
    change = submit(partner_api_a1, munich_only).json()
    response = api_a.post(url(partner_a2, change, "approve"), {}, format="json")
    assert response.status_code == 404
    with tenant_scope(tenant_a):
        assert PartnerChangeRequest.objects.get(pk=change["id"]).status == ChangeStatus.PENDING
