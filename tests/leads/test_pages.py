import pytest
from django.db import connection
from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import ImportJob, Lead
from tests.factories import lead_create
from tests.leads.conftest import decision_create, offer_create


@pytest.fixture
def lead_a(tenant_a):
    return lead_create(tenant_a, external_id="CRM-7", source="fair")


@pytest.fixture
def job_a(tenant_a):
    with tenant_scope(tenant_a):
        return ImportJob.objects.create(tenant=tenant_a, created_by="m", filename="a.csv",
                                        content="company_name\nX\n", headers=["company_name"])


def _pages(lead, job):
    return [reverse("leads:list"), reverse("leads:new"), reverse("leads:import"),
            reverse("leads:detail", args=[lead.pk]), reverse("leads:import-job", args=[job.pk])]


def test_it_shows_every_page_to_a_manager(client_a, lead_a, job_a):
    for url in _pages(lead_a, job_a):
        assert client_a.get(url).status_code == 200, url


def test_it_answers_404_to_a_stranger_for_every_object_page(client_b, lead_a, job_a):
    for url in _pages(lead_a, job_a)[3:]:
        assert client_b.get(url).status_code == 404, url


def test_it_shows_a_stranger_none_of_the_tenants_leads(client_b, lead_a):
    page = client_b.get(reverse("leads:list"), {"q": "Kunde"}).text
    assert "Kunde GmbH" not in page and "No leads match" in page


def test_it_answers_404_to_a_partner_user(partner_client_a1, lead_a, job_a):
    for url in _pages(lead_a, job_a):
        assert partner_client_a1.get(url).status_code == 404, url


def test_it_sends_an_anonymous_visitor_to_the_login(client, lead_a):
    response = client.get(reverse("leads:detail", args=[lead_a.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_lists_and_searches_leads(client_a, tenant_a, lead_a):
    lead_create(tenant_a, company_name="Andere AG")
    page = client_a.get(reverse("leads:list")).text
    assert "Kunde GmbH" in page and "Andere AG" in page
    page = client_a.get(reverse("leads:list"), {"q": "andere"}).text
    assert "Andere AG" in page and "Kunde GmbH" not in page
    page = client_a.get(reverse("leads:list"), {"q": "CRM-7"}).text
    assert "Kunde GmbH" in page and "Andere AG" not in page


def test_it_filters_the_list(client_a, tenant_a, lead_a, partner_a1):
    lead_create(tenant_a, company_name="Won AG", status="won", assigned_partner=partner_a1)
    page = client_a.get(reverse("leads:list"), {"status": "won"}).text
    assert "Won AG" in page and "Kunde GmbH" not in page
    page = client_a.get(reverse("leads:list"), {"partner": partner_a1.pk}).text
    assert "Won AG" in page and "Kunde GmbH" not in page
    page = client_a.get(reverse("leads:list"), {"source": "fair"}).text
    assert "Kunde GmbH" in page and "Won AG" not in page


def test_it_renders_only_the_results_for_htmx(client_a, lead_a):
    response = client_a.get(reverse("leads:list"), HTTP_HX_REQUEST="true")
    assert "Kunde GmbH" in response.text and "<html" not in response.text


def test_it_pages_the_list_by_keyset(client_a, tenant_a, settings, monkeypatch):
    import leads.selectors

    monkeypatch.setattr(leads.selectors, "PAGE_SIZE", 3)
    for i in range(7):
        lead_create(tenant_a, company_name=f"Firma {i:02d}")
    seen: list[str] = []
    url = reverse("leads:list") + "?sort=company"
    for _ in range(3):
        response = client_a.get(url)
        page = response.context["page"]
        seen += [lead.company_name for lead in page.leads]
        if not page.next_cursor:
            break
        url = reverse("leads:list") + f"?sort=company&cursor={page.next_cursor}"
    assert seen == [f"Firma {i:02d}" for i in range(7)]


def test_it_lists_with_a_pinned_number_of_queries(client_a, tenant_a, partner_a1,
                                                  django_assert_num_queries):
    for i in range(30):
        lead_create(tenant_a, company_name=f"Firma {i}", assigned_partner=partner_a1,
                    source=f"s{i % 3}")
    client_a.get(reverse("leads:list"))
    # session, user, memberships (3) and on PostgreSQL the scope's set_config calls (4); then
    # partners for the filter and one page of leads with their partner (2). Sources: cached.
    with django_assert_num_queries(5 + (4 if connection.vendor == "postgresql" else 0)):
        assert client_a.get(reverse("leads:list")).status_code == 200


def test_it_shows_the_timeline_and_the_decision(client_a, tenant_a, lead_a, partner_a1):
    from feedback.models import OutcomeEvent

    offer_create(tenant_a, lead_a, partner_a1)
    decision_create(tenant_a, lead_a, partner_a1)
    with tenant_scope(tenant_a):
        OutcomeEvent.objects.create(tenant=tenant_a, lead=lead_a, partner=partner_a1,
                                    kind="won", value=1000)
    page = client_a.get(reverse("leads:detail", args=[lead_a.pk])).text
    assert "Offered to Alpha Systemhaus" in page
    assert "Routing decision (policy v1)" in page and "9 outside_territory" in page
    assert "Alpha Systemhaus: Won" in page


def test_it_shows_a_possible_duplicate(client_a, tenant_a, lead_a):
    dup = lead_create(tenant_a, duplicate_of=lead_a)
    page = client_a.get(reverse("leads:detail", args=[dup.pk])).text
    assert "Possible duplicate of" in page


def test_it_creates_a_lead_by_hand(client_a, tenant_a):
    response = client_a.post(reverse("leads:new"), {
        "company_name": "Hand GmbH", "country": "AT", "postal_code": "1010",
        "contact_email": "h@hand.example", "deal_value": "1000"})
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(company_name="Hand GmbH")
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:detail", args=[lead.pk])
    assert lead.channel == "manual" and lead.currency == "EUR"


def test_it_shows_errors_of_manual_entry(client_a, tenant_a):
    response = client_a.post(reverse("leads:new"), {"company_name": "", "country": "DE",
                                                    "deal_value": "-1"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"company_name", "deal_value"}
    with tenant_scope(tenant_a):
        assert not Lead.objects.exists()
