"""Scoring and ranking one lead against every partner, with the explanation.

Score of an eligible partner (all factors ≥ 0, each monotone in its criterion):

    score = V · p̂_accept^a · r^b · fit^γ · ψ(u)^c · tier · penalty^k

    V         the lead's deal value (1 if unknown): scales scores across leads in a batch
    p̂_accept  posterior mean of p(accept) in the lead's segment (see performance.py)
    r         the partner's skill in the lead's segment: its wins over the wins its leads'
              fit predicted (performance.py), so fit counts once; the lead's win
              probability is p̂_win = c · fit^γ · r. Without a skill estimate (a table
              without the leads' profiles) r is the raw posterior mean of p(win | accepted)
    fit       Σ w_i f_i / Σ w_i over the fit criteria (see fit.py), w_i the policy weights
    ψ(u)      1 − e^(u − 1), u = open load / capacity (BALANCE: spread before filling up)
    tier      the policy's multiplier of the partner's tier (high / moderate / weak / new)
    penalty   the soft-rule penalty (0.5), k = number of soft rules the partner fails
    a, b, c   exponents from the policy weights `accept`, `win`, `load` (default 1, 1, 1/4)

Each criterion's contribution to fit is w_i f_i / Σ w_i (they add up to fit); the other
factors are recorded as the multipliers they are (`skill`, or `p_win` without one), and
`p_win` among the criteria is the lead's own win probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from matching.engine.eligibility import eligibility, partner_distances, rule_checks
from matching.engine.fit import fit_criteria
from matching.engine.performance import (
    P_WIN_MAX,
    Rates,
    Skill,
    partner_performance,
    segment_rates,
    segment_skill,
    skill_model,
)
from matching.engine.types import (
    FACTOR_WEIGHT_DEFAULTS,
    FIT_CRITERIA,
    RULES,
    LeadProfile,
    PartnerTable,
    PolicyParams,
)

THOMPSON_PROBABILITY_DRAWS = 200
THOMPSON_PROBABILITY_POOL = 30


def load_factor(load: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """ψ(u) = 1 − e^(u − 1) with u = load / capacity clipped to [0, 1]: 1 − 1/e ≈ 0.63 when
    idle, 0 when full (a partner without capacity counts as full)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(capacity > 0, load / np.where(capacity > 0, capacity, 1.0), 1.0)
    return 1.0 - np.exp(np.clip(u, 0.0, 1.0) - 1.0)


@dataclass
class LeadScores:
    """Everything the engine computed for one lead, over all partners."""

    eligible: np.ndarray
    excluded: dict[str, int]
    checks: dict[str, np.ndarray]
    soft_violations: np.ndarray
    criteria: dict[str, np.ndarray]
    weights: dict[str, float]
    fit: np.ndarray
    accept: Rates | None
    win: Rates | None
    p_accept: np.ndarray
    p_win: np.ndarray
    skill: Skill | None  # with a skill estimate, the score's win factor is its mean
    win_factor: np.ndarray  # what multiplies the score (before exponent b): skill or p̂_win
    load: np.ndarray  # ψ(u)^c
    tier: np.ndarray
    closed: np.ndarray  # raw closed leads per partner (for n₀)
    tier_multiplier: np.ndarray
    penalty: np.ndarray
    value: float
    base: np.ndarray  # V · fit^γ · tier · penalty: the factors that are not sampled
    score: np.ndarray  # posterior-mean score

    def take(self, idx: np.ndarray) -> LeadScores:
        """The same, for the partners `idx` only (to keep a batch's memory small)."""
        def cut(value):
            if isinstance(value, np.ndarray):
                return value[idx]
            if isinstance(value, dict):
                return {k: cut(v) for k, v in value.items()}
            if isinstance(value, Rates):
                return Rates(value.alpha[idx], value.beta[idx])
            if isinstance(value, Skill):
                return Skill(value.shape[idx], value.rate[idx])
            return value
        return LeadScores(**{name: cut(getattr(self, name))
                             for name in self.__dataclass_fields__})


