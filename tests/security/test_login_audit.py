"""Failed logins are in the audit trail of the user's tenants, without the password."""

from django.urls import reverse

from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import all_tenants, tenant_scope


def test_it_audits_a_failed_login(client, manager_a, tenant_a,
                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("login"), {"username": "manager@acme.example",
                                       "password": "s3cret-Guess-123"})
    with tenant_scope(tenant_a):
        event = AuditEvent.objects.get(action="user.login_failed")
    assert event.actor == "manager@acme.example"
    assert event.data == {"path": reverse("login"), "locked_out": False}
    assert "s3cret-Guess-123" not in repr(event.data)


def test_it_marks_a_refused_login_as_locked_out(client, manager_a, tenant_a,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            client.post(reverse("login"), {"username": "manager@acme.example",
                                           "password": "wrong"})
    with tenant_scope(tenant_a):
        flags = list(AuditEvent.objects.filter(action="user.login_failed")
                     .order_by("created_at", "pk").values_list("data__locked_out", flat=True))
    assert flags == [False] * 4 + [True]


def test_it_records_nothing_for_an_unknown_user(client, tenant_a,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("login"), {"username": "nobody@acme.example", "password": "x"})
    with all_tenants():  # checking that no tenant at all got an event
        assert not AuditEvent.objects.filter(action="user.login_failed").exists()
