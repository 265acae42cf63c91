"""Invariants of the engine, checked on generated partner tables and leads (hypothesis)."""

import copy
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from matching.engine import RULES, PolicyParams, assign_batch, rank_lead, score_lead
from tests.matching.engine_helpers import TODAY, leads, tables

DAY = TODAY.toordinal()
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
policies = st.builds(
    PolicyParams,
    hard_rules=st.frozensets(st.sampled_from(RULES)),
    exploration=st.sampled_from(["greedy", "thompson"]),
    exploration_rate=st.sampled_from([0.0, 0.1, 0.5]),
    mode=st.sampled_from(["cascade", "broadcast", "manual"]),
)


@FAST
@given(tables(), leads, policies, st.integers(0, 2**32))
def test_it_never_chooses_a_partner_that_breaks_a_hard_rule(table, lead, params, seed):
    ranking = rank_lead(table, lead, params, seed=seed, today=TODAY)
    ls = score_lead(table, lead, params, DAY)
    for pid in ranking.chosen:
        i = table.index_of[pid]
        for rule in params.hard_rules:
            assert ls.checks[rule][i], (pid, rule)


@FAST
@given(tables(), leads, st.integers(0, 2**32))
def test_it_never_chooses_a_partner_at_capacity(table, lead, seed):
    ranking = rank_lead(table, lead, PolicyParams(), seed=seed, today=TODAY)
    for pid in ranking.chosen:
        i = table.index_of[pid]
        assert table.load[i] < table.capacity[i]


@FAST
@given(tables(), leads, policies, st.integers(0, 2**32))
def test_it_gives_the_same_decision_for_the_same_seed(table, lead, params, seed):
    first = rank_lead(table, lead, params, seed=seed, today=TODAY)
    again = rank_lead(table, copy.deepcopy(lead), params, seed=seed, today=TODAY)
    assert (first.order, first.chosen, first.candidates, first.excluded) == \
        (again.order, again.chosen, again.candidates, again.excluded)


@FAST
@given(tables(), leads, st.sampled_from(["industry", "competency", "size", "distance",
                                          "certification", "level"]),
       st.floats(0.0, 1.0), st.data())
def test_it_never_lowers_a_score_when_one_fit_criterion_rises(table, lead, criterion, bump,
                                                              data):
    params = PolicyParams(exploration_rate=0.0)
    ls = score_lead(table, lead, params, DAY)
    i = data.draw(st.integers(0, len(table) - 1))
    raised = {name: values.copy() for name, values in ls.criteria.items()}
    raised[criterion][i] = min(1.0, raised[criterion][i] + bump)
    before = _score_from(ls, ls.criteria, params)[i]
    after = _score_from(ls, raised, params)[i]
    assert after >= before - 1e-12
    # …and the engine's own combination is the one checked here.
    assert np.allclose(_score_from(ls, ls.criteria, params), ls.score)


def _score_from(ls, criteria, params):
    total = sum(ls.weights.values())
    fit = sum(ls.weights[n] * criteria[n] for n in ls.weights) / total
    return (ls.value * fit ** params.fit_exponent * ls.tier_multiplier * ls.penalty
            * ls.p_accept * ls.win_factor * ls.load)


@FAST
@given(tables(), leads, st.integers(1, 3), st.integers(0, 2**32))
def test_it_raises_the_score_of_a_partner_with_a_higher_competency_level(table, lead, step,
                                                                           seed):
    assume(lead.competencies)
    code = lead.competencies[0]
    params = PolicyParams(exploration_rate=0.0)
    before = score_lead(table, lead, params, DAY).score.copy()
    entry = table.competencies.get(code)
    assume(entry is not None)
    idx, levels = entry
    better = copy.copy(table)
    better._memo = {}
    better.competencies = dict(table.competencies)
    better.competencies[code] = (idx, np.minimum(levels + step, 3))
    after = score_lead(better, lead, params, DAY).score
    assert np.all(after >= before - 1e-9)


@FAST
@given(tables(max_size=10), st.lists(leads, min_size=1, max_size=12), st.integers(0, 2**32),
       st.sampled_from(["greedy", "thompson"]))
def test_it_never_exceeds_a_capacity_in_a_batch(table, batch, seed, exploration):
    params = PolicyParams(exploration=exploration, exploration_rate=0.2)
    result = assign_batch(table, batch, params, seed=seed, today=TODAY)
    counts: dict[int, int] = {}
    for pid in result.assignments:
        if pid is not None:
            counts[pid] = counts.get(pid, 0) + 1
    for pid, count in counts.items():
        i = table.index_of[pid]
        assert table.load[i] + count <= table.capacity[i]
    for the_lead, pid, ranking in zip(batch, result.assignments, result.rankings, strict=True):
        if pid is not None:
            ls = score_lead(table, the_lead, replace(params), DAY)
            assert ls.eligible[table.index_of[pid]]
            assert ranking.chosen[0] == pid
