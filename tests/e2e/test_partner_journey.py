"""A partner on a phone: sees an offer without the contact data, accepts it, sees the contact
data, reports the deal won; then the manager's dashboard shows the win."""

import re

import pytest

from leadrouter.tenancy.api_keys import api_key_create
from leadrouter.tenancy.models import Role
from leadrouter.tenancy.scoping import tenant_scope
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE
from tests.factories import membership_create, partner_create

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

CONTACT = {"contact_name": "Max Huber", "contact_email": "max@huber.example",
           "contact_phone": "+49 89 4711"}


def test_it_lets_a_partner_accept_on_a_phone_and_the_manager_see_the_win(
        journey, tenant_a, manager_a):
    isar = partner_create(tenant_a, external_id="P-ISAR", name="Isar Automation",
                          capacity=5, deal_value_min=0, deal_value_max=100000,
                          languages=["de"])
    with tenant_scope(tenant_a):
        isar.territories.create(tenant=tenant_a, country="DE", postal_prefixes=["80", "81"])
        plain_key = api_key_create(tenant=tenant_a, name="CRM").plain_key
    membership_create(tenant_a, "sales@isar.example", Role.PARTNER, PASSWORD, partner=isar)
    response = journey.api(plain_key).post("/api/v1/leads/", data={
        "external_id": "CRM-4711", "company_name": "Brauerei Huber", "industry": "",
        "country": "DE", "postal_code": "80333", "city": "München", "employees": 40,
        "deal_value": "25000", "language": "de", **CONTACT})
    assert response.status == 201, response.text()
    lead_id = response.json()["id"]

    # The partner logs in on a phone and sees the offer, without the contact data.
    partner = journey.open("partner", PHONE)
    page = partner.page
    partner.login("sales@isar.example", PASSWORD)
    page.wait_for_url(re.compile(r"/portal/$"))
    offer = page.locator("article.offer")
    expect(offer).to_have_count(1)
    expect(offer).to_contain_text(re.compile(r"25\D?000"))
    expect(offer).to_contain_text("Contact details are shown after you accept.")
    body = page.locator("body")
    for value in CONTACT.values():
        expect(body).not_to_contain_text(value)
    assert "Brauerei Huber" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "page wider than phone"
    partner.shot("portal-offer", doc="portal-phone")

    # Accepts it (a tap) and sees the contact data.
    with page.expect_navigation():
        offer.get_by_role("button", name="Accept").tap()
    page.wait_for_url(re.compile(rf"/portal/leads/{lead_id}/$"))
    partner.assert_clean()
    expect(page.locator(".messages")).to_contain_text("Lead accepted")
    expect(page.locator(".contact-name")).to_have_text("Max Huber")
    expect(page.get_by_role("link", name="max@huber.example")).to_have_attribute(
        "href", "mailto:max@huber.example")
    expect(page.get_by_role("link", name="+49 89 4711")).to_be_visible()
    partner.shot("portal-contact", doc="portal-phone-accepted")

    # Reports the deal won with its value.
    page.select_option("#status", "won")
    page.fill("#value", "18500")
    page.locator(".outcome-form").scroll_into_view_if_needed()
    partner.shot("portal-outcome-form")
    with page.expect_navigation():
        page.locator(".outcome-form").get_by_role("button", name="Save").tap()
    partner.assert_clean()
    expect(page.locator(".messages")).to_contain_text("Status saved.")
    expect(page.locator("h1")).to_contain_text("Won")
    expect(page.locator(".timeline")).to_contain_text(re.compile(r"18\D?500"))
    partner.shot("portal-won")

    # The manager's dashboard shows the win.
    manager = journey.open("manager")
    manager.login("manager@acme.example", PASSWORD)
    manager.go("/insights/")
    def kpi(label: str):
        return manager.page.locator(".kpi").filter(
            has=manager.page.locator(".kpi-label", has_text=re.compile(f"^{label}$")))

    expect(kpi("Won").locator(".kpi-value")).to_have_text("1")
    expect(kpi("Revenue won").locator(".kpi-value")).to_have_text(
        re.compile(r"18\D?500"))  # grouping depends on the locale
    expect(manager.page.locator("section", has_text="Revenue by partner")).to_contain_text(
        "Isar Automation")
    manager.shot("insights", doc="dashboard")
