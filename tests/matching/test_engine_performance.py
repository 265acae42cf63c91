"""Learned performance: shrinkage, decay, segments, tiers."""

from datetime import timedelta

import pytest

from matching.engine import PolicyParams
from matching.engine.performance import partner_performance, segment_rates
from tests.matching.engine_helpers import TODAY, outcomes, partner, table_of

DAY = TODAY.toordinal()


def _tenant_of_ten_percent():
    # Partners 2..11 win 10 of 100 closed leads each: a 10 % tenant win rate.
    events = []
    for pid in range(2, 12):
        events += outcomes(pid, accepted=100, won=10, lost=90)
    return events


def test_it_does_not_take_one_win_in_two_for_a_fifty_percent_performer():
    events = _tenant_of_ten_percent() + outcomes(1, accepted=2, won=1, lost=1)
    table = table_of(*[partner(pid) for pid in range(1, 12)], events=events)
    perf = partner_performance(table, PolicyParams(prior_strength=20), DAY)
    p_win = perf.win.mean[0]
    assert p_win == pytest.approx((20 * perf.tenant_win + 1) / 22, rel=1e-6)
    assert 0.1 < p_win < 0.15


def test_it_lets_much_evidence_outweigh_the_prior():
    events = _tenant_of_ten_percent() + outcomes(1, accepted=400, won=200, lost=200)
    table = table_of(*[partner(pid) for pid in range(1, 12)], events=events)
    perf = partner_performance(table, PolicyParams(prior_strength=20), DAY)
    assert perf.win.mean[0] > 0.45
    assert perf.tier[0] == "high"


def test_it_forgets_old_outcomes_with_the_half_life():
    old = outcomes(1, won=10, day=TODAY - timedelta(days=720))
    recent = outcomes(1, lost=10)
    table = table_of(partner(1), partner(2), events=old + recent)
    perf = partner_performance(table, PolicyParams(half_life_days=180, prior_strength=1), DAY)
    assert perf.win.mean[0] < 0.2  # wins two years ago weigh 1/16 of the recent losses


def test_it_counts_only_matured_outcomes():
    table = table_of(partner(1), events=outcomes(1, accepted=5))  # accepted, none closed
    perf = partner_performance(table, PolicyParams(), DAY)
    assert perf.closed[0] == 0 and perf.win.mean[0] == pytest.approx(0.5)
    assert perf.tier[0] == "new"


def test_it_shrinks_a_segment_towards_the_partners_overall_rate():
    events = (outcomes(1, won=30, lost=70, segment="C:small")
              + outcomes(1, won=2, lost=0, segment="G:large"))
    table = table_of(partner(1), events=events)
    params = PolicyParams(prior_strength=20)
    overall = partner_performance(table, params, DAY).win.mean[0]
    _, win_g = segment_rates(table, params, DAY, "G:large")
    _, win_unknown = segment_rates(table, params, DAY, "J:micro")
    assert overall < win_g.mean[0] < 0.5
    assert win_unknown.mean[0] == pytest.approx(overall)
