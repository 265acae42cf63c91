from django.urls import reverse

from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from tests.conftest import PASSWORD


def test_it_logs_a_manager_in(client, manager_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("login"), {"username": "manager@acme.example",
                                                   "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_it_audits_the_login(client, manager_a, tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("login"), {"username": "manager@acme.example", "password": PASSWORD})
    with tenant_scope(tenant_a):
        assert AuditEvent.objects.filter(action="user.login",
                                         actor="manager@acme.example").count() == 1


def test_it_refuses_a_wrong_password(client, manager_a):
    response = client.post(reverse("login"), {"username": "manager@acme.example",
                                              "password": "wrong"})
    assert response.status_code == 200
    assert "E-mail or password is wrong" in response.text
    assert client.get(reverse("dashboard")).status_code == 302


def test_it_logs_out(client_a):
    response = client_a.post(reverse("logout"))
    assert response.status_code == 302
    assert client_a.get(reverse("dashboard")).status_code == 302


def test_it_rotates_the_session_on_login(client, manager_a):
    client.get(reverse("login"))
    before = client.cookies.get("sessionid")
    client.post(reverse("login"), {"username": "manager@acme.example", "password": PASSWORD})
    assert client.cookies["sessionid"].value != (before.value if before else None)


def test_it_sends_a_password_reset_link(client, manager_a, mailoutbox):
    client.post(reverse("password_reset"), {"email": "manager@acme.example"})
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body
