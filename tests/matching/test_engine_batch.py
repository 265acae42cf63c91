"""Joint assignment of a batch under capacities."""

from collections import Counter

from matching.engine import PolicyParams, assign_batch, rank_lead
from tests.matching.engine_helpers import TODAY, lead, partner, table_of


def test_it_spreads_a_batch_instead_of_filling_the_best_partner_first():
    table = table_of(partner(1, level="platinum", capacity=10),
                     partner(2, level="gold", capacity=10))
    params = PolicyParams(exploration_rate=0.0)
    single = {rank_lead(table, lead(), params, seed=1, today=TODAY).order[0]}
    assert single == {1}
    result = assign_batch(table, [lead(id=i) for i in range(6)], params, seed=1, today=TODAY)
    counts = Counter(result.assignments)
    assert counts[1] >= counts[2] >= 2  # both get leads; the better one more or equal


def test_it_respects_capacity_and_leaves_the_rest_unassigned():
    table = table_of(partner(1, capacity=2), partner(2, capacity=1, load=1))
    result = assign_batch(table, [lead(id=i) for i in range(4)], PolicyParams(), seed=1,
                          today=TODAY)
    assert Counter(result.assignments) == {1: 2, None: 2}


def test_it_gives_the_big_deal_to_the_partner_whose_band_fits():
    table = table_of(partner(1, capacity=1, employees=500, deal_min=100000),
                     partner(2, capacity=1, employees=5, deal_max=20000),
                     partner(3, capacity=1, employees=50))
    big, small = lead(id=1, deal_value=400000, employees=800), lead(id=2, deal_value=5000,
                                                                    employees=8)
    result = assign_batch(table, [small, big], PolicyParams(exploration_rate=0.0), seed=1,
                          today=TODAY)
    assert result.assignments == [2, 1]
    assert result.rankings[1].candidates[0]["partner"] == 1


def test_it_records_an_explained_ranking_per_lead():
    table = table_of(partner(1), partner(2, country="AT"))
    result = assign_batch(table, [lead()], PolicyParams(), seed=1, today=TODAY)
    ranking = result.rankings[0]
    assert ranking.chosen == [1] and ranking.excluded == {"territory": 1}
    assert set(ranking.candidates[0]["criteria"]) >= {"industry", "size", "load"}


def test_it_solves_large_batches_sparsely_with_the_same_result():
    table = table_of(*[partner(pid, capacity=2, employees=10 * pid, level="gold" if pid % 2
                               else "silver") for pid in range(1, 9)])
    batch = [lead(id=i, employees=15 * (i + 1), deal_value=1000.0 * (i + 1)) for i in range(12)]
    params = PolicyParams(exploration_rate=0.0)
    dense = assign_batch(table, batch, params, seed=1, today=TODAY)
    sparse = assign_batch(table, batch, params, seed=1, today=TODAY, dense_limit=0)
    assert sparse.assignments == dense.assignments
    assert max(Counter(sparse.assignments).values()) <= 2
