"""The beat's sweep shares a large backlog of due offers out over the worker's processes:
helper tasks (`matching.sweep_expire`) take batches beside it with SKIP LOCKED. Side by side
they leave exactly what one sweep alone leaves: each offer expired once, one next offer per
cascade, events, counters and webhooks exact; a helper that dies mid-batch leaves its
offers to the next sweep."""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from feedback.models import OutcomeEvent, PartnerStats, TenantFeedbackSettings
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching import dispatch, offers, tasks
from matching.models import Offer, Webhook, WebhookDelivery
from partners.models import Partner
from tests.factories import lead_create, partner_create
from tests.offer_helpers import dispatch_to

LEADS = 24


def _world(tenant, leads: int = LEADS) -> None:
    """`leads` cascade leads over three of six partners each, every offer due in an hour;
    a webhook for expiries and new offers. Partners are not paused after a few expiries
    (the rule runs after each batch's commit, so when it pauses them would depend on how the
    batches interleave)."""
    with tenant_scope(tenant):
        TenantFeedbackSettings.objects.create(tenant=tenant, pause_after_expiries=1000)
        Webhook.objects.create(tenant=tenant, url="https://hooks.example/in", secret="s",
                               events=["offer.expired", "offer.created"])
    partners = [partner_create(tenant, name=f"P{i}", capacity=1000) for i in range(6)]
    for i in range(leads):
        chosen = [partners[(i + k) % 6] for k in range(3)]
        dispatch_to(tenant, lead_create(tenant, company_name=f"L{i:02}"), chosen,
                    max_attempts=3, accept_sla_hours=1, exploration_rate=0.0)


def _canon(tenant) -> dict:
    """What the sweep writes, by names (ids and insertion order differ between runs)."""
    with tenant_scope(tenant):
        lead = dict(Lead.objects.values_list("pk", "company_name"))
        partner = dict(Partner.objects.values_list("pk", "name"))
        offer = {o.pk: (lead[o.lead_id], partner[o.partner_id]) for o in Offer.objects.all()}
        events = list(OutcomeEvent.objects.all())
        event = {e.pk: (offer.get(e.offer_id), e.kind) for e in events}
        stats = list(PartnerStats.objects.all())
        for s in stats:  # the last expiry a partner had: one of its own expired events
            if s.expiries:
                (_l, name), kind = event[s.last_expired_event]
                assert (name, kind) == (partner[s.partner_id], "expired")
        return {
            "leads": sorted(Lead.objects.values_list("company_name", "status",
                                                     "status_reason")),
            "offers": sorted((lead[o.lead_id], partner[o.partner_id], o.rank, o.status,
                              o.offered_at, o.expires_at, o.responded_at)
                             for o in Offer.objects.all()),
            "events": sorted((lead[e.lead_id], partner.get(e.partner_id),
                              offer.get(e.offer_id), e.kind, e.occurred_at, e.actor)
                             for e in events),
            "stats": sorted((partner[s.partner_id], s.segment, s.period, s.offers,
                             s.expiries, s.expiry_streak) for s in stats),
            "webhooks": sorted((d.event, lead[d.payload["data"]["lead"]],
                                partner[d.payload["data"]["partner"]])
                               for d in WebhookDelivery.objects.all()),
        }


