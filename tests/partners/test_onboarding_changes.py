"""Partner onboarding: the partner completes its profile in the portal; changes that steer
routing wait for a manager's approval, and routing sees them only after it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.partner_table import partner_table_invalidate
from matching.routing import lead_route
from partners.models import ChangeStatus, Partner, PartnerChangeRequest, PartnerTerritory
from tests.factories import lead_create, partner_create

FORMSETS = ("territories", "industries", "competencies", "certifications", "products")


def portal_post(*, territories=(("DE", "80", ""),), competencies=(), products=(),
                industries=(), certifications=(), **fields) -> dict:
    """POST data for the portal profile editor: the scalar fields and one row per entry."""
    data = {"employees": "20", "deal_value_min": "0", "deal_value_max": "",
            "languages": "", "notification_email": "offers@alpha.example"}
    data.update(fields)
    rows = {
        "territories": [{"country": c, "postal_prefixes": p, "radius_km": r}
                        for c, p, r in territories],
        "competencies": [{"code": code, "level": str(level)} for code, level in competencies],
        "products": [{"code": code, "available": "on"} for code in products],
        "industries": [{"code": code} for code in industries],
        "certifications": [{"code": code, "valid_until": until}
                           for code, until in certifications],
    }
    for prefix in FORMSETS:
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows[prefix]))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for index, row in enumerate(rows[prefix]):
            for name, value in row.items():
                data[f"{prefix}-{index}-{name}"] = value
    return data


def _munich_only(tenant, partner):
    with tenant_scope(tenant):
        PartnerTerritory.objects.create(tenant=tenant, partner=partner, country="DE",
                                        postal_prefixes=["80"])


def _submit(client, **fields):
    return client.post(reverse("partners:portal-profile-edit"), portal_post(**fields))


def _pending(tenant, partner) -> PartnerChangeRequest:
    with tenant_scope(tenant):
        return PartnerChangeRequest.objects.get(partner=partner, status=ChangeStatus.PENDING)


def _chosen(tenant, lead) -> list[int]:
    with tenant_scope(tenant):
        return lead_route(lead=Lead.objects.get(pk=lead.pk), seed=1).chosen


def _territories(tenant, partner) -> list[list[str]]:
    with tenant_scope(tenant):
        return [t.postal_prefixes for t in PartnerTerritory.objects.filter(partner=partner)]


def test_it_shows_the_editor_with_the_current_profile(partner_client_a1, tenant_a, partner_a1):
    _munich_only(tenant_a, partner_a1)
    response = partner_client_a1.get(reverse("partners:portal-profile-edit"))
    assert response.status_code == 200
    assert 'name="territories-0-postal_prefixes" value="80"' in response.text
    assert reverse("partners:portal-profile-edit") in partner_client_a1.get(
        reverse("partners:portal-profile")).text


def test_it_holds_routing_changes_until_a_manager_approves_them(
        client, tenant_a, manager_a, partner_a1, partner_user_a1,
        django_capture_on_commit_callbacks):
    _munich_only(tenant_a, partner_a1)
    berlin = lead_create(tenant_a, postal_code="10115", city="Berlin")
    client.force_login(partner_user_a1)

    response = _submit(client, territories=[("DE", "80, 10", "")])

    assert response.status_code == 302
    assert _pending(tenant_a, partner_a1).data == {
        "territories": [{"country": "DE", "postal_prefixes": ["80", "10"], "radius_km": None}]}
    assert _territories(tenant_a, partner_a1) == [["80"]]
    partner_table_invalidate(tenant_a.pk)
    assert partner_a1.pk not in _chosen(tenant_a, berlin)

    client.force_login(manager_a)
    page = client.get(reverse("partners:changes"))
    assert "Alpha Systemhaus" in page.text and "DE 80, 10" in page.text  # before/after
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partners:change-approve",
                                       args=[_pending(tenant_a, partner_a1).pk]))

    assert response.status_code == 302
    assert _territories(tenant_a, partner_a1) == [["80", "10"]]
    assert _chosen(tenant_a, berlin) == [partner_a1.pk]  # approval refreshed the table
    with tenant_scope(tenant_a):
        change = PartnerChangeRequest.objects.get(partner=partner_a1)
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert change.status == ChangeStatus.APPROVED and change.decided_by == manager_a
    assert {"partner.change_requested", "partner.change_approved", "partner.updated"} <= actions


def test_it_keeps_the_old_profile_when_a_manager_rejects(
        client, tenant_a, manager_a, partner_a1, partner_user_a1, taxonomy_a):
    _munich_only(tenant_a, partner_a1)
    client.force_login(partner_user_a1)
    _submit(client, territories=[("DE", "", "")], competencies=[("cnc", 3)],
            products=["model-x"], industries=["C28"], certifications=[("iso9001", "2030-01-31")])
    change = _pending(tenant_a, partner_a1)
    assert set(change.data) == {"territories", "competencies", "products", "industries",
                                "certifications"}

    client.force_login(manager_a)
    client.post(reverse("partners:change-reject", args=[change.pk]),
                {"note": "Whole Germany is too much for 20 people."})

    with tenant_scope(tenant_a):
        partner = Partner.objects.get(pk=partner_a1.pk)
        assert not partner.competencies.exists() and not partner.products.exists()
        change.refresh_from_db()
    assert _territories(tenant_a, partner_a1) == [["80"]]
    assert change.status == ChangeStatus.REJECTED
    client.force_login(partner_user_a1)
    page = client.get(reverse("partners:portal-change", args=[change.pk]))
    assert "Whole Germany is too much" in page.text


def test_it_applies_the_contact_email_at_once(partner_client_a1, tenant_a, partner_a1):
    _munich_only(tenant_a, partner_a1)
    _submit(partner_client_a1, notification_email="leads@alpha.example")
    with tenant_scope(tenant_a):
        assert Partner.objects.get(pk=partner_a1.pk).notification_email == "leads@alpha.example"
        assert not PartnerChangeRequest.objects.exists()


def test_it_replaces_a_pending_request_and_withdraws_it_when_nothing_differs(
        partner_client_a1, tenant_a, partner_a1):
    _munich_only(tenant_a, partner_a1)
    _submit(partner_client_a1, territories=[("DE", "80, 81", "")])
    _submit(partner_client_a1, territories=[("DE", "80, 82", "")], employees="25")
    with tenant_scope(tenant_a):
        change = PartnerChangeRequest.objects.get()
    assert change.data["employees"] == 25
    assert change.data["territories"][0]["postal_prefixes"] == ["80", "82"]
    page = partner_client_a1.get(reverse("partners:portal-profile-edit"))
    assert 'value="80, 82"' in page.text  # the partner edits on from its request

    _submit(partner_client_a1)
    with tenant_scope(tenant_a):
        assert not PartnerChangeRequest.objects.exists()


def test_it_refuses_a_band_upside_down(partner_client_a1, tenant_a, partner_a1):
    response = _submit(partner_client_a1, deal_value_min="5000", deal_value_max="100")
    assert response.status_code == 200
    assert "must not be below the minimum" in response.text
    with tenant_scope(tenant_a):
        assert not PartnerChangeRequest.objects.exists()


def test_it_decides_a_request_only_once(client_a, tenant_a, partner_a1):
    with tenant_scope(tenant_a):
        change = PartnerChangeRequest.objects.create(
            tenant=tenant_a, partner=partner_a1, data={"employees": 30})
    client_a.post(reverse("partners:change-approve", args=[change.pk]))
    response = client_a.post(reverse("partners:change-reject", args=[change.pk]), follow=True)
    assert "already been decided" in response.text
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED


def _add_request(tenant, partner):
    with tenant_scope(tenant):
        PartnerChangeRequest.objects.create(tenant=tenant, partner=partner,
                                            data={"employees": 99, "languages": ["de"]})


def test_it_lists_pending_changes_with_a_fixed_number_of_queries(
        client_a, tenant_a, partner_a1, partner_a2, django_assert_num_queries):
    _add_request(tenant_a, partner_a1)
    client_a.get(reverse("partners:changes"))  # the session is loaded once
    with CaptureQueriesContext(connection) as one:
        client_a.get(reverse("partners:changes"))
    _add_request(tenant_a, partner_a2)
    _add_request(tenant_a, partner_create(tenant_a, name="Gamma"))
    with django_assert_num_queries(len(one.captured_queries)):
        response = client_a.get(reverse("partners:changes"))
    assert response.text.count('class="card change-request"') == 3
