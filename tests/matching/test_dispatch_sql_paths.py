"""On PostgreSQL the sweep writes expiries, new offers and their events with set-based SQL;
elsewhere with the ORM. Both must leave exactly the same rows, events, counters, webhooks
and lead states behind."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from feedback.models import OutcomeEvent, PartnerStats
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching import dispatch
from matching.models import Offer, RoutingDecision, Webhook, WebhookDelivery
from matching.offers import offers_expire_due
from partners.models import Partner
from tests.factories import lead_create
from tests.matching.routing_factories import profiled_partner
from tests.offer_helpers import dispatch_to


def test_it_writes_every_column_of_an_offer():
    columns = {field.column for field in Offer._meta.concrete_fields if not field.primary_key}
    assert set(dispatch._OFFER_COLUMNS) == columns


def _world(tenant):
    """Five leads, four partners: cascades, a lead that runs out of attempts, one whose
    recorded candidates are full (ranked again), a broadcast, a webhook for every event."""
    with tenant_scope(tenant):
        Webhook.objects.create(tenant=tenant, url="https://hooks.example/in", secret="s",
                               events=["offer.expired", "offer.created", "lead.unrouted"])
    p = [profiled_partner(tenant, name=f"P{i}", capacity=3) for i in range(4)]
    greedy = {"accept_sla_hours": 1, "exploration_rate": 0.0}
    dispatch_to(tenant, lead_create(tenant, company_name="L0"), p[:3], max_attempts=3,
                **greedy)
    dispatch_to(tenant, lead_create(tenant, company_name="L1", industry="C28"), p[1:3],
                max_attempts=3, **greedy)
    dispatch_to(tenant, lead_create(tenant, company_name="L2"), p[:1], max_attempts=1,
                **greedy)
    dispatch_to(tenant, lead_create(tenant, company_name="L3", employees=900), p[2:3],
                max_attempts=2, **greedy)
    dispatch_to(tenant, lead_create(tenant, company_name="L4"), p[:2], mode="broadcast",
                broadcast_count=2, **greedy)


def _state(tenant) -> dict:
    """Everything the sweep writes, with ids replaced by names and positions."""
    with tenant_scope(tenant):
        leads = dict(Lead.objects.values_list("pk", "company_name"))
        partners = dict(Partner.objects.values_list("pk", "name"))
        offers = list(Offer.objects.order_by("id"))
        offer_no = {offer.pk: n for n, offer in enumerate(offers)}
        decisions = list(RoutingDecision.objects.order_by("id").values_list("pk", flat=True))
        events = list(OutcomeEvent.objects.order_by("id"))
        event_no = {event.pk: n for n, event in enumerate(events)}

        def ref(data: dict) -> dict:
            names = {"lead": leads, "partner": partners, "offer": offer_no}
            return {key: names[key].get(value) if key in names else value
                    for key, value in data.items()}

        return {
            "leads": sorted(Lead.objects.values_list("company_name", "status",
                                                     "status_reason")),
            "offers": [(leads[o.lead_id], partners[o.partner_id],
                        decisions.index(o.decision_id) if o.decision_id else None, o.rank,
                        o.score, o.choice_probability, o.mode, o.status, o.offered_at,
                        o.expires_at, o.remind_at, o.responded_at, o.responded_by)
                       for o in offers],
            "events": [(leads[e.lead_id], partners.get(e.partner_id),
                        offer_no.get(e.offer_id), e.kind, e.reason, e.value, e.note,
                        e.occurred_at, e.recorded_at, e.actor, e.seconds) for e in events],
            "stats": sorted((partners[s.partner_id], s.segment, s.period, s.offers,
                             s.expiries, s.expiry_streak, event_no.get(s.last_expired_event))
                            for s in PartnerStats.objects.all()),
            "webhooks": [(d.event, ref(d.payload["data"]))
                         for d in WebhookDelivery.objects.order_by("id")],
        }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's")
def test_it_leaves_the_same_state_on_both_paths(tenant_a, tenant_b, monkeypatch):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _world(tenant_a)
        _world(tenant_b)
    states = []
    for tenant, set_based in ((tenant_a, True), (tenant_b, False)):
        monkeypatch.setattr(dispatch, "set_based_sql", lambda set_based=set_based: set_based)
        for hours in (2, 4, 6):  # each round expires what the one before offered
            with time_machine.travel(start + timedelta(hours=hours), tick=False), \
                    tenant_scope(tenant):
                offers_expire_due(batch_size=2)
                offers_expire_due(batch_size=2)  # a second run changes nothing
        states.append(_state(tenant))
    sql, orm = states
    assert sql == orm
    # The world went through what the sweep does: cascades, a fresh ranking, unrouting.
    assert [(name, status) for name, status, _r in sql["leads"]] == [
        ("L0", "unrouted"), ("L1", "unrouted"), ("L2", "unrouted"), ("L3", "unrouted"),
        ("L4", "unrouted")]
    assert any(decision is not None and decision >= 5 for _l, _p, decision, *_x in sql["offers"])
    assert {event for event, _data in sql["webhooks"]} == {
        "offer.created", "offer.expired", "lead.unrouted"}
