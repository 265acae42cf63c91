"""Celery entry points of the leads app: thin, by id, idempotent."""

from celery import shared_task

from leadrouter.tenancy.tasks_base import TenantTask


@shared_task(base=TenantTask, name="leads.import_job_run")
def import_job_run_task(tenant_id: int, job_id: int) -> None:
    """Run a confirmed CSV import (see leads.csv_import for why it is all-or-nothing)."""
    from leads.csv_import import import_job_run

    import_job_run(job_id=job_id)

# Tasks defined next to their services; imported here so the worker registers them.
from leads.privacy_tasks import anonymise_expired  # noqa: E402, F401
