from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from tests.factories import term_create


def _form_data(**fields):
    data = {"company_name": "Fahrer GmbH", "contact_name": "Max Fahrer",
            "contact_email": "max@fahrer.example", "postal_code": "80331", "city": "München",
            "country": "DE", "consent": "on", "website": ""}
    data.update(fields)
    return data


def _url(tenant, name="leads:public-form"):
    return reverse(name, args=[tenant.form_key])


def test_it_shows_the_form_to_anyone(client, tenant_a):
    term_create(tenant_a, "products", "EV-SUV", "Elektro-SUV")
    page = client.get(_url(tenant_a)).text
    assert "Request a test drive" in page and "Elektro-SUV" in page


def test_it_creates_a_lead_and_thanks(client, tenant_a):
    term_create(tenant_a, "products", "EV-SUV")
    response = client.post(_url(tenant_a), _form_data(products="EV-SUV"))
    assert response["Location"] == _url(tenant_a, "leads:public-form-thanks")
    with tenant_scope(tenant_a):
        lead = Lead.objects.get()
    assert (lead.channel, lead.products, lead.consent) == ("form", ["EV-SUV"], True)
    assert "Thank you" in client.get(response["Location"]).text


def test_it_drops_a_submission_that_filled_the_honeypot(client, tenant_a):
    response = client.post(_url(tenant_a), _form_data(website="http://spam.example"))
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        assert not Lead.objects.exists()


def test_it_rate_limits_per_ip(client, tenant_a, settings):
    settings.LEADS_FORM_RATE_LIMIT = (2, 600)
    for _ in range(2):
        assert client.post(_url(tenant_a), _form_data()).status_code == 302
    response = client.post(_url(tenant_a), _form_data())
    assert response.status_code == 429 and "Too many requests" in response.text
    other_ip = client.post(_url(tenant_a), _form_data(), REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 302
    with tenant_scope(tenant_a):
        assert Lead.objects.count() == 3


def test_it_requires_consent_and_contact(client, tenant_a):
    response = client.post(_url(tenant_a), _form_data(consent="", contact_email="nope"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"consent", "contact_email"}


def test_it_answers_404_for_an_unknown_form_key(client, db):
    assert client.get(reverse("leads:public-form", args=["nope"])).status_code == 404
    assert client.get(reverse("leads:public-form-thanks", args=["nope"])).status_code == 404


def test_it_files_the_lead_under_the_forms_tenant_for_a_logged_in_stranger(client_b,
                                                                            tenant_a, tenant_b):
    client_b.post(_url(tenant_a), _form_data())
    with tenant_scope(tenant_a):
        assert Lead.objects.count() == 1
    with tenant_scope(tenant_b):
        assert not Lead.objects.exists()


def test_it_can_be_embedded_in_the_tenants_site(client, tenant_a):
    assert "X-Frame-Options" not in client.get(_url(tenant_a))
