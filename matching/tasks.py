"""Celery entry points of routing and dispatch: thin, by id, idempotent, acks_late."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, transaction
from django.utils import timezone

from leadrouter.tenancy.scoping import all_tenants, tenant_scope
from leadrouter.tenancy.tasks_base import TenantTask

logger = logging.getLogger(__name__)



def stuck_lead_seconds() -> int:
    """Leads still `new` this long after they arrived lost their routing task (broker
    restart, worker killed before acking): the sweep routes them again. Routing is
    idempotent, so a lead that was merely waiting in a backlog is routed once either way."""
    return settings.ROUTING_STUCK_SECONDS


# A wake-up flag older than this is presumed lost with its task: ingestion sends another.
WAKE_SECONDS = 30
# One task run routes at most this many leads, then hands over to a fresh task (so a run
# never outlives the broker's visibility timeout however long a flood of leads lasts).
ROUTE_RUN_LEADS = 5000


def _wake_key(tenant_id: int) -> str:
    return f"matching:routing-wake:{tenant_id}"  # the cache adds the database's name


def routing_wake(tenant_id: int) -> None:
    """After commit, make sure a task that routes the tenant's new leads is on its way.

    One queued `route_new_leads` task routes every lead that is new when it runs, so while
    one is queued and not yet started, no other is sent: a burst of a thousand leads costs
    one broker message, not a thousand. The flag lives in the shared cache (set here,
    cleared by the task as it starts); if the broker is down, the flag is dropped again (the
    next lead tries anew) and this lead waits for the sweep's rule for lost tasks
    (ROUTING_STUCK_SECONDS) — it is committed either way."""
    def send() -> None:
        try:
            first = cache.add(_wake_key(tenant_id), 1, timeout=WAKE_SECONDS)
        except Exception:  # the cache is down: send anyway, one task too many is harmless
            logger.warning("routing wake-up flag unavailable for tenant %s", tenant_id)
            first = True
        if not first:
            return
        try:
            route_new_leads_task.delay(tenant_id)
        except Exception:
            # No task is on its way: a flag left set would keep the next leads from
            # sending one. Raised on: the after-commit hook logs it.
            try:
                cache.delete(_wake_key(tenant_id))
            except Exception:
                logger.warning("routing wake-up flag unavailable for tenant %s", tenant_id)
            raise

    transaction.on_commit(send, robust=True)


@shared_task(base=TenantTask, name="matching.route_new_leads",
             autoretry_for=(OperationalError,), retry_backoff=2, retry_backoff_max=60,
             max_retries=5)
def route_new_leads_task(tenant_id: int) -> int:
    """Route the tenant's new leads, oldest first, a batch per transaction, until none is
    left; returns how many were routed. A lead the engine cannot route is logged and left
    to the sweep, so it never holds up the others."""
    from matching.dispatch import ROUTE_BATCH, leads_route_and_dispatch

    try:
        cache.delete(_wake_key(tenant_id))  # from now on a new lead sends a new wake-up
    except Exception:
        logger.warning("routing wake-up flag unavailable for tenant %s", tenant_id)
    routed, broken = 0, set()
    while routed < ROUTE_RUN_LEADS:
        try:
            count = leads_route_and_dispatch(lead_ids=[], fill_up_to=ROUTE_BATCH,
                                             skip=frozenset(broken))
        except OperationalError:
            raise  # the database or a lock: retried with backoff
        except Exception:
            logger.exception("routing a batch failed; routing its leads one by one")
            count, failed = _route_one_by_one(skip=broken, limit=ROUTE_BATCH)
            routed, broken = routed + count, broken | failed
            continue
        if not count:
            return routed
        routed += count
    routing_wake(tenant_id)  # more keep coming: a fresh task carries on
    return routed


def _route_one_by_one(*, skip: set[int], limit: int) -> tuple[int, set[int]]:
    """Route the oldest new leads singly; returns how many were routed and the ids the
    engine could not route."""
    from leads.models import Lead, LeadStatus
    from matching.dispatch import leads_route_and_dispatch

    routed, broken = 0, set()
    waiting = (Lead.objects.filter(status=LeadStatus.NEW).exclude(pk__in=sorted(skip))
               .order_by("received_at", "pk").values_list("pk", flat=True)[:limit])
    for lead_id in list(waiting):
        try:
            routed += leads_route_and_dispatch(lead_ids=[lead_id])
        except OperationalError:
            raise
        except Exception:
            logger.exception("lead %s cannot be routed; the sweep will try again", lead_id)
            broken.add(lead_id)
    return routed, broken


@shared_task(base=TenantTask, name="matching.route_lead", autoretry_for=(OperationalError,),
             retry_backoff=2, retry_backoff_max=60, max_retries=5)
def route_lead_task(tenant_id: int, lead_id: int) -> None:
    """Route one lead and make its offers, together with other new leads of the tenant
    waiting behind it. Sent for a single lead (returned by a partner); ingestion sends
    `routing_wake` instead. Running it twice changes nothing (a lead that is no longer
    `new` is left alone)."""
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
    from matching.offers import offers_remind_due
    from matching.webhooks import deliveries_due, delivery_attempt

    counts = {"expired": offers_expire_fanned_out(tenant_id=tenant_id),
              "reminded": offers_remind_due(), "webhooks": 0,
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


def offers_expire_fanned_out(*, tenant_id: int) -> int:
    """The sweep's expiry of the tenant's due offers (in its scope). A backlog of more than
    one batch is shared out: up to SWEEP_PARALLELISM - 1 helper tasks (`matching.
    sweep_expire`) are sent to the worker's other processes, and this task sweeps beside
    them; all take their batches with SKIP LOCKED, so no offer is expired twice. Returns
    how many offers this task expired (each helper returns its own count).

    A helper that dies mid-batch rolls its transaction back and leaves its offers due for
    the others, the broker's re-delivery (acks_late) and the next minute's sweep; a broker
    that refuses a helper leaves the whole backlog to this task."""
    from matching.models import Offer, OfferStatus
    from matching.offers import SWEEP_BATCH, offers_expire_due

    now = timezone.now()
    parallelism = max(int(settings.SWEEP_PARALLELISM), 1)
    if parallelism > 1:
        due = (Offer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=now)
               .values("pk")[:SWEEP_BATCH * parallelism].count())
        helpers = min(parallelism - 1, -(-due // SWEEP_BATCH) - 1)
        for _ in range(helpers):
            try:
                sweep_expire_task.delay(tenant_id)
            except Exception:
                logger.exception("a sweep helper could not be sent; sweeping without it")
                break
    return offers_expire_due(now=now)


@shared_task(base=TenantTask, name="matching.sweep_expire")
def sweep_expire_task(tenant_id: int) -> int:
    """A helper of the beat's sweep (see `offers_expire_fanned_out`): expires the tenant's
    due offers, a batch per transaction, until none is left that another sweep does not
    hold. acks_late (TenantTask): a killed helper is delivered again, and running it again
    changes nothing once the offers are expired."""
    from matching.offers import offers_expire_due

    return offers_expire_due()


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
