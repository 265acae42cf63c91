"""Tasks leave only on commit and can run twice without changing anything."""

from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer, WebhookDelivery
from matching.tasks import deliver_webhook_task, notify_task, sweep_task
from matching.webhooks import webhook_create
from tests.factories import lead_create
from tests.offer_helpers import dispatch_to


def test_it_sends_nothing_before_the_transaction_commits(
        tenant_a, partner_a1, mailoutbox, django_capture_on_commit_callbacks, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with tenant_scope(tenant_a):
        webhook_create(tenant=tenant_a, actor="t", url="http://127.0.0.1:9/x",
                       events=["offer.created"])
    lead = lead_create(tenant_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dispatch_to(tenant_a, lead, [partner_a1])
    assert mailoutbox == []
    with tenant_scope(tenant_a):
        assert WebhookDelivery.objects.get().attempts == 0
    assert len(callbacks) >= 2  # the e-mail and the webhook delivery wait for the commit


def test_it_sends_an_offer_email_once_per_task_run(tenant_a, partner_a1, mailoutbox):
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, [partner_a1])
    with tenant_scope(tenant_a):
        offer = Offer.objects.get()
    notify_task.delay(tenant_a.pk, "offer_reminder", offer.pk)
    assert len(mailoutbox) == 1
    with tenant_scope(tenant_a):
        Offer.objects.filter(pk=offer.pk).update(status="accepted")
    notify_task.delay(tenant_a.pk, "offer_reminder", offer.pk)  # no reminder once answered
    assert len(mailoutbox) == 1


def test_it_delivers_a_webhook_once_even_if_the_task_runs_twice(tenant_a, partner_a1,
                                                                settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(1)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tenant_scope(tenant_a):
            webhook_create(tenant=tenant_a, actor="t",
                           url=f"http://127.0.0.1:{server.server_port}/", events=["lead.routed"])
        dispatch_to(tenant_a, lead_create(tenant_a), [partner_a1])
        with tenant_scope(tenant_a):
            delivery = WebhookDelivery.objects.get()
        deliver_webhook_task.delay(tenant_a.pk, delivery.pk)
        deliver_webhook_task.delay(tenant_a.pk, delivery.pk)
        sweep_task()
    finally:
        server.shutdown()
    assert len(hits) == 1
