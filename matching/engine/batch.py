"""Assigning many leads at once under capacities, so the first leads of a bulk import do
not use up the best partners.

Each partner p with r_p places left (capacity − open load − pending offers) offers slots
j = 0 … r_p − 1. Lead l in slot j of p is worth

    S[l, p] · ψ((load_p + j) / capacity_p)^c

— S the lead's score without the load factor, ψ the load factor the partner would have
after j more leads — so later slots are worth less and leads spread (BALANCE). The total
over leads × slots is maximised as an assignment problem: scipy's linear_sum_assignment on
the dense matrix for small batches, its sparse form (min_weight_full_bipartite_matching)
for large ones. Each slot holds at most one lead, so no partner exceeds its capacity. One
"nobody" column per lead, worth less than any eligible slot, keeps the problem feasible
when leads outnumber places.

To keep the problem small each lead considers only its best K = min(leads, 32) partners, and
a partner offers at most as many slots as leads want it; a lead whose K partners are all
full afterwards gets the best partner that still has room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matching.engine.ranking import (
    LeadScores,
    Ranking,
    _sampled_scores,
    chosen_for_mode,
    explain,
    factor_exponents,
    load_factor,
    score_lead,
)
from matching.engine.types import LeadProfile, PartnerTable, PolicyParams

CANDIDATES_PER_LEAD = 32
DENSE_LIMIT = 2_000_000  # matrix entries up to which the dense solver is used
NOBODY = -0.5  # the value of leaving a lead unassigned; eligible slots are worth ≥ 0


@dataclass
class BatchResult:
    assignments: list[int | None]  # partner id per lead, in input order
    rankings: list[Ranking]


@dataclass
class _Row:
    """What one lead contributes to the batch (kept small: no per-partner arrays)."""

    shortlist: np.ndarray  # partner indexes, best first
    values: np.ndarray  # their scores without the load factor
    by_score: list[int]  # eligible partner indexes by posterior-mean score (top depth)
    kept: np.ndarray  # partner indexes whose scores are kept for the explanation
    scores: LeadScores  # restricted to `kept`
    excluded: dict[str, int]
    eligible_count: int
    arm: str


def _solve(rows: list[_Row], table: PartnerTable, params: PolicyParams,
           dense_limit: int) -> list[int | None]:
    """The assignment problem over leads × capacity slots (see the module docstring)."""
    n_leads = len(rows)
    remaining = np.maximum(table.capacity - table.load, 0).astype(np.int64)
    edge_lead = np.concatenate([np.full(len(r.shortlist), i) for i, r in enumerate(rows)])
    edge_partner = np.concatenate([r.shortlist for r in rows]).astype(np.int64)
    edge_value = np.concatenate([r.values for r in rows]).astype(float)
    partners, demand = np.unique(edge_partner, return_counts=True)
    slots = np.zeros(len(table), dtype=np.int64)
    slots[partners] = np.minimum(remaining[partners], demand)
    slot_start = np.zeros(len(table), dtype=np.int64)
    slot_start[partners] = np.concatenate([[0], np.cumsum(slots[partners])[:-1]]) \
        if len(partners) else []
    total_slots = int(slots.sum())
    # One edge per (lead, partner) becomes one edge per slot of that partner.
    per_edge = slots[edge_partner]
    keep = np.repeat(np.arange(len(edge_partner)), per_edge)
    j = np.arange(len(keep)) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    partner_of = edge_partner[keep]
    exponent = factor_exponents(params)["load"]
    psi = load_factor(table.load[partner_of] + j, table.capacity[partner_of]) ** exponent
    rows_idx = np.concatenate([edge_lead[keep], np.arange(n_leads)])
    cols_idx = np.concatenate([slot_start[partner_of] + j, total_slots + np.arange(n_leads)])
    values = np.concatenate([edge_value[keep] * psi, np.full(n_leads, NOBODY)])
    shape = (n_leads, total_slots + n_leads)

    if shape[0] * shape[1] <= dense_limit:
        dense = np.full(shape, -np.inf)
        dense[rows_idx, cols_idx] = values
        dense[np.isneginf(dense)] = NOBODY - 1.0  # worse than nobody: never chosen
        lead_of, col_of = linear_sum_assignment(dense, maximize=True)
    else:
        # Sparse: an absent entry is no edge, so shift all values above zero.
        graph = csr_matrix((values - NOBODY + 1.0, (rows_idx, cols_idx)), shape=shape)
        lead_of, col_of = min_weight_full_bipartite_matching(graph, maximize=True)
    slot_partner = np.repeat(np.arange(len(table)), slots)
    assignment: list[int | None] = [None] * n_leads
    used = np.zeros(len(table), dtype=np.int64)
    for lead, col in zip(lead_of, col_of, strict=True):
        if col < total_slots:
            assignment[lead] = int(slot_partner[col])
            used[slot_partner[col]] += 1
    # Leads whose shortlisted partners were full: the best partner with room left.
    for lead, row in enumerate(rows):
        if assignment[lead] is None and row.eligible_count:
            for i in row.by_score:
                if used[i] < remaining[i]:
                    assignment[lead] = i
                    used[i] += 1
                    break
    return assignment


def assign_batch(table: PartnerTable, leads: list[LeadProfile], params: PolicyParams, *,
                 seed: int, today: date, dense_limit: int = DENSE_LIMIT) -> BatchResult:
    """Assign `leads` jointly; returns the partner per lead (None: nobody eligible or no room)
    and each lead's explained ranking with its assigned partner first.

    Exploration: Thompson samples p(accept) and p(win) once per lead; greedy sends a share ε
    of the leads (drawn with the seed) to eligible new partners only."""
    day = today.toordinal()
    if not leads:
        return BatchResult([], [])
    rng = np.random.default_rng(seed)
    epsilon = min(max(params.exploration_rate, 0.0), 1.0)
    depth = max(params.keep_top, params.max_attempts, params.broadcast_count, 1)
    k = min(len(leads), CANDIDATES_PER_LEAD)
    rows: list[_Row] = []
    for lead in leads:  # each lead vectorised over all partners
        ls = score_lead(table, lead, params, day)
        eligible = np.flatnonzero(ls.eligible)
        with np.errstate(divide="ignore", invalid="ignore"):
            unloaded = np.where(ls.load > 0, ls.score / ls.load, 0.0)
        arm, candidates = "greedy", eligible
        if len(eligible) and params.exploration == "thompson" and params.use_performance:
            sampled = _sampled_scores(ls, eligible, params, rng)
            with np.errstate(divide="ignore", invalid="ignore"):
                unloaded[eligible] = np.where(ls.load[eligible] > 0,
                                              sampled / ls.load[eligible], 0.0)
            arm = "thompson"
        elif len(eligible) and epsilon > 0:
            pool = eligible[ls.closed[eligible] < params.exploration_min_closed]
            if len(pool) and rng.random() < epsilon:
                candidates, arm = pool, "explore"
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-unloaded[candidates], k - 1)[:k]]
        candidates = candidates[np.lexsort((table.ids[candidates], -unloaded[candidates]))]
        by_score = eligible[np.lexsort((table.ids[eligible], -ls.score[eligible]))][:depth]
        kept = np.union1d(by_score, candidates).astype(np.int64)
        rows.append(_Row(candidates, unloaded[candidates], by_score.tolist(), kept,
                         ls.take(kept), ls.excluded, len(eligible), arm))

    assignment = _solve(rows, table, params, dense_limit)

    rankings = []
    for lead, (row, first) in enumerate(zip(rows, assignment, strict=True)):
        order_idx = ([first] if first is not None else []) + \
            [i for i in row.by_score if i != first]
        scores, kept = row.scores, row.kept
        if first is not None and first not in set(kept.tolist()):  # assigned by the fallback
            scores, kept = score_lead(table, leads[lead], params, day), np.arange(len(table))
        position = {int(i): p for p, i in enumerate(kept.tolist())}
        view = _TableView(table.ids[kept], [table.names[i] for i in kept.tolist()])
        probability = 1.0
        if row.arm == "explore":
            probability = epsilon
        elif row.arm == "greedy" and epsilon > 0:
            probability = 1.0 - epsilon
        local = [position[i] for i in order_idx]
        probabilities = {position[first]: probability} if first is not None else {}
        candidates = explain(view, scores, local, probabilities, params)
        order = [int(table.ids[i]) for i in order_idx] if first is not None else []
        rankings.append(Ranking(
            order=order, chosen=chosen_for_mode(order, params), candidates=candidates,
            excluded=row.excluded, eligible_count=row.eligible_count, arm=row.arm, seed=seed,
            probabilities={int(table.ids[first]): probability} if first is not None else {},
        ))
    return BatchResult(
        assignments=[int(table.ids[i]) if i is not None else None for i in assignment],
        rankings=rankings,
    )


@dataclass
class _TableView:
    """The two table columns an explanation needs, for a subset of partners."""

    ids: np.ndarray
    names: list[str]
