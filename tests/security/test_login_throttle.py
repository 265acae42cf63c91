"""Login throttling: five failures of one e-mail from one address lock it out for a while."""

from django.contrib.auth import authenticate
from django.urls import reverse

from tests.conftest import PASSWORD

EMAIL = "manager@acme.example"


def _login(client, password, ip="203.0.113.7"):
    return client.post(reverse("login"), {"username": EMAIL, "password": password},
                       REMOTE_ADDR=ip)


def _fail(client, times, ip="203.0.113.7"):
    for _ in range(times):
        _login(client, "wrong-password", ip)


def test_it_refuses_the_right_password_after_five_failures(client, manager_a):
    _fail(client, 5)
    response = _login(client, PASSWORD)
    assert response.status_code == 429
    assert client.get(reverse("dashboard")).status_code == 302


def test_it_explains_the_lockout_on_the_login_page(client, manager_a):
    _fail(client, 5)
    response = _login(client, PASSWORD)
    assert "Too many failed logins" in response.text
    assert "15 minutes" in response.text
    assert response["Retry-After"] == "900"
    assert 'name="username"' in response.text


def test_it_still_lets_four_failures_log_in(client, manager_a):
    _fail(client, 4)
    assert _login(client, PASSWORD).status_code == 302


def test_it_resets_the_count_after_a_successful_login(client, manager_a):
    _fail(client, 4)
    assert _login(client, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    _fail(client, 4)
    assert _login(client, PASSWORD).status_code == 302


def test_it_locks_out_only_the_address_that_failed(client, manager_a):
    _fail(client, 5, ip="203.0.113.7")
    assert _login(client, PASSWORD, ip="198.51.100.20").status_code == 302


def test_it_unlocks_after_the_cool_off(client, manager_a, settings):
    import time_machine
    from django.utils import timezone

    _fail(client, 5)
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME, tick=False):
        assert _login(client, PASSWORD).status_code == 302


def test_it_authenticates_without_a_request(manager_a):
    # Management commands and scripts have no client to throttle.
    assert authenticate(username=EMAIL, password=PASSWORD) == manager_a
