"""Celery entry points of the feedback loop: thin, by id, idempotent."""

import logging

from celery import shared_task

from leadrouter.tenancy.scoping import all_tenants, tenant_scope
from leadrouter.tenancy.tasks_base import TenantTask

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, name="feedback.rules_evaluate")
def rules_evaluate_task(tenant_id: int, partner_ids: list[int] | None = None) -> int:
    """The threshold rules for some partners (after an event) or all of them."""
    from feedback.rules import rules_evaluate

    return len(rules_evaluate(tenant_id=tenant_id, partner_ids=partner_ids))


@shared_task(base=TenantTask, name="feedback.recompute_tenant")
def recompute_tenant_task(tenant_id: int) -> dict:
    from feedback.services import feedback_recompute

    return feedback_recompute(tenant_id=tenant_id)


@shared_task(name="feedback.nightly", acks_late=True)
def nightly_task() -> int:
    """Nightly (beat): rebuild statistics (the sliding window moves), tiers and rules of
    every tenant, each inside its own scope. Returns the number of tenants done."""
    from feedback.services import feedback_recompute

    for tenant_id in _tenant_ids():
        with tenant_scope(tenant_id):
            try:
                feedback_recompute(tenant_id=tenant_id)
            except Exception:  # one broken tenant must not stop the others
                logger.exception("feedback recompute failed for tenant %s", tenant_id)
    return len(_tenant_ids())


@shared_task(base=TenantTask, name="feedback.rollup_advance")
def rollup_advance_task(tenant_id: int) -> int:
    """Bring one tenant's dashboard rollup up to date (idempotent)."""
    from feedback.rollup import rollup_advance

    return rollup_advance(tenant_id=tenant_id)["days"]


@shared_task(name="feedback.rollup_sweep")
def rollup_sweep_task() -> int:
    """Hourly (beat): one rollup_advance task per tenant, so a slow tenant delays no other
    and a dead worker loses one tenant's run (redelivered, acks_late), not all of them."""
    tenant_ids = _tenant_ids()
    for tenant_id in tenant_ids:
        rollup_advance_task.delay(tenant_id)
    return len(tenant_ids)


def _tenant_ids() -> list[int]:
    # Cross-tenant by design: which tenants exist (Tenant itself is not tenant-owned).
    from leadrouter.tenancy.models import Tenant

    with all_tenants():
        return list(Tenant.objects.order_by("id").values_list("id", flat=True))
