"""Bursts: one routing task routes the new leads waiting behind its own, the expiry sweep
moves many leads at once, and both end exactly where one-at-a-time processing would."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import OutcomeEvent, PartnerStats
from feedback.stats import stats_recompute
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching import routing
from matching.dispatch import ROUTE_BATCH, leads_route_and_dispatch
from matching.models import Offer, RoutingDecision
from matching.offers import offers_expire_due
from matching.tasks import route_lead_task
from tests.factories import lead_create, partner_create


def _stats(tenant):
    with tenant_scope(tenant):
        return sorted(PartnerStats.objects.values_list(
            "partner_id", "segment", "period", "offers", "expiries", "expiry_streak",
            "last_expired_event"))


def _engine_fails_for(broken, monkeypatch) -> None:
    """The engine raises for this one lead (a bug or bad data), and works for the others."""
    decide = routing.lead_decide

    def lead_decide(*, lead, **kwargs):
        if lead.pk == broken.pk:
            raise ValueError("engine cannot route this lead")
        return decide(lead=lead, **kwargs)

    monkeypatch.setattr(routing, "lead_decide", lead_decide)


def test_one_task_routes_the_whole_burst_and_the_others_find_nothing_to_do(
        tenant_a):
    partners = [partner_create(tenant_a, name=f"P{i}", capacity=50) for i in range(3)]
    leads = [lead_create(tenant_a, company_name=f"Kunde {i}") for i in range(12)]

    route_lead_task.delay(tenant_a.pk, leads[0].pk)

    with tenant_scope(tenant_a):
        assert set(Lead.objects.values_list("status", flat=True)) == {"offered"}
        assert Offer.objects.count() == 12
        assert RoutingDecision.objects.count() == 12
        assert {o.partner_id for o in Offer.objects.all()} <= {p.pk for p in partners}
    with CaptureQueriesContext(connection) as queries:
        for lead in leads[1:]:
            route_lead_task.delay(tenant_a.pk, lead.pk)
    # Each lead's own task finds it routed: the scope's set/reset and one read, no writes.
    assert len(queries) <= 3 * 11
    assert not [q for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    with tenant_scope(tenant_a):
        assert Offer.objects.count() == 12
        assert OutcomeEvent.objects.filter(kind="offered").count() == 12


def test_a_burst_respects_capacity_as_its_offers_are_made(tenant_a):
    small = partner_create(tenant_a, name="Small", capacity=2, employees=50)
    large = partner_create(tenant_a, name="Large", capacity=100, employees=50)
    leads = [lead_create(tenant_a, company_name=f"Kunde {i}") for i in range(6)]

    with tenant_scope(tenant_a):
        routed = leads_route_and_dispatch(lead_ids=[leads[0].pk], fill_up_to=ROUTE_BATCH)
        per_partner = {p.pk: Offer.objects.filter(partner=p).count() for p in (small, large)}

    assert routed == 6
    assert per_partner[small.pk] <= 2
    assert per_partner[small.pk] + per_partner[large.pk] == 6


def test_a_burst_routes_oldest_first_and_at_most_a_batch(tenant_a):
    partner_create(tenant_a, capacity=500)
    now = timezone.now()
    leads = [lead_create(tenant_a, company_name=f"Kunde {i}",
                         received_at=now - timedelta(seconds=ROUTE_BATCH + 10 - i))
             for i in range(ROUTE_BATCH + 10)]
    newest = leads[-1]

    with tenant_scope(tenant_a):
        routed = leads_route_and_dispatch(lead_ids=[newest.pk], fill_up_to=ROUTE_BATCH)
        waiting = list(Lead.objects.filter(status="new").order_by("received_at")
                       .values_list("pk", flat=True))

    assert routed == ROUTE_BATCH
    # The named lead and the oldest ones went first; the newest of the rest still wait.
    assert newest.pk not in waiting
    assert waiting == [lead.pk for lead in leads[ROUTE_BATCH - 1:-1]]


def test_a_lead_the_engine_cannot_route_does_not_hold_up_its_burst(tenant_a, monkeypatch):
    partner_create(tenant_a, capacity=50)
    broken, fine = lead_create(tenant_a, company_name="Broken"), lead_create(tenant_a)
    _engine_fails_for(broken, monkeypatch)
    with pytest.raises(ValueError):
        route_lead_task.delay(tenant_a.pk, broken.pk)  # the batch failed, then alone: fails
    route_lead_task.delay(tenant_a.pk, fine.pk)

    with tenant_scope(tenant_a):
        assert Lead.objects.get(pk=fine.pk).status == "offered"
        assert Lead.objects.get(pk=broken.pk).status == "new"  # the sweep tries again later


def test_the_sweep_expires_a_batch_and_cascades_each_lead_to_its_next_partner(tenant_a):
    partners = [partner_create(tenant_a, name=f"P{i}", capacity=50) for i in range(3)]
    leads = [lead_create(tenant_a, company_name=f"Kunde {i}") for i in range(8)]
    with tenant_scope(tenant_a):
        leads_route_and_dispatch(lead_ids=[lead.pk for lead in leads])
        first = dict(Offer.objects.values_list("lead_id", "partner_id"))
        Offer.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

        assert offers_expire_due() == 8

        assert Offer.objects.filter(status="expired").count() == 8
        pending = dict(Offer.objects.filter(status="pending").values_list("lead_id",
                                                                          "partner_id"))
        assert set(pending) == {lead.pk for lead in leads}
        assert all(pending[lead_id] != first[lead_id] for lead_id in pending)
        assert {p for p in pending.values()} <= {p.pk for p in partners}
        assert OutcomeEvent.objects.filter(kind="expired").count() == 8
        assert OutcomeEvent.objects.filter(kind="offered").count() == 16


def test_counted_in_bursts_the_statistics_equal_a_full_recompute(tenant_a):
    for i in range(3):
        partner_create(tenant_a, name=f"P{i}", capacity=50)
    leads = [lead_create(tenant_a, company_name=f"Kunde {i}", industry=["C28", "G46", ""][i % 3],
                         employees=[5, 60, 900][i % 3]) for i in range(9)]
    with tenant_scope(tenant_a):
        leads_route_and_dispatch(lead_ids=[lead.pk for lead in leads])
        Offer.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
        offers_expire_due()
    incremental = _stats(tenant_a)

    with tenant_scope(tenant_a):
        stats_recompute(tenant_id=tenant_a.pk)

    assert incremental == _stats(tenant_a)
    assert sum(row[3] for row in incremental if row[1] == "" and row[2] == "all") == 18


def test_the_sweep_routes_leads_whose_routing_task_was_lost(tenant_a, settings):
    from matching.tasks import sweep_task

    settings.ROUTING_STUCK_SECONDS = 60
    partner_create(tenant_a, capacity=50)
    lost = [lead_create(tenant_a, company_name=f"Verloren {i}") for i in range(3)]
    fresh = lead_create(tenant_a, company_name="Gerade eben")
    with tenant_scope(tenant_a):
        long_ago = timezone.now() - timedelta(seconds=61)
        Lead.objects.filter(pk__in=[lead.pk for lead in lost]).update(
            received_at=long_ago, updated_at=long_ago)

    totals = sweep_task()

    assert totals["rerouted"] == 3
    with tenant_scope(tenant_a):
        assert set(Lead.objects.filter(pk__in=[lead.pk for lead in lost])
                   .values_list("status", flat=True)) == {"offered"}
        # Its own task may still be on the way: the sweep leaves a recent lead to it.
        assert Lead.objects.get(pk=fresh.pk).status == "new"


def test_a_burst_of_ingested_leads_sends_one_wake_up_and_one_task_routes_them_all(
        tenant_a, monkeypatch, django_capture_on_commit_callbacks, request):
    from django.core.cache import cache

    from leads.services import lead_ingest
    from matching import tasks

    partner_create(tenant_a, capacity=50)
    sent = []
    monkeypatch.setattr(tasks.route_new_leads_task, "delay", lambda *args: sent.append(args))
    cache.delete(tasks._wake_key(tenant_a.pk))
    # No task runs here to clear the flag: clear it after the test, or a later test that
    # reuses this tenant id (SQLite reuses ids) would wait for a wake-up that never comes.
    request.addfinalizer(lambda: cache.delete(tasks._wake_key(tenant_a.pk)))
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            lead_ingest(tenant=tenant_a, actor="crm", channel="api",
                        data={"company_name": f"Anfrage {i}", "country": "DE",
                              "postal_code": "80331", "employees": 20})
    assert sent == [(tenant_a.pk,)]  # the task has not started: no second message

    assert tasks.route_new_leads_task(tenant_a.pk) == 5  # what the worker runs

    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        assert set(Lead.objects.values_list("status", flat=True)) == {"offered"}
        lead_ingest(tenant=tenant_a, actor="crm", channel="api",
                    data={"company_name": "Danach", "country": "DE", "postal_code": "80331"})
    assert sent == [(tenant_a.pk,), (tenant_a.pk,)]  # it started: a new lead wakes it again


def test_the_routing_task_leaves_a_lead_it_cannot_route_and_routes_the_rest(
        tenant_a, monkeypatch):
    from matching import tasks

    partner_create(tenant_a, capacity=50)
    leads = [lead_create(tenant_a, company_name=f"Kunde {i}") for i in range(4)]
    broken = leads[1]
    _engine_fails_for(broken, monkeypatch)

    assert tasks.route_new_leads_task(tenant_a.pk) == 3

    with tenant_scope(tenant_a):
        statuses = dict(Lead.objects.values_list("pk", "status"))
    assert statuses.pop(broken.pk) == "new"  # left to the sweep, which tries again
    assert set(statuses.values()) == {"offered"}


def test_a_lead_still_wakes_routing_when_the_cache_is_down(
        tenant_a, monkeypatch, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from leads.services import lead_ingest

    partner_create(tenant_a, capacity=50)

    def cache_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(cache, "add", cache_down)
    monkeypatch.setattr(cache, "delete", cache_down)
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        lead, _ = lead_ingest(tenant=tenant_a, actor="crm", channel="api",
                              data={"company_name": "Ohne Cache", "country": "DE",
                                    "postal_code": "80331"})
    with tenant_scope(tenant_a):
        assert Lead.objects.get(pk=lead.pk).status == "offered"  # woken without its flag


def test_a_wake_up_the_broker_refused_does_not_hold_back_the_next_lead(
        tenant_a, monkeypatch, django_capture_on_commit_callbacks, request):
    from django.core.cache import cache
    from kombu.exceptions import OperationalError as BrokerError

    from leads.services import lead_ingest
    from matching import tasks

    sent = []

    def broker_down(*args):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    cache.delete(tasks._wake_key(tenant_a.pk))
    request.addfinalizer(lambda: cache.delete(tasks._wake_key(tenant_a.pk)))
    monkeypatch.setattr(tasks.route_new_leads_task, "delay", broker_down)
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        lead_ingest(tenant=tenant_a, actor="crm", channel="api",
                    data={"company_name": "Während des Ausfalls", "country": "DE"})

    monkeypatch.setattr(tasks.route_new_leads_task, "delay", lambda *args: sent.append(args))
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        lead_ingest(tenant=tenant_a, actor="crm", channel="api",
                    data={"company_name": "Danach", "country": "DE"})
    assert sent == [(tenant_a.pk,)]  # the broker is back: this lead wakes routing at once
