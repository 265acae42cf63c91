"""The policy editor page: settings, live preview, versions."""

from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from matching.models import RoutingPolicy
from matching.policy import policy_current
from matching.policy_views import PolicyForm
from tests.factories import lead_create, partner_create

URL = reverse("matching:policy")


def _form_data(tenant, **overrides) -> dict:
    with tenant_scope(tenant):
        initial = PolicyForm.initial_from(policy_current(tenant=tenant))
    data = {key: value for key, value in initial.items() if value is not False}
    data.update(overrides)
    return data


def test_it_shows_the_editor_with_a_preview_and_versions(client_a, tenant_a):
    partner_create(tenant_a, name="Alpha Systemhaus")
    lead_create(tenant_a, company_name="Sample AG")
    page = client_a.get(URL).text
    assert "Routing policy" in page and "v1" in page
    assert "Sample AG" in page and "Alpha Systemhaus" in page


def test_it_previews_changes_without_saving(client_a, tenant_a):
    partner_create(tenant_a, name="Near", latitude=48.14, longitude=11.58,
                   level="registered")
    partner_create(tenant_a, name="Far", latitude=52.52, longitude=13.40, level="platinum")
    lead = lead_create(tenant_a, latitude=48.13, longitude=11.57)
    data = _form_data(tenant_a, lead=lead.pk, weight_distance=10, weight_level=0)
    response = client_a.post(URL, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="policy-preview"' in response.text and "<html" not in response.text
    after = response.text.split("With your changes")[1]
    assert after.index("Near") < after.index("Far")
    with tenant_scope(tenant_a):
        assert RoutingPolicy.objects.count() == 1


def test_it_saves_a_new_version(client_a, tenant_a):
    response = client_a.post(URL, _form_data(tenant_a, mode="broadcast", broadcast_count=5,
                                             save="1"))
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        policy = policy_current(tenant=tenant_a)
    assert policy.version == 2 and policy.mode == "broadcast" and policy.broadcast_count == 5
    assert "v2" in client_a.get(URL).text


def test_it_shows_errors_and_saves_nothing_for_invalid_settings(client_a, tenant_a):
    response = client_a.post(URL, _form_data(tenant_a, exploration_rate=5, save="1"))
    assert response.status_code == 200 and "errorlist" in response.text
    with tenant_scope(tenant_a):
        assert RoutingPolicy.objects.count() == 1


def test_it_answers_404_for_another_tenants_sample_lead(client_b, tenant_a):
    lead = lead_create(tenant_a)
    assert client_b.get(URL, {"lead": lead.pk}).status_code == 404
    assert client_b.post(URL, {"lead": lead.pk}).status_code == 404


def test_it_answers_404_to_a_partner_user(partner_client_a1):
    assert partner_client_a1.get(URL).status_code == 404


def test_it_sends_an_anonymous_visitor_to_log_in(client, db):
    assert client.get(URL).status_code == 302


def test_it_shows_and_keeps_the_engines_default_for_a_factor_the_policy_leaves_unset(
        client_a, tenant_a):
    with tenant_scope(tenant_a):
        assert "load" not in (policy_current(tenant=tenant_a).weights or {})
    page = client_a.get(URL).text
    assert 'name="weight_load" value="0.25" step="any"' in page  # the browser submits it

    client_a.post(URL, _form_data(tenant_a, mode="broadcast", save="1"))
    with tenant_scope(tenant_a):
        assert policy_current(tenant=tenant_a).weights["load"] == 0.25
