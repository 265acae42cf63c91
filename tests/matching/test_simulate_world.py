"""The routing simulator (bench/simulate.py): worlds reproducible by seed, runs through the
real product reproducible too, and the product never breaks a capacity."""

from dataclasses import asdict

import pytest

from bench.simulate import World, run_policy, summarize


def _small(seed=1, **kw):
    return World(seed=seed, partners_count=12, leads_count=25, **kw)


def test_it_draws_the_same_world_from_the_same_seed():
    assert [asdict(p) for p in _small(4).partners] == [asdict(p) for p in _small(4).partners]
    assert [asdict(le) for le in _small(4).leads] == [asdict(le) for le in _small(4).leads]


def test_it_draws_another_world_from_another_seed():
    assert [asdict(p) for p in _small(4).partners] != [asdict(p) for p in _small(5).partners]


def test_it_keeps_the_hidden_probabilities_in_range():
    world = _small(2, drift=True, late_joiners=3)
    for lead in world.leads:
        for partner in world.partners:
            assert 0 <= world.p_accept(lead, partner) <= 1
            assert 0 < world.p_win(lead, partner) < 1
    assert sum(p.join_lead > 0 for p in world.partners) == 3


@pytest.mark.django_db(transaction=True)
def test_it_replays_a_run_exactly_from_the_seed():
    world = World(seed=3, partners_count=6, leads_count=8)
    first, second = (summarize(run_policy(world, "closed_loop")) for _ in range(2))
    for summary in (first, second):
        summary.pop("seconds")
    assert first == second
    assert first["leads"] == 8 and first["offers_per_lead"] > 0


@pytest.mark.django_db(transaction=True)
def test_it_never_lets_a_partner_hold_more_than_its_capacity():
    world = World(seed=6, partners_count=4, leads_count=12)
    for partner in world.partners:
        partner.capacity = 2
    result = summarize(run_policy(world, "oracle"))
    assert result["capacity_violations"] == 0


def test_it_refuses_an_unknown_policy():
    with pytest.raises(ValueError):
        run_policy(_small(), "magic")