@dataclass
class Ranking:
    order: list[int]  # eligible partner ids in offer order
    chosen: list[int]  # what the policy's mode offers: cascade, broadcast N, manual 1
    candidates: list[dict]  # top `keep_top` of `order`, explained
    excluded: dict[str, int]
    eligible_count: int
    arm: str  # greedy / explore / thompson
    seed: int
    probabilities: dict[int, float] = field(default_factory=dict)
    # Every eligible partner id (not only the explained top): what alternative choosers
    # (the routing benchmark's baselines) pick from.
    eligible_ids: np.ndarray | None = None


def factor_exponents(params: PolicyParams) -> dict[str, float]:
    """The exponents a, b, c of p̂_accept, p̂_win and ψ: the policy's weights `accept`, `win`,
    `load`, else FACTOR_WEIGHT_DEFAULTS."""
    return {name: max(float(params.weights.get(name, default)), 0.0)
            for name, default in FACTOR_WEIGHT_DEFAULTS.items()}


def _tier_multiplier(tiers: np.ndarray, multipliers: dict[str, float]) -> np.ndarray:
    result = np.ones(len(tiers))
    for name, value in multipliers.items():
        result[tiers == name] = max(float(value), 0.0)
    return result


def score_lead(table: PartnerTable, lead: LeadProfile, params: PolicyParams, day: int
               ) -> LeadScores:
    """Eligibility, fit, performance, load and score of every partner for one lead."""
    distance = partner_distances(table, lead)
    checks = rule_checks(table, lead, day, distance)
    eligible, excluded, soft = eligibility(checks, params.hard_rules)
    criteria = fit_criteria(table, lead, day, distance, params)
    weights = {name: max(float(params.weights.get(name, 0.0)), 0.0) for name in FIT_CRITERIA}
    total = sum(weights.values())
    if total > 0:
        fit = sum(weights[name] * criteria[name] for name in FIT_CRITERIA) / total
    else:
        fit = np.ones(len(table))
    exponent = factor_exponents(params)
    performance = partner_performance(table, params, day)
    gamma = max(params.fit_exponent, 0.0)
    skill = None
    if params.use_performance:
        accept, win = segment_rates(table, params, day, lead.segment)
        p_accept, p_win = accept.mean, win.mean
        win_factor = p_win
        model = skill_model(table, params, day)
        if model is not None:
            skill = segment_skill(table, params, day, lead.segment)
            win_factor = skill.mean
            p_win = np.minimum(model.scale * np.power(fit, gamma) * skill.mean, P_WIN_MAX)
    else:
        accept = win = None
        p_accept = p_win = win_factor = np.ones(len(table))
    load = load_factor(table.load, table.capacity) ** exponent["load"]
    # Tiers kept by the feedback loop (rules, manager overrides) win over the estimate.
    stored = getattr(table, "stored_tier", None)
    tiers = performance.tier if stored is None else \
        np.where(stored != "", stored, performance.tier).astype(object)
    tier_key = ("tier", id(performance), id(stored),
                tuple(sorted(params.tier_multipliers.items())))
    if tier_key not in table._memo:
        table._memo[tier_key] = _tier_multiplier(tiers, params.tier_multipliers)
    tier_multiplier = table._memo[tier_key]
    boost = getattr(table, "boost", None)
    if boost is not None:
        tier_multiplier = tier_multiplier * boost
    penalty = np.power(min(max(params.soft_rule_penalty, 0.0), 1.0), soft)
    value = max(float(lead.deal_value), 1.0) if lead.deal_value else 1.0
    base = value * np.power(fit, gamma) * tier_multiplier * penalty
    score = (base * p_accept ** exponent["accept"] * win_factor ** exponent["win"] * load)
    return LeadScores(eligible, excluded, checks, soft, criteria, weights, fit, accept, win,
                      p_accept, p_win, skill, win_factor, load, tiers, performance.closed,
                      tier_multiplier, penalty, value, base, score)


