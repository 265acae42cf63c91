"""Exploration, seeds and the recorded choice probability."""

from collections import Counter

import pytest

from matching.engine import PolicyParams, rank_lead
from tests.matching.engine_helpers import TODAY, lead, outcomes, partner, table_of


def _veterans_and_a_newcomer():
    events = []
    for pid in (1, 2, 3):
        events += outcomes(pid, accepted=40, rejected=10, won=8, lost=32)
    partners = [partner(pid, competencies={"cnc": 3}) for pid in (1, 2, 3)]
    partners.append(partner(4, competencies={"cnc": 1}))  # new and a weaker fit
    return table_of(*partners, events=events)


def test_it_gives_a_new_partner_leads_within_the_exploration_budget():
    table = _veterans_and_a_newcomer()
    params = PolicyParams(exploration_rate=0.1, exploration_min_closed=10)
    firsts = Counter(rank_lead(table, lead(competencies=["cnc"]), params, seed=seed,
                               today=TODAY).order[0] for seed in range(1000))
    assert 50 <= firsts[4] <= 150  # ~10 %
    assert firsts[4] + sum(firsts[p] for p in (1, 2, 3)) == 1000


def test_it_never_explores_with_a_zero_budget():
    table = _veterans_and_a_newcomer()
    params = PolicyParams(exploration_rate=0.0)
    firsts = {rank_lead(table, lead(competencies=["cnc"]), params, seed=seed,
                        today=TODAY).order[0] for seed in range(200)}
    assert 4 not in firsts


def test_it_records_the_choice_probability():
    table = _veterans_and_a_newcomer()
    params = PolicyParams(exploration_rate=0.1)
    ranking = rank_lead(table, lead(competencies=["cnc"]), params, seed=3, today=TODAY)
    probabilities = {c["partner"]: c["probability"] for c in ranking.candidates}
    assert probabilities[4] == pytest.approx(0.1)
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_it_replays_the_same_decision_from_the_same_seed_with_thompson():
    table = _veterans_and_a_newcomer()
    params = PolicyParams(exploration="thompson")
    first = rank_lead(table, lead(), params, seed=42, today=TODAY)
    again = rank_lead(table, lead(), params, seed=42, today=TODAY)
    assert first.order == again.order and first.candidates == again.candidates
    orders = {tuple(rank_lead(table, lead(), params, seed=s, today=TODAY).order[:1])
              for s in range(50)}
    assert len(orders) > 1  # Thompson does explore


def test_it_estimates_thompson_choice_probabilities():
    table = _veterans_and_a_newcomer()
    ranking = rank_lead(table, lead(), PolicyParams(exploration="thompson"), seed=1,
                        today=TODAY)
    total = sum(ranking.probabilities.values())
    assert 0.99 <= total <= 1.01 + 1 / 200
    assert ranking.arm == "thompson"


def test_it_chooses_as_many_as_the_mode_asks_for():
    table = table_of(*[partner(pid) for pid in range(1, 8)])
    the_lead = lead()
    cascade = rank_lead(table, the_lead, PolicyParams(max_attempts=3), seed=1, today=TODAY)
    broadcast = rank_lead(table, the_lead, PolicyParams(mode="broadcast", broadcast_count=5),
                          seed=1, today=TODAY)
    manual = rank_lead(table, the_lead, PolicyParams(mode="manual"), seed=1, today=TODAY)
    assert len(cascade.chosen) == 3 and len(broadcast.chosen) == 5 and len(manual.chosen) == 1
    assert cascade.chosen == cascade.order[:3]
