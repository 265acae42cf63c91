import pytest
from django.db import connection
from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from partners import services
from partners.models import Partner
from tests.factories import partner_create
from tests.partners.conftest import profile_post


def test_it_lists_partners(client_a, partner_a1, partner_a2):
    response = client_a.get(reverse("partners:list"))
    assert response.status_code == 200
    assert "Alpha Systemhaus" in response.text and "Beta Technik" in response.text
    assert "<html" in response.text


def test_it_searches_the_list(client_a, partner_a1, partner_a2):
    response = client_a.get(reverse("partners:list"), {"q": "beta"})
    assert "Beta Technik" in response.text and "Alpha Systemhaus" not in response.text


def test_it_filters_by_status_and_level(client_a, tenant_a):
    partner_create(tenant_a, name="Gold Active", level="gold")
    partner_create(tenant_a, name="Gold Paused", level="gold", status="paused")
    partner_create(tenant_a, name="Bronze Active", level="bronze")
    response = client_a.get(reverse("partners:list"), {"status": "active", "level": "gold"})
    assert "Gold Active" in response.text
    assert "Gold Paused" not in response.text and "Bronze Active" not in response.text


def test_it_filters_by_competency(client_a, tenant_a, taxonomy_a, manager_a):
    with tenant_scope(tenant_a):
        services.partner_create(tenant=tenant_a, actor=manager_a, data={
            "external_id": "C1", "name": "Has CNC", "country": "DE",
            "competencies": [{"code": "cnc", "level": 2}]})
    partner_create(tenant_a, name="No CNC")
    response = client_a.get(reverse("partners:list"), {"competency": "cnc"})
    assert "Has CNC" in response.text and "No CNC" not in response.text


def test_it_refreshes_only_the_table_for_htmx(client_a, partner_a1):
    response = client_a.get(reverse("partners:list"), {"q": "alpha"}, HTTP_HX_REQUEST="true")
    assert 'id="partner-table"' in response.text and "<html" not in response.text
    assert "Alpha Systemhaus" in response.text


def test_it_paginates_with_links_that_work_without_javascript(client_a, tenant_a):
    for number in range(30):
        partner_create(tenant_a, name=f"Partner {number:02d}")
    page = client_a.get(reverse("partners:list"), {"level": "registered"}).text
    assert 'href="?level=registered&amp;page=2"' in page
    assert 'hx-get="?level=registered&amp;page=2"' in page
    second = client_a.get(reverse("partners:list"), {"level": "registered", "page": 2}).text
    assert "Partner 29" in second and "Partner 00" not in second


@pytest.mark.parametrize("count", [3, 25])
def test_it_lists_with_a_fixed_number_of_queries(client_a, tenant_a, django_assert_num_queries,
                                                 count):
    for number in range(count):
        partner = partner_create(tenant_a, name=f"Partner {number}")
        with tenant_scope(tenant_a):
            partner.territories.create(tenant=tenant_a, country="DE", postal_prefixes=["8"])
            partner.territories.create(tenant=tenant_a, country="AT", radius_km=30)
    # session, user, memberships, competency choices, count, page, territories; on
    # PostgreSQL also set_config of app.tenant_id as the middleware enters and leaves the
    # cross-tenant membership lookup and the tenant scope.
    expected = 7 + (4 if connection.vendor == "postgresql" else 0)
    with django_assert_num_queries(expected):
        response = client_a.get(reverse("partners:list"))
    assert response.status_code == 200


def test_it_shows_a_partner(client_a, partner_a1):
    response = client_a.get(reverse("partners:detail", args=[partner_a1.pk]))
    assert response.status_code == 200 and "Alpha Systemhaus" in response.text
    assert reverse("partners:pause", args=[partner_a1.pk]) in response.text


def test_it_creates_a_partner_with_nested_rows(client_a, tenant_a, taxonomy_a):
    data = profile_post(territories__0__country="DE", territories__0__postal_prefixes="80, 81",
                        industries__0__code="C28", competencies__0__code="cnc",
                        competencies__0__level="3", certifications__0__code="iso9001",
                        certifications__0__valid_until="2030-06-30",
                        products__0__code="model-x")
    response = client_a.post(reverse("partners:new"), data)
    with tenant_scope(tenant_a):
        partner = Partner.objects.get(external_id="P-NEW")
        assert response["Location"] == reverse("partners:detail", args=[partner.pk])
        assert partner.territories.get().postal_prefixes == ["80", "81"]
        assert partner.competencies.get().level == 3
        assert partner.industries.get().term.code == "C28"
        assert partner.certifications.get().valid_until.isoformat() == "2030-06-30"
        assert partner.products.get().available is True
        assert partner.languages == ["de", "en"]


def test_it_shows_form_errors_per_field(client_a, tenant_a, partner_a1):
    data = profile_post(external_id="P-A1", country="Germany")
    response = client_a.post(reverse("partners:new"), data)
    assert response.status_code == 200
    assert "Ensure this value has at most 2 characters" in response.text
    data = profile_post(external_id="P-A1", deal_value_min="100", deal_value_max="5")
    response = client_a.post(reverse("partners:new"), data)
    assert "must not be below the minimum" in response.text
    data = profile_post(external_id="P-A1")
    response = client_a.post(reverse("partners:new"), data)
    assert "already exists" in response.text


def test_it_edits_a_partner_and_replaces_nested_rows(client_a, tenant_a, taxonomy_a, manager_a):
    with tenant_scope(tenant_a):
        partner = services.partner_create(tenant=tenant_a, actor=manager_a, data={
            "external_id": "E1", "name": "Edit Me", "country": "DE",
            "competencies": [{"code": "cnc", "level": 1}, {"code": "service", "level": 2}]})
    form = client_a.get(reverse("partners:edit", args=[partner.pk]))
    assert form.status_code == 200 and 'value="Edit Me"' in form.text
    data = profile_post(external_id="E1", name="Edited",
                        **{"competencies-TOTAL_FORMS": "3", "competencies-INITIAL_FORMS": "2"},
                        competencies__0__code="cnc", competencies__0__level="2",
                        competencies__1__code="service", competencies__1__level="2",
                        competencies__1__DELETE="on", competencies__2__level="1")
    response = client_a.post(reverse("partners:edit", args=[partner.pk]), data)
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        partner.refresh_from_db()
        assert partner.name == "Edited"
        assert [(c.term.code, c.level) for c in partner.competencies.all()] == [("cnc", 2)]


def test_it_hides_manager_pages_from_partner_users(partner_client_a1, partner_a1):
    for url in (reverse("partners:list"), reverse("partners:new"),
                reverse("partners:detail", args=[partner_a1.pk]),
                reverse("partners:edit", args=[partner_a1.pk])):
        assert partner_client_a1.get(url).status_code == 404, url
    for name in ("partners:pause", "partners:resume", "partners:offboard"):
        url = reverse(name, args=[partner_a1.pk])
        assert partner_client_a1.post(url).status_code == 404, url


def test_it_sends_anonymous_visitors_to_the_login(client, partner_a1):
    response = client.get(reverse("partners:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_lets_an_admin_in(client, admin_a, partner_a1):
    client.force_login(admin_a)
    assert client.get(reverse("partners:detail", args=[partner_a1.pk])).status_code == 200


def test_it_offers_taxonomy_codes_in_the_new_partner_form(client_a, taxonomy_a):
    response = client_a.get(reverse("partners:new"))
    assert response.status_code == 200
    assert 'name="competencies-0-code"' in response.text
    assert '<option value="cnc">cnc — CNC</option>' in response.text