def _sampled_scores(ls: LeadScores, idx: np.ndarray, params: PolicyParams,
                    rng: np.random.Generator, draws: int | None = None) -> np.ndarray:
    """Thompson: scores with p(accept) and p(win) (or the skill) drawn from their
    posteriors."""
    shape = (draws, len(idx)) if draws else (len(idx),)
    exponent = factor_exponents(params)
    a, b = exponent["accept"], exponent["win"]
    p_accept = rng.beta(ls.accept.alpha[idx], ls.accept.beta[idx], size=shape)
    if ls.skill is not None:
        win = rng.gamma(ls.skill.shape[idx], 1.0 / ls.skill.rate[idx], size=shape)
    else:
        win = rng.beta(ls.win.alpha[idx], ls.win.beta[idx], size=shape)
    return ls.base[idx] * p_accept ** a * win ** b * ls.load[idx]


def _best(values: np.ndarray, ids: np.ndarray) -> int:
    """Position of the highest value; ties go to the lowest partner id (deterministic)."""
    top = np.flatnonzero(values == values.max())
    return int(top[np.argmin(ids[top])])


def _top(ls: LeadScores, ids: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """The k best of `idx` by posterior-mean score, best first, ties by partner id."""
    if len(idx) > k:
        part = np.argpartition(-ls.score[idx], k - 1)[:k]
        # Keep everyone tied with the k-th so the id tie-break is exact.
        threshold = ls.score[idx][part].min()
        idx = idx[ls.score[idx] >= threshold]
    order = np.lexsort((ids[idx], -ls.score[idx]))
    return idx[order][:k]


def choose(ls: LeadScores, table: PartnerTable, params: PolicyParams, seed: int
           ) -> tuple[list[int], dict[int, float], str]:
    """Offer order (partner indexes) by the exploration policy, with the probability that
    each of the leading candidates was put first under this policy and seed distribution."""
    eligible = np.flatnonzero(ls.eligible)
    if not len(eligible):
        return [], {}, "greedy"
    rng = np.random.default_rng(seed)
    depth = max(params.keep_top, params.max_attempts, params.broadcast_count, 1)
    top = list(_top(ls, table.ids, eligible, depth))
    probabilities: dict[int, float] = {}
    arm = "greedy"
    if params.exploration == "thompson" and params.use_performance:
        arm = "thompson"
        sampled = _sampled_scores(ls, eligible, params, rng)
        first = int(eligible[_best(sampled, table.ids[eligible])])
        pool = _top(ls, table.ids, eligible, THOMPSON_PROBABILITY_POOL)
        if first not in pool:
            pool = np.append(pool, first)
        draws = _sampled_scores(ls, pool, params, np.random.default_rng([seed, 1]),
                                THOMPSON_PROBABILITY_DRAWS)
        winners = np.bincount(np.argmax(draws, axis=1), minlength=len(pool))
        probabilities = {int(i): float(c) / THOMPSON_PROBABILITY_DRAWS
                         for i, c in zip(pool, winners, strict=True)}
        # The one actually chosen had a chance even if the estimate missed it.
        probabilities[first] = max(probabilities[first], 1.0 / THOMPSON_PROBABILITY_DRAWS)
    else:
        first = int(top[0])
        pool = eligible[ls.closed[eligible] < params.exploration_min_closed]
        epsilon = min(max(params.exploration_rate, 0.0), 1.0)
        explore = rng.random() < epsilon
        probabilities[first] = 1.0
        if len(pool) and epsilon > 0:
            pool_best = int(pool[_best(ls.score[pool], table.ids[pool])])
            probabilities[first] = 1.0 - epsilon
            probabilities[pool_best] = probabilities.get(pool_best, 0.0) + epsilon
            if explore:
                first, arm = pool_best, "explore"
    order = [first] + [int(i) for i in top if i != first]
    return order, probabilities, arm


def chosen_for_mode(order: list[int], params: PolicyParams) -> list[int]:
    if params.mode == "broadcast":
        return order[: max(params.broadcast_count, 1)]
    if params.mode == "manual":
        return order[:1]
    return order[: max(params.max_attempts, 1)]


def explain(table, ls: LeadScores, order_idx: list[int],
            probabilities: dict[int, float], params: PolicyParams) -> list[dict]:
    """The top candidates with each criterion's value and contribution. `table` needs only
    `ids` and `names`, indexed like the arrays of `ls`."""
    idx = np.asarray(order_idx[: params.keep_top], dtype=np.int64)
    if not len(idx):
        return []
    total = sum(ls.weights.values()) or 1.0
    gamma = max(params.fit_exponent, 0.0)
    r = lambda values: np.round(values, 4).tolist()  # noqa: E731
    criteria = {name: r(ls.criteria[name][idx]) for name in FIT_CRITERIA}
    criteria.update({"p_accept": r(ls.p_accept[idx]), "p_win": r(ls.p_win[idx]),
                     "load": r(ls.load[idx])})
    contributions = {name: r(ls.weights[name] * ls.criteria[name][idx] / total)
                     for name in FIT_CRITERIA}
    factors = {"fit": r(ls.fit[idx] ** gamma), "p_accept": criteria["p_accept"]}
    if ls.skill is not None:
        # p̂_win = c · fit^γ · skill: fit is already a factor, the skill is the learned part.
        criteria["skill"] = r(ls.skill.mean[idx])
        factors["skill"] = criteria["skill"]
    else:
        factors["p_win"] = criteria["p_win"]
    factors.update({"load": criteria["load"], "tier": r(ls.tier_multiplier[idx]),
                    "soft_penalty": r(ls.penalty[idx])})
    scores, fits = np.round(ls.score[idx], 6).tolist(), r(ls.fit[idx])
    soft_rules = [rule for rule in RULES if rule not in params.hard_rules]
    candidates = []
    for k, i in enumerate(idx.tolist()):
        candidates.append({
            "partner": int(table.ids[i]),
            "name": table.names[i],
            "rank": k + 1,
            "score": scores[k],
            "probability": round(float(probabilities.get(i, 0.0)), 4),
            "tier": str(ls.tier[i]),
            "fit": fits[k],
            "criteria": {name: values[k] for name, values in criteria.items()},
            "contributions": {name: values[k] for name, values in contributions.items()},
            "factors": {"deal_value": ls.value,
                        **{name: values[k] for name, values in factors.items()}},
            "soft_violations": [rule for rule in soft_rules if not ls.checks[rule][i]],
        })
    return candidates


def rank_lead(table: PartnerTable, lead: LeadProfile, params: PolicyParams, *, seed: int,
              today: date) -> Ranking:
    """Rank every eligible partner for one lead and pick whom to offer it to.

    Greedy (default): the best posterior-mean score, except that with probability ε
    (exploration_rate) the best eligible partner with fewer than n₀ closed leads goes first,
    so new partners get their chance. Thompson: the best score with p(accept) and p(win)
    drawn from their posteriors. Same table, lead, policy, seed and day → same ranking.
    """
    day = today.toordinal()
    ls = score_lead(table, lead, params, day)
    order_idx, probabilities, arm = choose(ls, table, params, seed)
    order = [int(table.ids[i]) for i in order_idx]
    return Ranking(
        order=order,
        chosen=chosen_for_mode(order, params),
        candidates=explain(table, ls, order_idx, probabilities, params),
        excluded=ls.excluded,
        eligible_count=int(ls.eligible.sum()),
        arm=arm,
        seed=seed,
        probabilities={int(table.ids[i]): p for i, p in probabilities.items()},
        eligible_ids=table.ids[ls.eligible],
    )
