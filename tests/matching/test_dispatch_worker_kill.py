"""A lead is never lost when the worker dies mid-dispatch: the broker re-delivers the
unacknowledged task (acks_late), and routing is idempotent."""

import os
import time

import pytest
from celery import Celery

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.dispatch import ROUTE_BATCH
from matching.models import Offer
from tests.celery_worker import Worker, wait_for
from tests.factories import lead_create, partner_create

pytestmark = [pytest.mark.server, pytest.mark.slow]

# Several routing batches (one task routes up to ROUTE_BATCH waiting leads in one
# transaction), so the kill lands after one batch committed and before the last.
LEADS = 3 * ROUTE_BATCH


def _statuses(tenant, lead_ids):
    with tenant_scope(tenant):
        return dict(Lead.objects.filter(pk__in=lead_ids).values_list("pk", "status"))


def test_it_routes_every_lead_although_the_worker_was_killed(transactional_db, tenant_a):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs Redis (set REDIS_URL or run Redis on 127.0.0.1:6379)")
    for i in range(3):
        partner_create(tenant_a, name=f"K{i}", capacity=100)
    lead_ids = [lead_create(tenant_a, company_name=f"Kill {i}").pk for i in range(LEADS)]
    env = {"REDIS_URL": redis_url, "BROKER_VISIBILITY_TIMEOUT": "5"}
    worker = Worker(env).start()
    sender = Celery(broker=redis_url, set_as_current=False)
    for lead_id in lead_ids:
        sender.send_task("matching.route_lead", args=[tenant_a.pk, lead_id], queue=worker.queue)
    # Kill it as soon as it has started working through the queue.
    wait_for(lambda: any(s != "new" for s in _statuses(tenant_a, lead_ids).values()),
             timeout=60, interval=0.02)
    worker.kill()
    done_before_kill = sum(s != "new" for s in _statuses(tenant_a, lead_ids).values())
    time.sleep(1)
    worker = Worker(env, queue=worker.queue).start()
    try:
        finished = wait_for(
            lambda: all(s in ("offered", "unrouted")
                        for s in _statuses(tenant_a, lead_ids).values()), timeout=240)
        assert finished, (_statuses(tenant_a, lead_ids), worker.stop())
    finally:
        worker.stop()
    assert done_before_kill < LEADS  # the kill really happened mid-way
    with tenant_scope(tenant_a):
        for lead_id in lead_ids:  # no duplicate offers from re-delivered tasks
            assert Offer.objects.filter(lead_id=lead_id).count() <= 1
