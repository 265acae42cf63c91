"""Celery entry points of routing and dispatch: thin, by id, idempotent, acks_late."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from leadrouter.tenancy.scoping import all_tenants, tenant_scope
from leadrouter.tenancy.tasks_base import TenantTask

logger = logging.getLogger(__name__)



def stuck_lead_seconds() -> int:
    """Leads still `new` this long after they arrived lost their routing task (broker
    restart, worker killed before acking): the sweep routes them again. Routing is
    idempotent, so a lead that was merely waiting in a backlog is routed once either way."""
    return settings.ROUTING_STUCK_SECONDS


@shared_task(base=TenantTask, name="matching.route_lead", autoretry_for=(OperationalError,),
             retry_backoff=2, retry_backoff_max=60, max_retries=5)
def route_lead_task(tenant_id: int, lead_id: int) -> None:
    """Route one lead and make its offers, together with other new leads of the tenant
    waiting behind it (a burst is routed in batches; their own tasks then find nothing to
    do). Enqueued on commit by ingestion; running it twice changes nothing (a lead that is
    no longer `new` is left alone)."""
    from matching.dispatch import ROUTE_BATCH, leads_route_and_dispatch

    try:
        leads_route_and_dispatch(lead_ids=[lead_id], fill_up_to=ROUTE_BATCH)
    except OperationalError:
        raise  # the database or a lock: retried with backoff
    except Exception:
        # One lead the engine cannot route must not hold up the burst it arrived with:
        # route this one alone (the others have their own tasks).
        logger.exception("routing a batch with lead %s failed; routing it alone", lead_id)
        leads_route_and_dispatch(lead_ids=[lead_id])


@shared_task(base=TenantTask, name="matching.expire_offers")
def expire_offers_task(tenant_id: int) -> int:
    """Fast path for short SLAs; the sweep does the same every minute."""
    from matching.offers import offers_expire_due

    return offers_expire_due()


@shared_task(base=TenantTask, name="matching.deliver_webhook")
def deliver_webhook_task(tenant_id: int, delivery_id: int) -> None:
    from matching.webhooks import delivery_attempt

    delivery_attempt(delivery_id=delivery_id)


@shared_task(base=TenantTask, name="matching.deliver_webhooks")
def deliver_webhooks_task(tenant_id: int, delivery_ids: list[int]) -> None:
    from matching.webhooks import delivery_attempt

    for delivery_id in delivery_ids:
        delivery_attempt(delivery_id=delivery_id)


@shared_task(base=TenantTask, name="matching.notify")
def notify_task(tenant_id: int, kind: str, object_id: int) -> None:
    from matching.notifications import notify

    notify(kind=kind, object_id=object_id)


@shared_task(base=TenantTask, name="matching.notify_many")
def notify_many_task(tenant_id: int, kind: str, object_ids: list[int]) -> None:
    from matching.notifications import notify

    for object_id in object_ids:
        notify(kind=kind, object_id=object_id)


@shared_task(name="matching.sweep", acks_late=True)
def sweep_task() -> dict:
    """Every minute (beat): expire due offers, send reminders, retry webhooks, re-route
    leads whose routing task was lost. Finds the tenants with due work across tenants,
    then does each tenant's work inside its own scope."""
    totals = {"expired": 0, "reminded": 0, "webhooks": 0, "rerouted": 0, "resumed": 0}
    for tenant_id in _tenants_with_due_work():
        with tenant_scope(tenant_id):
            for key, count in sweep_tenant(tenant_id=tenant_id).items():
                totals[key] += count
    return totals


def sweep_tenant(*, tenant_id: int) -> dict:
    from leads.models import Lead, LeadStatus
    from matching.dispatch import ROUTE_BATCH, leads_route_and_dispatch
    from matching.offers import offers_expire_due, offers_remind_due
    from matching.webhooks import deliveries_due, delivery_attempt

    counts = {"expired": offers_expire_due(), "reminded": offers_remind_due(), "webhooks": 0,
              "rerouted": 0, "resumed": partners_resume_due()}
    for delivery_id in deliveries_due():
        delivery_attempt(delivery_id=delivery_id)
        counts["webhooks"] += 1
    cutoff = timezone.now() - timezone.timedelta(seconds=stuck_lead_seconds())
    stuck = list(Lead.objects.filter(status=LeadStatus.NEW, received_at__lte=cutoff,
                                     updated_at__lte=cutoff)
                 .order_by("received_at").values_list("pk", flat=True)[:500])
    for i in range(0, len(stuck), ROUTE_BATCH):
        batch = stuck[i:i + ROUTE_BATCH]
        try:
            counts["rerouted"] += leads_route_and_dispatch(lead_ids=batch)
        except Exception:
            logger.exception("re-routing leads %s failed; routing them one by one", batch)
            for lead_id in batch:
                try:
                    counts["rerouted"] += leads_route_and_dispatch(lead_ids=[lead_id])
                except Exception:  # one broken lead must not stop the sweep for the others
                    logger.exception("re-routing lead %s failed", lead_id)
    return counts


def partners_resume_due() -> int:
    """Partners whose pause (vacation) ended yesterday or earlier get offers again."""
    from partners.models import Partner, PartnerStatus
    from partners.services import partner_resume

    today = timezone.localdate()
    due = list(Partner.objects.filter(status=PartnerStatus.PAUSED, paused_until__lt=today))
    for partner in due:
        partner_resume(partner=partner, actor="system")
    return len(due)


def _tenants_with_due_work() -> list[int]:
    """Cross-tenant on purpose: which tenants have anything due right now."""
    from leads.models import Lead, LeadStatus
    from matching.models import DeliveryStatus, Offer, OfferStatus, WebhookDelivery
    from partners.models import Partner, PartnerStatus

    now = timezone.now()
    cutoff = now - timezone.timedelta(seconds=stuck_lead_seconds())
    with all_tenants():
        tenant_ids = set(Offer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=now)
                         .values_list("tenant_id", flat=True).distinct())
        tenant_ids |= set(Offer.objects.filter(status=OfferStatus.PENDING, remind_at__lte=now,
                                               reminded_at__isnull=True)
                          .values_list("tenant_id", flat=True).distinct())
        tenant_ids |= set(WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .values_list("tenant_id", flat=True).distinct())
        tenant_ids |= set(Lead.objects.filter(status=LeadStatus.NEW, received_at__lte=cutoff)
                          .values_list("tenant_id", flat=True).distinct())
        tenant_ids |= set(Partner.objects.filter(status=PartnerStatus.PAUSED,
                                                 paused_until__lt=timezone.localdate())
                          .values_list("tenant_id", flat=True).distinct())
    return sorted(tenant_ids)


# Tasks defined next to their services; imported here so the worker registers them.
from matching.whatif import whatif_run_task  # noqa: E402, F401
