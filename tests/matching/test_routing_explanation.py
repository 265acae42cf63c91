"""The decision explanation on the lead page (templates/matching/_decision.html)."""

from django.template.loader import render_to_string

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.routing import lead_route
from tests.factories import lead_create, partner_create


def _render(tenant, lead) -> str:
    with tenant_scope(tenant):
        decision = lead_route(lead=Lead.objects.get(pk=lead.pk))
        return render_to_string("matching/_decision.html", {"decision": decision})


def test_it_explains_candidates_with_criterion_bars_and_exclusions(tenant_a):
    partner_create(tenant_a, name="Alpha Systemhaus")
    partner_create(tenant_a, name="Wien GmbH", country="AT")
    html = _render(tenant_a, lead_create(tenant_a))
    assert "Alpha Systemhaus" in html and "Policy v1" in html
    assert "1 outside territory" in html
    assert html.count("<meter") >= 6 and "offered in turn" in html


def test_it_says_why_nobody_got_the_lead(tenant_a):
    for _ in range(2):
        partner_create(tenant_a, country="AT")
    partner_create(tenant_a, status="paused")
    html = _render(tenant_a, lead_create(tenant_a))
    assert "Why nobody" in html
    assert "2 outside territory, 1 paused or inactive" in html


def test_it_says_when_a_lead_was_not_routed_yet(db):
    assert "Not routed yet" in render_to_string("matching/_decision.html", {"decision": None})


def test_it_shows_the_learned_skill_beside_the_win_rate(tenant_a):
    from feedback.models import OutcomeEvent

    partner = partner_create(tenant_a, name="Alpha Systemhaus")
    closed = lead_create(tenant_a)
    with tenant_scope(tenant_a):
        for kind in ("accepted", "won"):  # a closed lead: the skill has something to learn
            OutcomeEvent.objects.create(tenant=tenant_a, lead=closed, partner=partner, kind=kind)
    html = _render(tenant_a, lead_create(tenant_a))
    # the score's win factor: wins over what the fit of the partner's leads predicted
    assert "Wins vs. expected" in html and "Win rate" in html
