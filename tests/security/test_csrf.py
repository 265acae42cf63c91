"""CSRF is enforced on unsafe routes, htmx requests included (base.html sends the token)."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.fixture
def strict_client_a(manager_a) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_a)
    return client


@pytest.mark.parametrize("name, kwargs", [
    ("tenant-switch", {}), ("logout", {}), ("partners:new", {}), ("leads:new", {}),
    ("matching:policy", {}), ("queue-action", {"lead_id": 1}),
    ("feedback:recompute", {}), ("password_change", {}),
])
def test_it_refuses_a_post_without_a_token(strict_client_a, name, kwargs):
    assert strict_client_a.post(reverse(name, kwargs=kwargs), {}).status_code == 403


def test_it_refuses_an_htmx_post_without_a_token(strict_client_a):
    response = strict_client_a.post(reverse("tenant-switch"), {"tenant": "1"},
                                    HTTP_HX_REQUEST="true")
    assert response.status_code == 403


def test_it_refuses_a_login_without_a_token(manager_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "manager@acme.example",
                                              "password": PASSWORD})
    assert response.status_code == 403


def test_it_sends_the_token_as_a_header_on_htmx_requests(strict_client_a):
    page = strict_client_a.get(reverse("dashboard")).text
    headers = json.loads(re.search(r"<body[^>]*hx-headers='([^']+)'", page).group(1))
    response = strict_client_a.post(reverse("logout"), HTTP_HX_REQUEST="true",
                                    HTTP_X_CSRFTOKEN=headers["X-CSRFToken"])
    assert response.status_code == 302
    assert strict_client_a.get(reverse("dashboard")).status_code == 302
