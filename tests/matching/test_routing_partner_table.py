"""The partner table: built in a constant number of queries, cached, invalidated."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import OutcomeEvent
from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer
from matching.partner_table import (
    partner_table_build,
    partner_table_get,
    partner_table_invalidate,
)
from partners.models import Partner, PartnerTerritory
from tests.factories import lead_create, partner_create
from tests.matching.routing_factories import profiled_partner


def _full(tenant, n, start=0):
    for i in range(start, start + n):
        profiled_partner(tenant, name=f"P{i}", industries=["C28"], competencies={"cnc": 2},
                         certifications={"iso": None}, products={"car": True},
                         territories=[("DE", ["8"], None), ("AT", [], 50)])


def _queries_to_build(tenant) -> int:
    with tenant_scope(tenant), CaptureQueriesContext(connection) as queries:
        partner_table_build()
    return len(queries)


def test_it_builds_the_table_in_a_constant_number_of_queries(tenant_a):
    _full(tenant_a, 2)
    few = _queries_to_build(tenant_a)
    _full(tenant_a, 20, start=2)
    assert _queries_to_build(tenant_a) == few <= 12  # 10 for the profiles, 2 for stored tiers
    with tenant_scope(tenant_a):
        table = partner_table_build()
    assert len(table) == 22 and len(table.terr_partner) == 44
    assert len(table.industries["C28"]) == 22


def test_it_leaves_offboarded_partners_out(tenant_a):
    partner_create(tenant_a, status="offboarded")
    kept = partner_create(tenant_a, status="paused")
    with tenant_scope(tenant_a):
        assert list(partner_table_build().ids) == [kept.pk]


def test_it_serves_the_table_from_the_cache_until_invalidated(tenant_a):
    partner = profiled_partner(tenant_a, territories=[("DE", ["8"], None)])
    with tenant_scope(tenant_a):
        partner_table_get(tenant_a.pk)
        # A profile row changed without touching the partner: the cache does not know…
        PartnerTerritory.objects.filter(partner=partner).update(postal_prefixes=["1"])
        assert "1" not in partner_table_get(tenant_a.pk).prefix_vocab
        partner_table_invalidate(tenant_a.pk)  # …until told.
        assert "1" in partner_table_get(tenant_a.pk).prefix_vocab


def test_it_rebuilds_when_a_partner_is_added_or_saved(tenant_a):
    partner_create(tenant_a)
    with tenant_scope(tenant_a):
        assert len(partner_table_get(tenant_a.pk)) == 1
    second = partner_create(tenant_a, capacity=4)
    with tenant_scope(tenant_a):
        assert len(partner_table_get(tenant_a.pk)) == 2
        Partner.objects.filter(pk=second.pk).update(capacity=7, updated_at=timezone.now())
        table = partner_table_get(tenant_a.pk)
        assert table.capacity[table.index_of[second.pk]] == 7


def test_it_refreshes_the_load_cheaply_on_every_read(tenant_a):
    partner = partner_create(tenant_a)
    with tenant_scope(tenant_a):
        partner_table_get(tenant_a.pk)
        Offer.objects.create(tenant=tenant_a, lead=lead_create(tenant_a), partner=partner,
                             expires_at=timezone.now() + timedelta(hours=1))
        with CaptureQueriesContext(connection) as queries:
            table = partner_table_get(tenant_a.pk)
        assert table.load[table.index_of[partner.pk]] == 1
        assert len(queries) <= 3


def test_it_reads_outcomes_into_the_performance_arrays(tenant_a):
    partner = partner_create(tenant_a)
    lead = lead_create(tenant_a, industry="C28", employees=30)
    with tenant_scope(tenant_a):
        for kind in ("offered", "accepted", "won"):
            OutcomeEvent.objects.create(tenant=tenant_a, lead=lead, partner=partner, kind=kind)
        table = partner_table_build()
    assert sorted(table.ev_kind.tolist()) == [0, 2]  # "offered" is not an outcome
    assert list(table.segment_vocab) == ["C:small"]


def _outcome(tenant, partner, lead, kind, **fields):
    return OutcomeEvent.objects.create(tenant=tenant, lead=lead, partner=partner, kind=kind,
                                       **fields)


def test_it_adds_new_outcomes_to_the_cached_table_without_a_rebuild(tenant_a):
    partner = profiled_partner(tenant_a, territories=[("DE", ["8"], None)])
    lead = lead_create(tenant_a, industry="C28", employees=30)
    with tenant_scope(tenant_a):
        _outcome(tenant_a, partner, lead, "accepted")
        assert partner_table_get(tenant_a.pk).ev_kind.tolist() == [0]
        # Not rebuilt (a silent profile change stays unseen), yet the new outcomes count.
        PartnerTerritory.objects.filter(partner=partner).update(postal_prefixes=["1"])
        _outcome(tenant_a, partner, lead, "won")
        _outcome(tenant_a, partner, lead, "offered")  # not an outcome the engine counts
        table = partner_table_get(tenant_a.pk)
    assert "1" not in table.prefix_vocab
    assert sorted(table.ev_kind.tolist()) == [0, 2]


def test_it_catches_an_outcome_committed_late_exactly_once(tenant_a):
    partner = partner_create(tenant_a)
    lead = lead_create(tenant_a)
    with tenant_scope(tenant_a):
        partner_table_get(tenant_a.pk)
        # Recorded before the last read, but its transaction committed only now.
        _outcome(tenant_a, partner, lead, "lost",
                 recorded_at=timezone.now() - timedelta(minutes=5))
        assert partner_table_get(tenant_a.pk).ev_kind.tolist() == [3]
        assert partner_table_get(tenant_a.pk).ev_kind.tolist() == [3]


def test_it_rebuilds_from_all_outcomes_once_a_day(tenant_a, time_machine):
    partner = partner_create(tenant_a)
    lead = lead_create(tenant_a)
    time_machine.move_to(timezone.now(), tick=False)
    with tenant_scope(tenant_a):
        partner_table_get(tenant_a.pk)
        # Committed long after it was recorded: only the daily rebuild sees it.
        _outcome(tenant_a, partner, lead, "won",
                 recorded_at=timezone.now() - timedelta(hours=1))
        assert len(partner_table_get(tenant_a.pk).ev_kind) == 0
        time_machine.shift(timedelta(hours=24, minutes=1))
        assert partner_table_get(tenant_a.pk).ev_kind.tolist() == [2]
