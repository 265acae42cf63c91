"""Learned performance: Beta-Binomial estimates with empirical-Bayes shrinkage.

Two rates per partner: p(accept) over answered offers (accepted vs rejected/expired) and
p(win | accepted) over closed leads (won vs lost/returned) — only matured outcomes count, an
open lead is neither. Every event weighs w = 2^(−age / half-life), so the estimate follows
partners who grow or fade. Counts are pooled in three levels, each the prior of the next:

    tenant:            p_T  = (S_T + 1) / (S_T + F_T + 2)
    partner:           p_P  = (m·p_T + S_P) / (m + S_P + F_P)
    partner × segment: p_PS = (m·p_P + S_PS) / (m + S_PS + F_PS)

S, F the decayed successes and failures, m the policy's prior strength (pseudo-observations).
With m = 20 and a tenant win rate of 10 %, a partner with 1 win in 2 is estimated at
(2 + 1) / (20 + 2) ≈ 14 %, not 50 %. The posterior at the segment level is
Beta(m·p_P + S_PS, m·(1 − p_P) + F_PS), which Thompson sampling draws from.

The score does not use the raw p(win) when it can avoid it: `skill_model` (below) compares
each closed lead with what its fit predicted, so a partner is not credited for the fit of
the leads it was given. The raw rates stay what the tiers are computed from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.engine.types import (
    EV_ACCEPTED,
    EV_DECLINED,
    EV_LOST,
    EV_WON,
    PartnerTable,
    PolicyParams,
)


@dataclass
class Rates:
    """Posterior Beta(alpha, beta) per partner for one of the two rates."""

    alpha: np.ndarray
    beta: np.ndarray

    def __post_init__(self) -> None:
        self.mean = self.alpha / (self.alpha + self.beta)


@dataclass
class PartnerPerformance:
    accept: Rates
    win: Rates
    closed: np.ndarray  # raw number of closed leads (won + lost), for n₀ and tiers
    conversion: np.ndarray  # p(accept) · p(win | accepted), partner level
    tier: np.ndarray  # "high" / "moderate" / "weak" / "new"
    tenant_accept: float
    tenant_win: float


def _shrink(successes, failures, prior_mean, strength: float) -> Rates:
    strength = max(strength, 1e-6)
    return Rates(alpha=strength * prior_mean + successes,
                 beta=strength * (1.0 - prior_mean) + failures)


def _decay_weights(table: PartnerTable, day: int, half_life_days: float) -> np.ndarray:
    age = np.maximum(day - table.ev_day, 0.0)
    return np.power(0.5, age / max(half_life_days, 1e-6))


def _counts(table: PartnerTable, weights: np.ndarray, mask: np.ndarray | None, kind: int
            ) -> np.ndarray:
    select = table.ev_kind == kind
    if mask is not None:
        select &= mask
    return np.bincount(table.ev_partner[select], weights=weights[select],
                       minlength=len(table)).astype(float)


def partner_performance(table: PartnerTable, params: PolicyParams, day: int
                        ) -> PartnerPerformance:
    """Partner-level posteriors and tiers; computed once per table, policy and day."""
    key = ("perf", day, params.half_life_days, params.prior_strength,
           params.exploration_min_closed, params.tier_high, params.tier_weak)
    if key in table._memo:
        return table._memo[key]
    w = _decay_weights(table, day, params.half_life_days)
    acc, dec = _counts(table, w, None, EV_ACCEPTED), _counts(table, w, None, EV_DECLINED)
    won, lost = _counts(table, w, None, EV_WON), _counts(table, w, None, EV_LOST)
    tenant_accept = (acc.sum() + 1.0) / (acc.sum() + dec.sum() + 2.0)
    tenant_win = (won.sum() + 1.0) / (won.sum() + lost.sum() + 2.0)
    accept = _shrink(acc, dec, tenant_accept, params.prior_strength)
    win = _shrink(won, lost, tenant_win, params.prior_strength)
    closed_events = (table.ev_kind == EV_WON) | (table.ev_kind == EV_LOST)
    closed = np.bincount(table.ev_partner[closed_events], minlength=len(table))
    conversion = accept.mean * win.mean
    tier = np.where(conversion >= params.tier_high, "high",
                    np.where(conversion < params.tier_weak, "weak", "moderate")).astype(object)
    tier[closed < params.exploration_min_closed] = "new"
    result = PartnerPerformance(accept, win, closed, conversion, tier,
                                float(tenant_accept), float(tenant_win))
    table._memo[key] = result
    return result


def segment_rates(table: PartnerTable, params: PolicyParams, day: int, segment: str
                  ) -> tuple[Rates, Rates]:
    """(accept, win) posteriors of every partner in one segment, shrunk towards the
    partner's overall rate."""
    key = ("segment", segment, day, params.half_life_days, params.prior_strength)
    if key in table._memo:
        return table._memo[key]
    overall = partner_performance(table, params, day)
    seg_id = table.segment_vocab.get(segment)
    if seg_id is None:
        zeros = np.zeros(len(table))
        result = (_shrink(zeros, zeros, overall.accept.mean, params.prior_strength),
                  _shrink(zeros, zeros, overall.win.mean, params.prior_strength))
    else:
        w = _decay_weights(table, day, params.half_life_days)
        in_seg = table.ev_segment == seg_id
        result = (
            _shrink(_counts(table, w, in_seg, EV_ACCEPTED), _counts(table, w, in_seg, EV_DECLINED),
                    overall.accept.mean, params.prior_strength),
            _shrink(_counts(table, w, in_seg, EV_WON), _counts(table, w, in_seg, EV_LOST),
                    overall.win.mean, params.prior_strength),
        )
    table._memo[key] = result
    return result


