"""A sanity check of the simulator: on a long-ish run nothing beats the oracle by more than
noise, and every policy gets leads placed."""

import pytest

from bench.simulate import World, run_policy, summarize


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_never_beats_the_oracle_by_more_than_noise():
    world = World(seed=11, partners_count=30, leads_count=200)
    oracle = summarize(run_policy(world, "oracle"))["expected_conversions"]
    for policy in ("random", "closed_loop"):
        summary = summarize(run_policy(world, policy))
        assert summary["expected_conversions"] <= oracle * 1.05, policy
