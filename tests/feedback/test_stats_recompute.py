"""Incremental statistics and the full recompute agree, over random event streams."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.events import event_record
from feedback.models import OutcomeEvent, PartnerStats
from feedback.stats import stats_recompute
from leadrouter.tenancy.scoping import tenant_scope
from tests.factories import lead_create, partner_create
from tests.feedback.conftest import offer_for

KINDS = ["offered", "accepted", "rejected", "expired", "returned", "won", "lost",
         "contacted", "qualified"]
FIELDS = ["offers", "accepts", "rejects", "expiries", "returns", "won", "lost", "revenue",
          "reject_reasons", "loss_reasons", "median_accept_seconds", "median_close_seconds",
          "expiry_streak", "last_expired_event"]

event = st.tuples(
    st.integers(0, 2),  # partner
    st.integers(0, 3),  # lead
    st.sampled_from(KINDS),
    st.sampled_from(["price", "competitor", "no_capacity", ""]),
    st.integers(0, 50_000),  # value
    # days ago: inside the window, or clearly outside it (the edge moves with the clock)
    st.one_of(st.floats(0, 170), st.floats(190, 400)),
)


def _snapshot():
    return {(r.partner_id, r.segment, r.period): {f: getattr(r, f) for f in FIELDS}
            for r in PartnerStats.objects.all()}


@pytest.fixture
def world(tenant_a):
    partners = [partner_create(tenant_a, name=f"P{i}") for i in range(3)]
    leads = [lead_create(tenant_a, industry=ind, employees=emp)
             for ind, emp in (("C28", 50), ("G47", 5), ("C10", 400), ("", None))]
    now = timezone.now()
    offers = {(p, lead): offer_for(tenant_a, lead, p, offered_at=now - timedelta(days=300 + i),
                                   responded_at=now - timedelta(days=250 + i))
              for i, (p, lead) in enumerate((p, lead) for p in partners for lead in leads)}
    return tenant_a, partners, leads, offers


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(stream=st.lists(event, max_size=40))
def test_it_agrees_with_the_full_recompute(world, stream):
    tenant, partners, leads, offers = world
    now = timezone.now()
    with tenant_scope(tenant):
        OutcomeEvent.objects.all().delete()
        PartnerStats.objects.all().delete()
        for p, lead_i, kind, reason, value, days_ago in sorted(stream, key=lambda e: -e[5]):
            partner, lead = partners[p], leads[lead_i]
            event_record(lead=lead, kind=kind, partner=partner, offer=offers[(partner, lead)],
                         reason=reason if kind in ("rejected", "lost") else "",
                         value=Decimal(value) if kind == "won" else None,
                         occurred_at=now - timedelta(days=days_ago))
        incremental = _snapshot()
        stats_recompute(tenant_id=tenant.pk)
        assert _snapshot() == incremental


def test_it_counts_a_simple_history(tenant_a, partner_a1, make_history):
    make_history(tenant_a, partner_a1, ["offered accepted won", "offered accepted lost",
                                        "offered rejected", "offered expired"])
    with tenant_scope(tenant_a):
        row = PartnerStats.objects.get(partner=partner_a1, segment="", period="all")
    assert (row.offers, row.accepts, row.rejects, row.expiries) == (4, 2, 1, 1)
    assert (row.won, row.lost, row.revenue) == (1, 1, Decimal("1000"))
    assert row.accept_rate == 0.5 and row.conversion_closed == 0.5
    assert row.median_accept_seconds == 3600 and row.median_close_seconds == 3600
    assert row.reject_reasons == {"no_capacity": 1} and row.loss_reasons == {"price": 1}
    assert row.expiry_streak == 1
