"""Races on offers, with real threads and real PostgreSQL connections (DESIGN.md §6).

- 50 partners' worth of concurrent accepts of one exclusive offer, round after round:
  exactly one wins each round.
- The partial unique index `offer_one_accepted_per_lead` holds by itself: with the
  application's lead lock and status check removed, a second acceptance is refused.
- Accept racing the expiry sweep: each trial ends accepted, or expired with the lead moved
  on (cascaded), never both; an expired offer never shows contact data.

Rounds and threads can be lowered for a quick local run: PROOF_RACE_ROUNDS,
PROOF_RACE_THREADS, PROOF_EXPIRY_TRIALS (CI runs the full numbers).
"""

import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import override_settings

from feedback.models import OutcomeEvent, OutcomeKind
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead, LeadStatus
from matching.models import Offer, OfferStatus
from matching.offers import offer_accept, offers_expire_due
from matching.selectors import contact_visible_to
from tests.factories import TenantFactory, lead_create, partner_create
from tests.offer_helpers import dispatch_to

pytestmark = [pytest.mark.server, pytest.mark.slow]

CI = bool(os.environ.get("CI"))
ROUNDS = int(os.environ.get("PROOF_RACE_ROUNDS", 100 if CI else 20))
THREADS = int(os.environ.get("PROOF_RACE_THREADS", 50))
EXPIRY_TRIALS = int(os.environ.get("PROOF_EXPIRY_TRIALS", 60 if CI else 20))


@pytest.fixture
def pg(transactional_db, postgres_only):
    """Committed data (threads use their own connections), quiet side effects."""
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        yield


@pytest.fixture
def racers():
    """A pool whose threads keep their database connection across rounds, closed at the end."""
    pool = ThreadPoolExecutor(max_workers=THREADS)
    yield pool

    def close():
        connections.close_all()

    barrier = threading.Barrier(THREADS)

    def close_when_all_here():
        barrier.wait(timeout=30)
        close()

    list(pool.map(lambda _: close_when_all_here(), range(THREADS)))
    pool.shutdown()


def _accept(tenant_id: int, offer_id: int, partner_id: int, gate: threading.Barrier) -> str:
    with tenant_scope(tenant_id):
        gate.wait(timeout=30)
        try:
            offer_accept(offer_id=offer_id, partner_id=partner_id, actor="race")
        except DomainError as exc:
            return exc.code
        return "accepted"


def test_it_lets_exactly_one_of_fifty_concurrent_accepts_win(pg, racers):
    tenant = TenantFactory(slug="race-accept")
    partner = partner_create(tenant, external_id="RACE-1", capacity=10_000)
    for _ in range(ROUNDS):
        lead = lead_create(tenant)
        dispatch_to(tenant, lead, [partner])
        with tenant_scope(tenant):
            offer = Offer.objects.get(lead=lead)
        gate = threading.Barrier(THREADS)
        futures = [racers.submit(_accept, tenant.pk, offer.pk, partner.pk, gate)
                   for _ in range(THREADS)]
        results = [future.result(timeout=120) for future in futures]
        assert results.count("accepted") == 1, results
        assert set(results) == {"accepted", "offer_closed"}, set(results)
        with tenant_scope(tenant):
            assert Offer.objects.filter(lead=lead, status=OfferStatus.ACCEPTED).count() == 1
            assert OutcomeEvent.objects.filter(lead=lead, kind=OutcomeKind.ACCEPTED).count() == 1
            assert Lead.objects.get(pk=lead.pk).assigned_partner_id == partner.pk


