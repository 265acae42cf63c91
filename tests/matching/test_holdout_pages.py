"""Starting and stopping the holdout from the policy page; strangers get 404."""

from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from matching.holdout import holdout_running
from matching.policy import policy_current


def test_it_starts_and_shows_the_holdout(client_a, tenant_a):
    with tenant_scope(tenant_a):
        policy_current(tenant=tenant_a)
    response = client_a.post(reverse("matching:policy-holdout"), {"version": "1", "share": "10"})
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        assert holdout_running(tenant_id=tenant_a.pk).share == 0.1
    page = client_a.get(reverse("matching:policy"))
    assert b"Stop the holdout" in page.content


def test_it_stops_the_holdout(client_a, tenant_a):
    with tenant_scope(tenant_a):
        policy_current(tenant=tenant_a)
    client_a.post(reverse("matching:policy-holdout"), {"version": "1", "share": "10"})
    client_a.post(reverse("matching:policy-holdout"), {"stop": "1"})
    with tenant_scope(tenant_a):
        assert holdout_running(tenant_id=tenant_a.pk) is None


def test_it_hides_the_holdout_from_a_stranger(client_b, tenant_a):
    with tenant_scope(tenant_a):
        policy_current(tenant=tenant_a)
    response = client_b.post(reverse("matching:policy-holdout"), {"version": "1", "share": "10"})
    assert response.status_code == 302  # the stranger acts on its own tenant only
    with tenant_scope(tenant_a):
        assert holdout_running(tenant_id=tenant_a.pk) is None


def test_it_hides_the_holdout_from_partner_users(partner_client_a1):
    response = partner_client_a1.post(reverse("matching:policy-holdout"), {"stop": "1"})
    assert response.status_code == 404
