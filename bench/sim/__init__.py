"""The routing-quality simulator (issue 7): a seeded world with hidden truth, driven through
the real product. `bench/simulate.py` is the command line; tests import from here."""

from bench.sim.driver import POLICIES, RunResult, run_policy
from bench.sim.world import World

__all__ = ["POLICIES", "RunResult", "World", "run_policy"]
