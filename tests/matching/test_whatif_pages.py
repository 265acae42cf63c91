"""The what-if pages: progress and results for the manager, 404 for anyone else."""

from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from matching.models import WhatIfRun, WhatIfStatus
from matching.policy import policy_current


def _run(tenant, **fields) -> WhatIfRun:
    with tenant_scope(tenant):
        return WhatIfRun.objects.create(tenant=tenant, base=policy_current(tenant=tenant),
                                        changes={}, **fields)


def test_it_shows_the_progress_while_running(client_a, tenant_a):
    run = _run(tenant_a, status=WhatIfStatus.RUNNING, progress=40)
    response = client_a.get(reverse("matching:policy-whatif", args=[run.pk]),
                            HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'value="40"' in response.content
    assert b'hx-trigger="every 1s"' in response.content


def test_it_shows_the_results_when_done(client_a, tenant_a):
    result = {"leads": 3, "changed": 2, "changed_vs_recorded": 2,
              "unrouted": {"current": 0, "draft": 0},
              "expected": {k: {"mean": 0.5, "low": 0.2, "high": 0.9}
                           for k in ("current", "draft", "difference")},
              "tiers": [], "gainers": [{"name": "Alpha", "delta": 2, "current": 0,
                                        "draft": 2}], "losers": []}
    run = _run(tenant_a, status=WhatIfStatus.DONE, progress=100, result=result)
    response = client_a.get(reverse("matching:policy-whatif", args=[run.pk]))
    assert response.status_code == 200
    assert b"Alpha" in response.content and b"every 1s" not in response.content


def test_it_hides_a_run_from_another_tenant(client_b, tenant_a):
    run = _run(tenant_a)
    assert client_b.get(reverse("matching:policy-whatif", args=[run.pk])).status_code == 404


def test_it_hides_the_runs_from_partner_users(partner_client_a1, tenant_a):
    run = _run(tenant_a)
    response = partner_client_a1.get(reverse("matching:policy-whatif", args=[run.pk]))
    assert response.status_code == 404
    assert partner_client_a1.post(reverse("matching:policy-whatif-start")).status_code == 404
