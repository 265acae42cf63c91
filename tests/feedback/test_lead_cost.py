"""What one event costs: settings read once per transaction and a changed setting seen at
once, the threshold rules stopping early when nothing can change, webhooks read once per
transaction."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from feedback.models import RuleAction, TenantFeedbackSettings
from feedback.rules import rules_evaluate
from feedback.tenant_settings import feedback_settings_get
from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Webhook
from matching.webhooks import webhook_emit


def _settings_reads(captured) -> int:
    return sum("feedback_tenantfeedbacksettings" in q["sql"] for q in captured.captured_queries)


def test_it_reads_the_settings_once_per_transaction(tenant_a):
    with tenant_scope(tenant_a), transaction.atomic():
        feedback_settings_get(tenant=tenant_a)
        with CaptureQueriesContext(connection) as captured:
            feedback_settings_get(tenant=tenant_a)
            feedback_settings_get(tenant=tenant_a.pk)
        assert _settings_reads(captured) == 0


def test_it_sees_a_saved_change_in_the_same_transaction(tenant_a):
    with tenant_scope(tenant_a), transaction.atomic():
        row = feedback_settings_get(tenant=tenant_a)
        row.window_days = 30
        row.save()
        assert feedback_settings_get(tenant=tenant_a).window_days == 30


@pytest.mark.django_db(transaction=True)  # real commits: the next transaction is a new one
def test_it_sees_a_change_made_elsewhere_in_the_next_transaction(tenant_a):
    with tenant_scope(tenant_a):
        with transaction.atomic():
            assert feedback_settings_get(tenant=tenant_a).rule_pause is True
        # Another process's change: no save() here, so nothing here is told.
        TenantFeedbackSettings.objects.filter(tenant_id=tenant_a.pk).update(rule_pause=False)
        with transaction.atomic():
            assert feedback_settings_get(tenant=tenant_a).rule_pause is False


def test_it_forgets_what_a_rolled_back_savepoint_read(tenant_a):
    with tenant_scope(tenant_a), transaction.atomic():
        TenantFeedbackSettings.objects.create(tenant=tenant_a)
        try:
            with transaction.atomic():
                feedback_settings_get(tenant=tenant_a)
                raise RuntimeError
        except RuntimeError:
            pass
        with CaptureQueriesContext(connection) as captured:
            feedback_settings_get(tenant=tenant_a)
        assert _settings_reads(captured) == 1


def test_it_hands_out_copies(tenant_a):
    with tenant_scope(tenant_a), transaction.atomic():
        feedback_settings_get(tenant=tenant_a).window_days = 1
        assert feedback_settings_get(tenant=tenant_a).window_days == 180


def test_it_stops_early_when_no_rule_can_fire(tenant_a, partner_a1, make_history,
                                              django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered accepted"])
    with tenant_scope(tenant_a):
        rules_evaluate(tenant_id=tenant_a.pk, partner_ids=[partner_a1.pk])  # tier state
        with CaptureQueriesContext(connection) as captured:
            assert rules_evaluate(tenant_id=tenant_a.pk, partner_ids=[partner_a1.pk]) == []
    sqls = [q["sql"] for q in captured.captured_queries]
    assert not any("FOR UPDATE" in sql for sql in sqls)
    # One statement reads tier states, partners, statistics and settings (set_config:
    # PostgreSQL's tenant scope). No action is open: those are not read.
    assert len([s for s in sqls if "set_config" not in s]) == 1


def test_it_stops_early_for_a_rule_switched_off(tenant_a, partner_a1, make_history,
                                                django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered accepted"])
    with tenant_scope(tenant_a):
        rules_evaluate(tenant_id=tenant_a.pk, partner_ids=[partner_a1.pk])
        TenantFeedbackSettings.objects.filter(tenant_id=tenant_a.pk).update(rule_pause=False)
    make_history(tenant_a, partner_a1, ["offered expired"] * 3)
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        assert rules_evaluate(tenant_id=tenant_a.pk, partner_ids=[partner_a1.pk]) == []


def test_it_ends_an_open_action_after_the_early_check(tenant_a, partner_a1, make_history,
                                                      django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered expired"] * 3)
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        assert [a.action for a in rules_evaluate(
            tenant_id=tenant_a.pk, partner_ids=[partner_a1.pk])] == ["pause"]
    make_history(tenant_a, partner_a1, ["offered accepted"])  # the run of expiries ends
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        rules_evaluate(tenant_id=tenant_a.pk, partner_ids=[partner_a1.pk])
        assert RuleAction.objects.get().ended_at is not None


def test_it_still_fires_after_the_early_check(tenant_a, partner_a1, make_history,
                                              django_capture_on_commit_callbacks):
    make_history(tenant_a, partner_a1, ["offered accepted"])
    with tenant_scope(tenant_a):
        rules_evaluate(tenant_id=tenant_a.pk, partner_ids=[partner_a1.pk])
    make_history(tenant_a, partner_a1, ["offered expired"] * 3)
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        actions = rules_evaluate(tenant_id=tenant_a.pk, partner_ids=[partner_a1.pk])
    assert [a.action for a in actions] == ["pause"]
    with tenant_scope(tenant_a):
        assert RuleAction.objects.filter(ended_at__isnull=True).count() == 1


def test_it_reads_the_webhooks_once_per_transaction(tenant_a):
    with tenant_scope(tenant_a), transaction.atomic():
        Webhook.objects.create(tenant=tenant_a, url="https://hooks.example/in", secret="s",
                               events=["lead.routed"])
        with CaptureQueriesContext(connection) as captured:
            webhook_emit(tenant_id=tenant_a.pk, event="lead.routed", data={"lead": 1})
            webhook_emit(tenant_id=tenant_a.pk, event="offer.created", data={"offer": 1})
        assert sum('"matching_webhook"' in q["sql"] and q["sql"].startswith("SELECT")
                   for q in captured.captured_queries) == 1
        Webhook.objects.create(tenant=tenant_a, url="https://hooks.example/two", secret="s",
                               events=["offer.created"])
        assert len(webhook_emit(tenant_id=tenant_a.pk, event="offer.created",
                                data={"offer": 2})) == 1
