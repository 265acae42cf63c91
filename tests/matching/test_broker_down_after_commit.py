"""A broker outage right after a commit must not turn a committed action into an error:
the partner's accept stands and answers 200; what the task would have done is covered by
rows the sweep picks up (webhook deliveries) or logged."""

from kombu.exceptions import OperationalError as BrokerError

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.models import Offer
from matching.offers import offer_accept
from tests.factories import lead_create
from tests.offer_helpers import dispatch_to


def test_an_accept_stands_when_the_broker_is_down_after_its_commit(
        tenant_a, partner_a1, monkeypatch, django_capture_on_commit_callbacks, caplog):
    from celery.app.task import Task

    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, [partner_a1])
    with tenant_scope(tenant_a):
        offer = Offer.objects.get()

    def broker_down(self, *args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", broker_down)
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        offer_accept(offer_id=offer.pk, partner_id=partner_a1.pk, actor="partner")

    with tenant_scope(tenant_a):
        assert Lead.objects.get(pk=lead.pk).status == "accepted"
    assert "Connection refused" in caplog.text
