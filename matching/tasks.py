"""Celery entry points of routing and dispatch: thin, by id, idempotent."""

from celery import shared_task

from leadrouter.tenancy.tasks_base import TenantTask


@shared_task(base=TenantTask, name="matching.route_lead")
def route_lead_task(tenant_id: int, lead_id: int) -> None:
    """Route one lead: run the engine, record the decision, make the offers.

    Enqueued with `delay_on_commit` by ingestion. Running it twice changes nothing: a lead
    that is no longer `new` is left alone.
    """
    from matching.routing import lead_route_and_dispatch

    lead_route_and_dispatch(lead_id=lead_id)
