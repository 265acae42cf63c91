"""Every page carries a strict Content-Security-Policy and the usual security headers, and
the pages satisfy it: scripts from us or with the request's nonce, no inline styles."""

import re

import pytest
from django.urls import reverse

NONCE_RE = re.compile(r"'nonce-([^']+)'")


def _directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in header.split(";"))


def _assert_strict(response):
    policy = _directives(response)
    assert policy["default-src"] == "'self'"
    assert re.fullmatch(r"'self' 'nonce-[\w-]+'", policy["script-src"])
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["base-uri"] == "'self'"


def test_it_sends_the_policy_on_the_login_page(client):
    _assert_strict(client.get(reverse("login")))


@pytest.mark.parametrize("name", ["dashboard", "partners:list", "leads:list", "unrouted",
                                  "matching:policy", "feedback:overview"])
def test_it_sends_the_policy_on_manager_pages(client_a, name):
    response = client_a.get(reverse(name))
    assert response.status_code == 200
    _assert_strict(response)


def test_it_sends_the_policy_on_the_partner_portal(partner_client_a1):
    response = partner_client_a1.get(reverse("portal"))
    assert response.status_code == 200
    _assert_strict(response)


def test_it_gives_the_htmx_script_the_nonce_of_the_header(client_a):
    response = client_a.get(reverse("dashboard"))
    nonce = NONCE_RE.search(response["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in response.text
    assert "django_htmx/htmx" in response.text


def test_it_uses_a_new_nonce_per_request(client_a):
    first = client_a.get(reverse("dashboard"))["Content-Security-Policy"]
    second = client_a.get(reverse("dashboard"))["Content-Security-Policy"]
    assert NONCE_RE.search(first).group(1) != NONCE_RE.search(second).group(1)


def test_it_keeps_htmx_from_injecting_styles_or_evaluating_code(client_a):
    text = client_a.get(reverse("dashboard")).text
    assert '"includeIndicatorStyles": false' in text
    assert '"allowEval": false' in text


def test_it_sends_the_security_headers(client_a):
    response = client_a.get(reverse("dashboard"))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_it_lets_other_sites_frame_only_the_public_lead_form(client, tenant_a):
    response = client.get(reverse("leads:public-form", args=[tenant_a.form_key]))
    assert response.status_code == 200
    policy = _directives(response)
    assert policy["frame-ancestors"] == "https: http:"
    assert policy["script-src"].startswith("'self' 'nonce-")
    assert policy["style-src"] == "'self'"
    assert "X-Frame-Options" not in response
    assert _directives(client.get(reverse("login")))["frame-ancestors"] == "'none'"
