"""A manager in a real browser: logs in, creates a partner, watches a lead pushed through the
API be routed to it, reads the explanation, simulates and saves a policy change."""

import re

import pytest

from leadrouter.tenancy.api_keys import api_key_create
from leadrouter.tenancy.scoping import tenant_scope
from matching.models import RoutingPolicy
from partners.models import Partner
from tests.conftest import PASSWORD
from tests.factories import partner_create

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect


def _competitor_far_away(tenant) -> None:
    """A partner the lead must be kept from by the territory rule (an exclusion to show)."""
    hamburg = partner_create(tenant, external_id="P-HH", name="Hamburg Handel",
                             postal_code="20095", city="Hamburg")
    with tenant_scope(tenant):
        hamburg.territories.create(tenant=tenant, country="DE", postal_prefixes=["20", "22"])


def test_it_lets_a_manager_create_a_partner_and_follow_a_routed_lead(
        journey, tenant_a, manager_a):
    _competitor_far_away(tenant_a)
    with tenant_scope(tenant_a):
        plain_key = api_key_create(tenant=tenant_a, name="CRM").plain_key
    manager = journey.open("manager")
    page = manager.page

    # Logs in on the login page.
    manager.login("manager@acme.example", PASSWORD)

    # Creates a partner through the partner form.
    manager.go("/partners/new/")
    page.fill("#id_external_id", "P-ISAR")
    page.fill("#id_name", "Isar Automation")
    page.fill("#id_employees", "25")
    page.fill("#id_capacity", "10")
    page.fill("#id_deal_value_max", "100000")
    page.fill("#id_postal_code", "80331")
    page.fill("#id_city", "München")
    page.fill("#id_languages", "de, en")
    page.fill("#id_territories-0-country", "DE")
    page.fill("#id_territories-0-postal_prefixes", "80, 81")
    manager.shot("partner-form", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Isar Automation")
    manager.assert_clean()
    manager.shot("partner-created")
    with tenant_scope(tenant_a):
        partner = Partner.objects.get(external_id="P-ISAR")
    assert page.url.endswith(f"/partners/{partner.pk}/")

    # A lead arrives through the API (tenant key) and is routed inside the request.
    api = journey.api(plain_key)
    response = api.post("/api/v1/leads/", data={
        "external_id": "CRM-4711", "company_name": "Brauerei Huber", "country": "DE",
        "postal_code": "80333", "city": "München", "deal_value": "25000", "language": "de",
        "contact_name": "Max Huber", "contact_email": "max@huber.example"})
    assert response.status == 201, response.text()
    lead_id = response.json()["id"]

    # Sees it in the lead list, offered to the new partner.
    manager.go("/leads/")
    row = page.locator("tr", has_text="Brauerei Huber")
    expect(row).to_contain_text("Offered")
    manager.shot("lead-list")

    # Opens the lead: the explanation names the candidate and the exclusions.
    row.get_by_role("link", name="Brauerei Huber").click()
    page.wait_for_url(re.compile(rf"/leads/{lead_id}/$"))
    manager.assert_clean()
    decision = page.locator("section.decision")
    expect(decision).to_contain_text("Policy v1")
    expect(decision.locator(".candidate.chosen")).to_contain_text("Isar Automation")
    expect(decision.locator(".candidate.chosen")).to_contain_text("offered in turn")
    expect(decision.locator(".decision-excluded")).to_contain_text("1 outside territory")
    expect(decision).not_to_contain_text("Hamburg Handel")
    decision.scroll_into_view_if_needed()
    manager.shot("lead-explanation", doc="lead-explanation")

    # Edits the routing policy: a what-if on the unsaved settings, then a new version.
    manager.go("/routing-policy/")
    expect(page.locator("h1")).to_contain_text("v1")
    # Typing previews the top 5 (htmx, 400 ms after the last keystroke). Wait for it before
    # clicking "Simulate": a preview request fired after that click is sent to the
    # button's formaction by htmx (see docs/testing.md, known problems).
    with page.expect_response(lambda r: r.url.endswith("/routing-policy/")
                              and r.request.method == "POST"):
        page.locator("#id_weight_distance").fill("2.5")
    expect(page.locator("#policy-preview")).to_contain_text("With your changes")
    expect(page.locator("#policy-preview")).to_contain_text("Isar Automation")
    page.get_by_role("button", name=re.compile("^Simulate on the last")).click()
    expect(page.locator("#whatif-panel")).to_contain_text("Expected conversions now")
    manager.assert_clean()
    page.locator("#whatif-panel").scroll_into_view_if_needed()
    manager.shot("policy-whatif", doc="policy-whatif")
    with page.expect_navigation():
        page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".messages")).to_contain_text("Saved as version 2.")
    expect(page.locator("h1")).to_contain_text("v2")
    manager.assert_clean()
    manager.shot("policy-saved")
    with tenant_scope(tenant_a):
        saved = RoutingPolicy.objects.get(version=2)
    assert saved.weights["distance"] == 2.5
