"""What-if replay: a draft policy on recent leads, counted, and nothing live changes."""

from django.urls import reverse

from feedback.models import OutcomeEvent
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.models import Offer, RoutingDecision, RoutingPolicy, WhatIfRun, WhatIfStatus
from matching.policy import policy_current, policy_draft
from matching.whatif import whatif_replay
from partners.models import Partner
from tests.matching.whatif_helpers import routed_channel


def _snapshot():
    return {model.__name__: sorted(model.objects.values_list())
            for model in (Lead, Offer, RoutingDecision, RoutingPolicy, OutcomeEvent, Partner)}


def test_it_counts_the_leads_that_move_under_the_draft(tenant_a):
    routed_channel(tenant_a)
    with tenant_scope(tenant_a):
        base = policy_current(tenant=tenant_a)
        same = whatif_replay(tenant_id=tenant_a.pk, base=base, draft=base)
        # Industry and competency off, distance all that counts: the near partner wins all.
        draft = policy_draft(base=base, changes={"weights": {
            "industry": 0, "competency": 0, "size": 0, "certification": 0, "level": 0,
            "distance": 5}})
        moved = whatif_replay(tenant_id=tenant_a.pk, base=base, draft=draft)
    assert same["leads"] == 12 and same["changed"] == 0
    assert same["expected"]["difference"]["mean"] == 0
    assert moved["changed"] > 0
    assert moved["gainers"][0]["name"] == "Near Maschinen"
    low, high = moved["expected"]["draft"]["low"], moved["expected"]["draft"]["high"]
    assert low <= moved["expected"]["draft"]["mean"] <= high
    assert abs(sum(t["draft"] for t in moved["tiers"]) - 1) < 1e-6


def test_it_changes_nothing_in_the_live_data(client_a, tenant_a,
                                              django_capture_on_commit_callbacks):
    routed_channel(tenant_a)
    with tenant_scope(tenant_a):
        before = _snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(reverse("matching:policy-whatif-start"), {
            **_form_data(tenant_a), "weight_distance": "5", "use_performance": ""})
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        run = WhatIfRun.objects.get()
        assert run.status == WhatIfStatus.DONE and run.progress == 100
        assert run.result["leads"] == 12
        assert _snapshot() == before


def _form_data(tenant) -> dict:
    from matching.policy_views import PolicyForm

    with tenant_scope(tenant):
        initial = PolicyForm.initial_from(policy_current(tenant=tenant))
    data = {}
    for key, value in initial.items():
        if isinstance(value, list):
            data[key] = value
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        else:
            data[key] = str(value)
    return data