# --- Skill: wins relative to what fit predicts -----------------------------------------------
#
# A partner's raw win rate mixes its skill with the fit of the leads it was given: the score
# sends well-fitting leads to well-fitting partners, so a partner with a good niche looks
# skilled, and multiplying its raw rate by fit again counts fit twice. The skill compares each
# closed lead with what its fit predicts (indirect standardisation):
#
#     expected win of a closed lead   e = c · fit^γ,  c = (W_T + 1) / (Σ fit^γ + 2)
#     partner skill                   r_P  ~ Gamma(k + W_P, k + E_P)           (prior mean 1)
#     partner × segment               r_PS ~ Gamma(k·r_P + W_PS, k + E_PS)
#
# W the decayed wins, E = Σ e the decayed expected wins, fit the policy's fit of the partner
# for that lead (criteria kept with each event, weighted by the policy), c the tenant's wins
# per unit of fit^γ, k = m · p_T the prior strength m (pseudo-observations) in expected wins.
# The win probability of a partner for a lead is then p̂_win = c · fit^γ · r_PS, and the score
# multiplies fit^γ by r_PS: fit is counted once.

P_WIN_MAX = 0.99


@dataclass
class Skill:
    """Posterior Gamma(shape, rate) of each partner's skill (observed / expected wins)."""

    shape: np.ndarray
    rate: np.ndarray

    def __post_init__(self) -> None:
        self.mean = self.shape / self.rate


@dataclass
class SkillModel:
    scale: float  # c: p̂_win = c · fit^γ at skill 1
    strength: float  # k, in expected wins
    partner: Skill
    wins: np.ndarray  # decayed W_P
    expected: np.ndarray  # decayed E_P
    closed_mask: np.ndarray  # the table's events that count (closed, with criteria)
    event_expected: np.ndarray  # e of each of those events


def _event_fit(table: PartnerTable, params: PolicyParams) -> np.ndarray:
    """Fit of each event's partner for its lead under the policy's weights (NaN unknown)."""
    from matching.engine.types import FIT_CRITERIA

    weights = np.array([max(float(params.weights.get(name, 0.0)), 0.0)
                        for name in FIT_CRITERIA])
    criteria = table.ev_criteria.astype(float)
    if weights.sum() <= 0:
        return np.where(np.isnan(criteria).any(axis=1), np.nan, 1.0)
    return criteria @ weights / weights.sum()


def _skill_key(params: PolicyParams, day: int) -> tuple:
    return (day, params.half_life_days, params.prior_strength, params.fit_exponent,
            tuple(sorted(params.weights.items())))


def skill_model(table: PartnerTable, params: PolicyParams, day: int) -> SkillModel | None:
    """The tenant's calibration c and every partner's skill posterior; None when no closed
    lead in the table has its fit criteria (e.g. a table built without lead profiles)."""
    key = ("skill", *_skill_key(params, day))
    if key in table._memo:
        return table._memo[key]
    result = None
    closed = ((table.ev_kind == EV_WON) | (table.ev_kind == EV_LOST))
    fit = _event_fit(table, params)
    closed &= ~np.isnan(fit)
    if closed.any():
        w = _decay_weights(table, day, params.half_life_days)[closed]
        won = (table.ev_kind[closed] == EV_WON).astype(float)
        base = np.power(np.maximum(fit[closed], 0.0), max(params.fit_exponent, 0.0))
        scale = (float(w @ won) + 1.0) / (float(w @ base) + 2.0)
        partners = table.ev_partner[closed]
        wins = np.bincount(partners, weights=w * won, minlength=len(table))
        expected = np.bincount(partners, weights=w * scale * base, minlength=len(table))
        tenant_win = (float(w @ won) + 1.0) / (float(w.sum()) + 2.0)
        strength = max(params.prior_strength * tenant_win, 1e-6)
        result = SkillModel(scale, strength, Skill(strength + wins, strength + expected),
                            wins, expected, closed, scale * base)
    table._memo[key] = result
    return result


def segment_skill(table: PartnerTable, params: PolicyParams, day: int, segment: str
                  ) -> Skill | None:
    """Skill posteriors of every partner in one segment, shrunk towards its overall skill."""
    key = ("segment-skill", segment, *_skill_key(params, day))
    if key in table._memo:
        return table._memo[key]
    model = skill_model(table, params, day)
    result = None
    if model is not None:
        k, prior = model.strength, model.partner.mean
        seg_id = table.segment_vocab.get(segment)
        wins = expected = np.zeros(len(table))
        if seg_id is not None:
            closed = model.closed_mask
            in_seg = closed & (table.ev_segment == seg_id)
            w = _decay_weights(table, day, params.half_life_days)
            partners = table.ev_partner[in_seg]
            won = (table.ev_kind[in_seg] == EV_WON)
            wins = np.bincount(partners, weights=w[in_seg] * won, minlength=len(table))
            expected = np.bincount(partners, weights=w[in_seg] * model.event_expected[
                in_seg[closed]], minlength=len(table))
        result = Skill(k * prior + wins, k + expected)
    table._memo[key] = result
    return result
