"""Which language a page is in: the person's preference, else the tenant's, else the
browser's; the header's language form stores the preference."""

from django.conf import settings
from django.urls import reverse

from leadrouter.tenancy.language import language_supported, user_language_set
from leadrouter.tenancy.models import UserPreference


def _login(client, user):
    client.force_login(user)
    return client


def test_it_uses_the_tenant_locale_for_a_person_without_a_preference(
        client, german_tenant, manager_a):
    page = _login(client, manager_a).get(reverse("leads:list")).text
    assert '<html lang="de">' in page and "Abmelden" in page


def test_it_prefers_the_persons_choice_over_the_tenant(client, german_tenant, manager_a):
    user_language_set(user=manager_a, language="en")
    page = _login(client, manager_a).get(reverse("leads:list")).text
    assert '<html lang="en">' in page and "Log out" in page


def test_it_prefers_the_tenant_over_the_browser(client, tenant_a, manager_a):
    page = _login(client, manager_a).get(reverse("leads:list"),
                                         HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").text
    assert "Log out" in page and "Abmelden" not in page


def test_it_uses_the_browser_language_before_login(client, db):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").text
    assert '<html lang="de">' in page and "Anmelden" in page
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB").text
    assert "Log in" in page


def test_it_saves_the_choice_of_the_header_form(client, tenant_a, manager_a):
    _login(client, manager_a)
    response = client.post(reverse("language-set"),
                           {"language": "de", "next": reverse("leads:list")})
    assert response.status_code == 302 and response["Location"] == reverse("leads:list")
    assert UserPreference.objects.get(user=manager_a).language == "de"
    assert "Abmelden" in client.get(reverse("leads:list")).text
    # A fresh login reads the stored preference.
    client.logout()
    _login(client, manager_a)
    assert "Abmelden" in client.get(reverse("leads:list")).text


def test_it_follows_the_tenant_again_when_the_choice_is_cleared(
        client, german_tenant, manager_a):
    user_language_set(user=manager_a, language="en")
    _login(client, manager_a)
    client.post(reverse("language-set"), {"language": "", "next": "/leads/"})
    assert UserPreference.objects.get(user=manager_a).language == ""
    assert "Abmelden" in client.get(reverse("leads:list")).text


def test_it_remembers_the_choice_before_login_in_a_cookie(client, db):
    response = client.post(reverse("language-set"), {"language": "de", "next": "/accounts/login/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert "Anmelden" in client.get(reverse("login")).text


def test_it_refuses_to_redirect_to_another_site(client, db):
    response = client.post(reverse("language-set"),
                           {"language": "de", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_it_normalises_language_codes():
    assert language_supported("de-DE") == "de"
    assert language_supported("DE_at") == "de"
    assert language_supported("fr") is None
    assert language_supported("") is None


def test_it_adds_no_query_to_a_page_for_the_language(client, german_tenant, manager_a,
                                                     django_assert_max_num_queries):
    _login(client, manager_a)
    client.get(reverse("leads:list"))  # warm caches
    with django_assert_max_num_queries(50) as captured:
        client.get(reverse("leads:list"))
    assert not any("tenancy_userpreference" in q["sql"] for q in captured.captured_queries)
