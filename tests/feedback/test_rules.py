"""Each threshold rule fires, is logged with its reason, and can be reversed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from feedback.models import PartnerTier, RuleAction, Tier
from feedback.rules import rule_action_reverse, rules_evaluate
from feedback.services import feedback_recompute
from feedback.tenant_settings import feedback_settings_get
from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from partners.models import Partner


def _evaluate(tenant, django_capture_on_commit_callbacks):
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        return rules_evaluate(tenant_id=tenant.pk)


def test_it_pauses_a_partner_after_expiries_in_a_row(tenant_a, partner_a1, make_history,
                                                     django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered expired"] * 3)
    actions = _evaluate(tenant_a, django_capture_on_commit_callbacks)
    assert [a.action for a in actions] == ["pause"]
    assert "3 offers in a row expired" in actions[0].reason
    with tenant_scope(tenant_a):
        assert Partner.objects.get(pk=partner_a1.pk).status == "paused"
        assert AuditEvent.objects.filter(action="rule.pause.pause").exists()
    assert mail.outbox[-1].to == ["offers@alpha.example"]
    assert "3 offers in a row expired" in mail.outbox[-1].body


def test_it_does_not_pause_when_an_accept_breaks_the_row(tenant_a, partner_a1, make_history,
                                                         django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered expired", "offered expired",
                                        "offered accepted", "offered expired"])
    assert _evaluate(tenant_a, django_capture_on_commit_callbacks) == []


def test_it_reverses_a_pause_and_stays_quiet_until_the_next_expiry(
        tenant_a, partner_a1, make_history, django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered expired"] * 3)
    action = _evaluate(tenant_a, django_capture_on_commit_callbacks)[0]
    with tenant_scope(tenant_a):
        rule_action_reverse(action_id=action.pk, actor="manager@acme.example")
        assert Partner.objects.get(pk=partner_a1.pk).status == "active"
    assert _evaluate(tenant_a, django_capture_on_commit_callbacks) == []
    make_history(tenant_a, partner_a1, ["offered expired"])
    assert [a.action for a in _evaluate(tenant_a, django_capture_on_commit_callbacks)] \
        == ["pause"]


def test_it_pauses_from_the_event_itself(tenant_a, partner_a1, make_history,
                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_history(tenant_a, partner_a1, ["offered expired"] * 3)
    with tenant_scope(tenant_a):
        assert RuleAction.objects.get().action == "pause"


def test_it_alerts_the_managers_on_a_low_accept_rate(tenant_a, manager_a, partner_a1,
                                                     make_history,
                                                     django_capture_on_commit_callbacks):
    with tenant_scope(tenant_a):
        feedback_settings_get(tenant=tenant_a)
        type(feedback_settings_get(tenant=tenant_a)).objects.update(rule_pause=False)
    make_history(tenant_a, partner_a1, ["offered rejected"] * 9 + ["offered accepted"])
    actions = _evaluate(tenant_a, django_capture_on_commit_callbacks)
    assert [a.rule for a in actions] == ["alert_accept"]
    assert "accept rate 10.0 %" in actions[0].reason
    assert mail.outbox[-1].to == ["manager@acme.example"]
    assert _evaluate(tenant_a, django_capture_on_commit_callbacks) == []  # once per drop


def test_it_alerts_on_a_low_conversion(tenant_a, manager_a, partner_a1, make_history,
                                       django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered accepted lost"] * 10)
    actions = _evaluate(tenant_a, django_capture_on_commit_callbacks)
    assert "alert_conversion" in [a.rule for a in actions]


def test_it_boosts_a_fast_closer_and_reverses_it(tenant_a, partner_a1, make_history,
                                                 django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered accepted won"] * 3)
    actions = _evaluate(tenant_a, django_capture_on_commit_callbacks)
    boost = next(a for a in actions if a.rule == "boost")
    with tenant_scope(tenant_a):
        assert PartnerTier.objects.get(partner=partner_a1).boost == 1.2
        rule_action_reverse(action_id=boost.pk, actor="manager@acme.example")
        assert PartnerTier.objects.get(partner=partner_a1).boost == 1.0
    assert not any(a.rule == "boost"
                   for a in _evaluate(tenant_a, django_capture_on_commit_callbacks))


def test_it_does_not_boost_a_slow_closer(tenant_a, partner_a1, make_history,
                                         django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered accepted won"] * 3, step=timedelta(days=20),
                 start=timezone.now() - timedelta(days=170))
    assert not any(a.rule == "boost"
                   for a in _evaluate(tenant_a, django_capture_on_commit_callbacks))


def test_it_reverses_a_promotion_and_does_not_redo_it(tenant_a, partner_a1, make_history,
                                                      django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered accepted won"] * 30)
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        feedback_recompute(tenant_id=tenant_a.pk)
        promote = RuleAction.objects.get(rule="tier")
        rule_action_reverse(action_id=promote.pk, actor="manager@acme.example")
        assert PartnerTier.objects.get(partner=partner_a1).tier == Tier.NEW
        feedback_recompute(tenant_id=tenant_a.pk)
        assert PartnerTier.objects.get(partner=partner_a1).tier == Tier.NEW
        assert RuleAction.objects.filter(rule="tier").count() == 1


def test_it_switches_a_rule_off(tenant_a, partner_a1, make_history,
                                django_capture_on_commit_callbacks):
    with tenant_scope(tenant_a):
        settings = feedback_settings_get(tenant=tenant_a)
        settings.rule_pause = False
        settings.save()
    make_history(tenant_a, partner_a1, ["offered expired"] * 5)
    assert _evaluate(tenant_a, django_capture_on_commit_callbacks) == []


def test_it_reverses_from_the_page(client_a, tenant_a, partner_a1, make_history,
                                   django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered expired"] * 3)
    action = _evaluate(tenant_a, django_capture_on_commit_callbacks)[0]
    page = client_a.get(reverse("feedback:tiers"))
    assert "3 offers in a row expired" in page.text
    response = client_a.post(reverse("feedback:action-reverse", args=[action.pk]))
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        assert RuleAction.objects.get().reversed_by == "manager@acme.example"
        assert Partner.objects.get(pk=partner_a1.pk).status == "active"


@pytest.mark.parametrize("who", ["client_b", "partner_client_a1"])
def test_it_hides_the_reverse_button_from_others(request, tenant_a, partner_a1, make_history,
                                                 django_capture_on_commit_callbacks, who):
    make_history(tenant_a, partner_a1, ["offered expired"] * 3)
    action = _evaluate(tenant_a, django_capture_on_commit_callbacks)[0]
    response = request.getfixturevalue(who).post(
        reverse("feedback:action-reverse", args=[action.pk]))
    assert response.status_code == 404
