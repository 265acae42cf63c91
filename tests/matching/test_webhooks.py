"""Webhooks reach a real local HTTP receiver, signed; failures are retried and logged."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer, WebhookDelivery
from matching.offers import offer_accept
from matching.tasks import sweep_task
from matching.webhooks import url_refusal, webhook_create
from tests.factories import lead_create
from tests.offer_helpers import dispatch_to


class Receiver:
    """A real HTTP server on 127.0.0.1 that records requests; can be told to fail."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": self.headers, "body": body})
                if receiver.fail_next:
                    receiver.fail_next -= 1
                    self.send_response(503)
                else:
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    server = Receiver()
    yield server
    server.close()


def _subscribe(tenant, url, events):
    with tenant_scope(tenant):
        return webhook_create(tenant=tenant, actor="t", url=url, events=events)


def test_it_delivers_signed_events(tenant_a, partner_a1, receiver,
                                   django_capture_on_commit_callbacks):
    hook = _subscribe(tenant_a, receiver.url, ["offer.created", "offer.accepted"])
    lead = lead_create(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_to(tenant_a, lead, [partner_a1])
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    payload = json.loads(request["body"])
    assert payload["type"] == "offer.created" and payload["data"]["lead"] == lead.pk
    assert payload["id"]
    signature = dict(part.split("=", 1)
                     for part in request["headers"]["X-LeadRouter-Signature"].split(","))
    expected = hmac.new(hook.secret.encode(), f"{signature['t']}.".encode() + request["body"],
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature["v1"], expected)


def test_it_retries_a_failed_delivery_with_backoff(tenant_a, partner_a1, receiver,
                                                   django_capture_on_commit_callbacks):
    _subscribe(tenant_a, receiver.url, ["offer.accepted"])
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, [partner_a1])
    receiver.fail_next = 2
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        offer = Offer.objects.get(lead=lead)
        offer_accept(offer_id=offer.pk, partner_id=partner_a1.pk, actor="t")
    with tenant_scope(tenant_a):
        delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    sweep_task()  # not due yet: nothing happens
    assert len(receiver.requests) == 1
    for minutes in (1, 3):
        with time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False):
            sweep_task()
    with tenant_scope(tenant_a):
        delivery.refresh_from_db()
    assert len(receiver.requests) == 3
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == \
        ("delivered", 3, 204)
    assert len({json.loads(r["body"])["id"] for r in receiver.requests}) == 1  # same event id


def test_it_refuses_non_http_schemes_and_private_addresses(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    assert url_refusal("ftp://example.com/x")
    assert url_refusal("file:///etc/passwd")
    assert url_refusal("http://127.0.0.1:8000/hook")
    assert url_refusal("http://10.0.0.5/hook")
    assert url_refusal("http://[::1]/hook")


def test_it_names_the_bad_fields_of_a_subscription(tenant_a, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with tenant_scope(tenant_a), pytest.raises(DomainError) as error:
        webhook_create(tenant=tenant_a, actor="t", url="http://localhost/x",
                       events=["lead.exploded"])
    assert set(error.value.fields) == {"url", "events"}


def test_it_manages_subscriptions_through_the_api(api_a, api_b, receiver):
    created = api_a.post("/api/v1/webhooks/", {"url": receiver.url,
                                               "events": ["lead.won", "lead.lost"]},
                         format="json")
    assert created.status_code == 201 and len(created.json()["secret"]) == 48
    hook_id = created.json()["id"]
    listed = api_a.get("/api/v1/webhooks/").json()
    assert [h["id"] for h in listed] == [hook_id] and "secret" not in listed[0]
    assert api_b.get("/api/v1/webhooks/").json() == []
    assert api_b.delete(f"/api/v1/webhooks/{hook_id}/").status_code == 404
    assert api_a.delete(f"/api/v1/webhooks/{hook_id}/").status_code == 204


def test_it_rejects_an_unknown_event_through_the_api(api_a, receiver):
    response = api_a.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["nope"]},
                          format="json")
    assert response.status_code == 400 and "events" in response.json()["error"]["fields"]


def test_it_shows_the_delivery_log_and_sends_a_test_event(client, admin_a, tenant_a,
                                                          receiver,
                                                          django_capture_on_commit_callbacks):
    client.force_login(admin_a)
    hook = _subscribe(tenant_a, receiver.url, ["lead.won"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/settings/webhooks/{hook.pk}/", {"action": "test"})
    assert json.loads(receiver.requests[0]["body"])["type"] == "test"
    page = client.get("/settings/webhooks/").text
    assert receiver.url in page and "Delivered" in page


def test_it_hides_the_webhooks_page_from_strangers_and_managers(client_b, client_a, tenant_a,
                                                                 receiver):
    hook = _subscribe(tenant_a, receiver.url, ["lead.won"])
    assert client_b.post(f"/settings/webhooks/{hook.pk}/", {"action": "delete"}).status_code \
        == 404
    assert client_a.get("/settings/webhooks/").status_code == 404
