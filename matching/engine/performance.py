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
