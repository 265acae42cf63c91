"""Webhooks: events to the tenant's subscribers, signed, retried with backoff, logged.

Deliveries are rows written in the same transaction as the change they report, so an event
is never lost when a worker or the broker dies: a task sends each delivery after commit,
and the periodic sweep picks up whatever is due (retries and lost tasks alike).

Signature: `X-LeadRouter-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import audit_record
from leadrouter.transaction_memo import memo_forget, transaction_memo
from matching.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent

# 30 s doubling to 8 h: 12 attempts spread over about 24 hours.
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 8 * 3600
MAX_ATTEMPTS = 12
TIMEOUT_SECONDS = 10
# A burst's deliveries share tasks: fewer broker round trips inside the routing transaction.
DELIVERIES_PER_TASK = 20


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def url_refusal(url: str) -> str | None:
    """Why this receiver URL is refused, or None. Non-http(s) schemes are refused, and
    (unless WEBHOOKS_ALLOW_PRIVATE) hosts that resolve to private or loopback addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Only http and https URLs can receive webhooks.")
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return _("The host name does not resolve.")
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (address.is_private or address.is_loopback or address.is_link_local
                or address.is_reserved or address.is_multicast or address.is_unspecified):
            return _("Private, loopback and link-local addresses cannot receive webhooks.")
    return None


def webhook_create(*, tenant, actor, url: str, events: list[str]) -> Webhook:
    """Subscribe `url` to `events`. The secret is returned on the object (shown once)."""
    unknown = sorted(set(events) - set(WebhookEvent.values))
    fields = {}
    if not events:
        fields["events"] = [_("Choose at least one event.")]
    elif unknown:
        fields["events"] = [_("Unknown events: %(unknown)s. Known: %(known)s.") % {
            "unknown": ", ".join(unknown), "known": ", ".join(WebhookEvent.values)}]
    refusal = url_refusal(url)
    if refusal:
        fields["url"] = [refusal]
    if fields:
        raise DomainError(_("The subscription is not valid."), code="invalid", status_code=400,
                          fields=fields)
    with transaction.atomic():
        webhook = Webhook.objects.create(tenant=tenant, url=url, events=sorted(set(events)),
                                         secret=secrets.token_hex(24))
        audit_record(tenant=tenant, actor=actor, action="webhook.created", target=webhook,
                     data={"url": url, "events": webhook.events})
    return webhook


def webhook_delete(*, webhook: Webhook, actor) -> None:
    with transaction.atomic():
        audit_record(tenant=webhook.tenant_id, actor=actor, action="webhook.deleted",
                     target=webhook, data={"url": webhook.url})
        webhook.delete()


def webhook_rotate_secret(*, webhook: Webhook, actor) -> Webhook:
    webhook.secret = secrets.token_hex(24)
    webhook.save(update_fields=["secret"])
    audit_record(tenant=webhook.tenant_id, actor=actor, action="webhook.secret_rotated",
                 target=webhook)
    return webhook


def webhook_emit(*, tenant_id: int, event: str, data: dict,
                 only: Webhook | None = None) -> list[WebhookDelivery]:
    """Queue `event` for every active subscription to it (inside the caller's transaction)."""
    return webhook_emit_many(tenant_id=tenant_id, event=event, data=[data], only=only)


def webhook_emit_many(*, tenant_id: int, event: str, data: list[dict],
                      only: Webhook | None = None) -> list[WebhookDelivery]:
    """Queue one `event` per item of `data` for every active subscription to it: one read
    of the subscriptions and one insert, however many events (a routing burst, a sweep)."""
    hooks = [only] if only is not None else [
        hook for hook in _subscriptions(tenant_id) if event in hook.events]
    if not hooks or not data:
        return []
    created_at = timezone.now().isoformat()
    deliveries = []
    for item in data:
        event_id = uuid.uuid4()
        payload = {"id": str(event_id), "type": event, "created_at": created_at, "data": item}
        deliveries += [WebhookDelivery(tenant_id=tenant_id, webhook=hook, event_id=event_id,
                                       event=event, payload=payload) for hook in hooks]
    deliveries = WebhookDelivery.objects.bulk_create(deliveries)
    from matching.tasks import deliver_webhook_task, deliver_webhooks_task

    if len(deliveries) == 1:
        deliver_webhook_task.delay_on_commit(tenant_id, deliveries[0].pk)
    else:
        for i in range(0, len(deliveries), DELIVERIES_PER_TASK):
            deliver_webhooks_task.delay_on_commit(
                tenant_id, [d.pk for d in deliveries[i:i + DELIVERIES_PER_TASK]])
    return deliveries


def _subscriptions(tenant_id: int) -> list[Webhook]:
    """The tenant's active webhooks, read once per transaction (a routing burst emits
    lead.routed and offer.created; a sweep batch offer.expired and offer.created)."""
    return transaction_memo(("webhooks", tenant_id), lambda: list(
        Webhook.objects.filter(tenant_id=tenant_id, is_active=True)))


@receiver(post_save, sender=Webhook, dispatch_uid="webhook_saved")
@receiver(post_delete, sender=Webhook, dispatch_uid="webhook_deleted")
def _webhook_changed(sender, instance: Webhook, **kwargs) -> None:
    # Cache invalidation only: the next emit in this transaction reads the subscriptions anew.
    memo_forget(("webhooks", instance.tenant_id))


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """POST one due delivery once; on failure schedule the next attempt with backoff.
    Idempotent: a delivery that is not pending or not yet due is left alone."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True)
                    .select_related("webhook")
                    .filter(pk=delivery_id, status=DeliveryStatus.PENDING,
                            next_attempt_at__lte=timezone.now()).first())
        if delivery is None:
            return None
        status_code, error = _post(delivery)
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = error[:300]
        now = timezone.now()
        if status_code is not None and 200 <= status_code < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            backoff = min(RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1), RETRY_CAP_SECONDS)
            delivery.next_attempt_at = now + timedelta(seconds=backoff)
        delivery.save()
    return delivery


def deliveries_due(*, limit: int = 500) -> list[int]:
    return list(WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now(),
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    refusal = url_refusal(delivery.webhook.url)
    if refusal:
        return None, refusal
    body = json.dumps(delivery.payload, cls=DjangoJSONEncoder).encode()
    request = urllib.request.Request(delivery.webhook.url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "LeadRouter-Webhooks/1",
        "X-LeadRouter-Event": delivery.event,
        "X-LeadRouter-Delivery": str(delivery.pk),
        "X-LeadRouter-Signature": sign(delivery.webhook.secret, body, int(time.time())),
    })
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc))