def _dangling_event_references() -> list:
    """Events whose tenant or offer is missing: the database does not check those two
    references (see OutcomeEvent), so the application must never write one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id, e.tenant_id, e.offer_id FROM feedback_outcomeevent e "
            "LEFT JOIN tenancy_tenant t ON t.id = e.tenant_id "
            "LEFT JOIN matching_offer o ON o.id = e.offer_id "
            "WHERE t.id IS NULL OR (e.offer_id IS NOT NULL AND o.id IS NULL) "
            "OR (e.offer_id IS NOT NULL AND (o.tenant_id <> e.tenant_id "
            "OR o.lead_id <> e.lead_id))")
        return cursor.fetchall()


def _due_offers(tenant) -> int:
    with tenant_scope(tenant):
        return Offer.objects.filter(status="pending", expires_at__lte=timezone.now()).count()


def test_it_sends_helpers_only_for_a_backlog_larger_than_one_batch(tenant_a, settings,
                                                                     monkeypatch):
    _world(tenant_a, leads=5)
    monkeypatch.setattr(offers, "SWEEP_BATCH", 2)
    sent = []
    monkeypatch.setattr(tasks.sweep_expire_task, "delay", lambda tenant_id: sent.append(
        tenant_id))
    later = timezone.now() + timedelta(hours=2)
    cases = [(1, 5, 0),  # one process: nobody to share with
             (3, 5, 2),  # five due offers are three batches: two helpers
             (8, 5, 2),  # never more helpers than batches beside the sweep's own
             (3, 2, 0)]  # one batch: the sweep alone
    for parallelism, due, helpers in cases:
        settings.SWEEP_PARALLELISM = parallelism
        sent.clear()
        with tenant_scope(tenant_a), time_machine.travel(later, tick=False):
            Offer.objects.filter(status="pending").update(expires_at=later)
            extra = Offer.objects.filter(status="pending").order_by("pk")[due:]
            Offer.objects.filter(pk__in=[o.pk for o in extra]).update(
                expires_at=later + timedelta(hours=1))
            with mock.patch.object(offers, "offers_expire_due", return_value=0):
                tasks.offers_expire_fanned_out(tenant_id=tenant_a.pk)
        assert sent == [tenant_a.pk] * helpers, (parallelism, due)


def test_a_broker_that_refuses_a_helper_leaves_the_backlog_to_the_sweep(tenant_a, settings,
                                                                        monkeypatch):
    _world(tenant_a, leads=5)
    monkeypatch.setattr(offers, "SWEEP_BATCH", 2)
    settings.SWEEP_PARALLELISM = 2

    def refuse(tenant_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.sweep_expire_task, "delay", refuse)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        with tenant_scope(tenant_a):
            assert tasks.offers_expire_fanned_out(tenant_id=tenant_a.pk) == 5
        assert _due_offers(tenant_a) == 0


def _sweep_side_by_side(tenant, sweepers: int) -> list:
    """`sweepers` helper tasks and the beat's sweep at once, each on its own connection."""
    barrier = threading.Barrier(sweepers + 1)
    outcome = []

    def run(body):
        try:
            barrier.wait(10)
            outcome.append(body())
        except Exception as exc:  # reported to the test, not lost in the thread
            outcome.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(lambda: tasks.sweep_expire_task(tenant.pk),))
               for _ in range(sweepers)]
    threads.append(threading.Thread(target=run, args=(tasks.sweep_task,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcome


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SKIP LOCKED and concurrent connections: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_sweeps_side_by_side_leave_what_one_sweep_leaves(tenant_a, tenant_b, settings,
                                                        monkeypatch):
    monkeypatch.setattr(offers, "SWEEP_BATCH", 3)  # many small batches, interleaved
    settings.SWEEP_PARALLELISM = 1  # the helpers are the threads here
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _world(tenant_a)
        _world(tenant_b)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        with tenant_scope(tenant_b):
            alone = offers.offers_expire_due()
        cascade = dispatch.leads_continue

        def slow_cascade(*args, **kwargs):  # each batch holds its locks a while
            time.sleep(0.1)
            return cascade(*args, **kwargs)

        monkeypatch.setattr(dispatch, "leads_continue", slow_cascade)
        outcome = _sweep_side_by_side(tenant_a, sweepers=3)
        errors = [o for o in outcome if isinstance(o, Exception)]
        assert not errors, errors
        helpers = [o for o in outcome if isinstance(o, int)]
        sweep = next(o for o in outcome if isinstance(o, dict))
        counts = [*helpers, sweep["expired"]]
        assert sum(1 for n in counts if n) >= 2, counts  # the batches were shared out
        helpers = sum(helpers)
        assert helpers + sweep["expired"] == alone == LEADS  # each offer expired once
        parallel, sequential = _canon(tenant_a), _canon(tenant_b)
        assert parallel == sequential
        # Running it all again changes nothing.
        again = _sweep_side_by_side(tenant_a, sweepers=2)
        assert sorted(o["expired"] if isinstance(o, dict) else o for o in again) == [0, 0, 0]
        assert _canon(tenant_a) == parallel
    assert not _dangling_event_references()
    # Every lead moved one step: its first offer expired, the next candidate has one.
    assert {status for _l, status, _r in parallel["leads"]} == {"offered"}
    assert sum(1 for o in parallel["offers"] if o[3] == "pending") == LEADS
    assert sum(1 for o in parallel["offers"] if o[3] == "expired") == LEADS
    kinds = [e[3] for e in parallel["events"]]
    assert (kinds.count("offered"), kinds.count("expired")) == (2 * LEADS, LEADS)
    assert sum(s[4] for s in parallel["stats"] if s[1:3] == ("", "all")) == LEADS
    assert len(parallel["webhooks"]) == 3 * LEADS


def test_a_helper_that_dies_mid_batch_leaves_its_offers_to_the_next_sweep(tenant_a,
                                                                          monkeypatch):
    assert tasks.sweep_expire_task.acks_late and tasks.sweep_expire_task.reject_on_worker_lost
    _world(tenant_a, leads=6)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        before = _canon(tenant_a)
        # Dies after the expiry's UPDATE and events, before the cascade's next offers.
        with mock.patch.object(dispatch, "leads_continue", side_effect=SystemExit("killed")), \
                pytest.raises(SystemExit):
            tasks.sweep_expire_task(tenant_a.pk)
        assert _canon(tenant_a) == before  # rolled back: nothing half-written
        assert _due_offers(tenant_a) == 6
        assert tasks.sweep_task()["expired"] == 6
        after = _canon(tenant_a)
        assert tasks.sweep_expire_task(tenant_a.pk) == 0  # the re-delivered helper
        assert _canon(tenant_a) == after
    assert [e[3] for e in after["events"]].count("expired") == 6
    assert not _dangling_event_references()


def test_events_never_point_at_a_missing_tenant_or_offer(tenant_a, tenant_b, partner_a1,
                                                         partner_user_a1):
    """Every way an event about an offer is written (offered in a burst and singly, accepted,
    rejected, expired by the sweep, on this database's path) leaves references that exist
    and agree with the offer."""
    from matching.offers import offer_accept, offer_reject

    _world(tenant_a, leads=4)
    _world(tenant_b, leads=2)
    with tenant_scope(tenant_a):
        first, second = Offer.objects.filter(status="pending").order_by("pk")[:2]
        offer_accept(offer_id=first.pk, partner_id=first.partner_id, actor=partner_user_a1)
        offer_reject(offer_id=second.pk, partner_id=second.partner_id, actor=partner_user_a1,
                     reason="no_capacity")
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        tasks.sweep_task()
    with tenant_scope(tenant_a):
        kinds = set(OutcomeEvent.objects.values_list("kind", flat=True))
    assert {"offered", "accepted", "rejected", "expired"} <= kinds
    assert not _dangling_event_references()
