"""A task leaves this process through a real broker, a real worker runs it, a row appears."""

import os

import pytest
from celery import Celery

from leadrouter.tenancy.models import AuditEvent
from leadrouter.tenancy.scoping import tenant_scope
from tests.celery_worker import Worker, wait_for

pytestmark = [pytest.mark.server, pytest.mark.slow]


def _audit_rows(tenant, action):
    with tenant_scope(tenant):
        return AuditEvent.objects.filter(action=action).count()


def test_it_runs_a_task_through_redis(transactional_db, tenant_a):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs Redis (set REDIS_URL or run Redis on 127.0.0.1:6379)")
    worker = Worker({"REDIS_URL": redis_url}).start()
    try:
        sender = Celery(broker=redis_url, set_as_current=False)
        sender.send_task("tenancy.audit_record", args=[tenant_a.pk, "system", "probe.redis"],
                         queue=worker.queue)
        assert wait_for(lambda: _audit_rows(tenant_a, "probe.redis") == 1), worker.stop()
    finally:
        worker.stop()


def test_it_runs_a_task_through_the_embedded_broker(transactional_db, tenant_a, tmp_path):
    folder = tmp_path / "broker"
    (folder / "queue").mkdir(parents=True)
    (folder / "processed").mkdir()
    (folder / "control").mkdir()
    # The worker computes the same folders from VAR_DIR (see settings: embedded transport).
    worker = Worker({"REDIS_URL": "", "VAR_DIR": str(tmp_path)}).start()
    try:
        sender = Celery(broker="filesystem://", set_as_current=False, broker_transport_options={
            "data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control")})
        sender.send_task("tenancy.audit_record", args=[tenant_a.pk, "system", "probe.file"],
                         queue=worker.queue)
        assert wait_for(lambda: _audit_rows(tenant_a, "probe.file") == 1), worker.stop()
    finally:
        worker.stop()