def _raw_accept(offer_id: int, gate: threading.Barrier) -> str:
    """The application's guard removed: no lead lock, no check; only the database is left."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            gate.wait(timeout=30)
            cursor.execute("UPDATE matching_offer SET status = 'accepted' "
                           "WHERE id = %s AND status = 'pending'", [offer_id])
            # Hold the transaction open so both updates are in flight at once.
            threading.Event().wait(0.2)
        return "accepted"
    except IntegrityError as exc:
        assert "offer_one_accepted_per_lead" in str(exc)
        return "refused"
    finally:
        connection.close()


def test_it_refuses_a_second_acceptance_in_the_database_without_the_application_check(pg):
    tenant = TenantFactory(slug="race-index")
    first = partner_create(tenant, external_id="RACE-1")
    second = partner_create(tenant, external_id="RACE-2")
    lead = lead_create(tenant)
    dispatch_to(tenant, lead, [first, second], mode="broadcast", broadcast_count=2)
    with tenant_scope(tenant):
        offers = list(Offer.objects.filter(lead=lead, status=OfferStatus.PENDING))
    assert len(offers) == 2
    gate = threading.Barrier(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda o: _raw_accept(o.pk, gate), offers))
    assert sorted(results) == ["accepted", "refused"]
    with tenant_scope(tenant):
        assert Offer.objects.filter(lead=lead, status=OfferStatus.ACCEPTED).count() == 1


def _expire(tenant_id: int, deadline, gate: threading.Barrier) -> int:
    try:
        with tenant_scope(tenant_id):
            gate.wait(timeout=30)
            return offers_expire_due(now=deadline)
    finally:
        connection.close()


def _accept_once(tenant_id: int, offer_id: int, partner_id: int,
                 gate: threading.Barrier) -> str:
    try:
        return _accept(tenant_id, offer_id, partner_id, gate)
    finally:
        connection.close()


def test_it_ends_each_accept_expiry_race_accepted_or_expired_never_both(pg):
    tenant = TenantFactory(slug="race-expiry")
    first = partner_create(tenant, external_id="RACE-1", capacity=10_000)
    second = partner_create(tenant, external_id="RACE-2", capacity=10_000)
    rng = random.Random(8)
    outcomes = {"accepted": 0, "expired": 0}
    for _ in range(EXPIRY_TRIALS):
        lead = lead_create(tenant)
        dispatch_to(tenant, lead, [first, second], mode="cascade", max_attempts=2)
        with tenant_scope(tenant):
            offer = Offer.objects.get(lead=lead, partner=first)
        # The clock stands a hair before the deadline (or on it), the sweep runs "at" it.
        start = offer.expires_at - timedelta(microseconds=rng.choice([0, 200, 1000, 3000]))
        gate = threading.Barrier(2)
        with time_machine.travel(start, tick=True), ThreadPoolExecutor(max_workers=2) as pool:
            accepted = pool.submit(_accept_once, tenant.pk, offer.pk, first.pk, gate)
            expired = pool.submit(_expire, tenant.pk, offer.expires_at, gate)
            accepted.result(timeout=60)
            expired.result(timeout=60)
            # The next sweep takes what this one skipped (a lead busy with the accept).
            with tenant_scope(tenant):
                offers_expire_due(now=offer.expires_at + timedelta(seconds=1))
        with tenant_scope(tenant):
            offer.refresh_from_db()
            lead.refresh_from_db()
            kinds = set(OutcomeEvent.objects.filter(offer=offer).values_list("kind", flat=True))
            next_offers = Offer.objects.filter(lead=lead, partner=second)
            assert offer.status in (OfferStatus.ACCEPTED, OfferStatus.EXPIRED), offer.status
            assert not {OutcomeKind.ACCEPTED, OutcomeKind.EXPIRED} <= kinds, kinds
            if offer.status == OfferStatus.ACCEPTED:
                assert lead.status == LeadStatus.ACCEPTED
                assert lead.assigned_partner_id == first.pk
                assert not next_offers.exists()
                assert contact_visible_to(lead=lead, partner_id=first.pk)
            else:
                assert lead.assigned_partner_id != first.pk
                # Cascaded: the next partner got the lead.
                assert next_offers.filter(status=OfferStatus.PENDING).count() == 1
                assert lead.status == LeadStatus.OFFERED
                assert not contact_visible_to(lead=lead, partner_id=first.pk)
            outcomes[offer.status] += 1
    print(f"accept vs expiry: {outcomes}")
