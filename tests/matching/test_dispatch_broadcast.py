"""Broadcast: top N at once, the first accept wins, the others are withdrawn and told."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.models import Offer
from matching.offers import offer_accept, offer_reject
from tests.factories import lead_create, partner_create
from tests.offer_helpers import dispatch_to


def _partners(tenant, n):
    return [partner_create(tenant, name=f"B{i}", notification_email=f"b{i}@x.example")
            for i in range(n)]


def test_it_offers_to_the_top_n_at_once(tenant_a):
    partners = _partners(tenant_a, 4)
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, partners, mode="broadcast", broadcast_count=3)
    with tenant_scope(tenant_a):
        offered = set(Offer.objects.filter(lead=lead, status="pending")
                      .values_list("partner_id", flat=True))
    assert offered == {p.pk for p in partners[:3]}


def test_it_withdraws_the_others_when_one_accepts_and_tells_them(
        tenant_a, mailoutbox, django_capture_on_commit_callbacks):
    partners = _partners(tenant_a, 3)
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, partners, mode="broadcast", broadcast_count=3)
    mailoutbox.clear()
    with tenant_scope(tenant_a), django_capture_on_commit_callbacks(execute=True):
        offer = Offer.objects.get(lead=lead, partner=partners[1])
        offer_accept(offer_id=offer.pk, partner_id=partners[1].pk, actor="t")
    with tenant_scope(tenant_a):
        statuses = dict(Offer.objects.filter(lead=lead).values_list("partner_id", "status"))
    assert statuses == {partners[0].pk: "withdrawn", partners[1].pk: "accepted",
                        partners[2].pk: "withdrawn"}
    assert sorted(m.to[0] for m in mailoutbox) == ["b0@x.example", "b2@x.example"]


def test_it_refuses_a_second_accept(tenant_a):
    partners = _partners(tenant_a, 2)
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, partners, mode="broadcast", broadcast_count=2)
    with tenant_scope(tenant_a):
        first, second = Offer.objects.filter(lead=lead).order_by("rank")
        offer_accept(offer_id=first.pk, partner_id=first.partner_id, actor="t")
        with pytest.raises(DomainError, match="withdrawn"):
            offer_accept(offer_id=second.pk, partner_id=second.partner_id, actor="t")


def test_it_keeps_waiting_while_other_offers_are_open(tenant_a):
    partners = _partners(tenant_a, 2)
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, partners, mode="broadcast", broadcast_count=2)
    with tenant_scope(tenant_a):
        first = Offer.objects.get(lead=lead, partner=partners[0])
        offer_reject(offer_id=first.pk, partner_id=partners[0].pk, actor="t", reason="conflict")
        assert Lead.objects.get(pk=lead.pk).status == "offered"
        second = Offer.objects.get(lead=lead, partner=partners[1])
        offer_reject(offer_id=second.pk, partner_id=partners[1].pk, actor="t", reason="other")
        assert Lead.objects.get(pk=lead.pk).status == "unrouted"


@pytest.mark.server
def test_it_accepts_exactly_one_of_50_simultaneous_accepts(transactional_db, tenant_a,
                                                           postgres_only):
    partners = _partners(tenant_a, 10)
    lead = lead_create(tenant_a)
    dispatch_to(tenant_a, lead, partners, mode="broadcast", broadcast_count=10)
    with tenant_scope(tenant_a):
        offers = list(Offer.objects.filter(lead=lead).values_list("pk", "partner_id"))

    def accept(i):
        offer_id, partner_id = offers[i % len(offers)]
        try:
            with tenant_scope(tenant_a):
                offer_accept(offer_id=offer_id, partner_id=partner_id, actor="t")
            return "ok"
        except DomainError:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(accept, range(50)))
    assert results.count("ok") == 1
    with tenant_scope(tenant_a):
        assert Offer.objects.filter(lead=lead, status="accepted").count() == 1
        assert Offer.objects.filter(lead=lead, status="pending").count() == 0
