"""Soft fit of each partner to a lead: every function returns an array over partners with
values in [0, 1] (1 = perfect). A criterion the lead says nothing about is 1 for everyone,
so it does not move the ranking."""

from __future__ import annotations

import numpy as np

from matching.engine.eligibility import partner_distances
from matching.engine.types import (
    FIT_CRITERIA,
    LeadProfile,
    PartnerTable,
    PolicyParams,
    industry_sector,
)

UNKNOWN_DISTANCE_FIT = 0.5


def industry_fit(table: PartnerTable, industry: str) -> np.ndarray:
    """f = 1 if the partner lists the lead's industry code or an ancestor of it (a prefix of
    the hierarchical code, `C28` covers `C28.1`); 0.5 if it lists another code of the same
    sector (first letter, `C10` for `C28.1`); 0 otherwise; 1 for all if the lead has none."""
    n = len(table)
    if not industry:
        return np.ones(n)
    fit = np.zeros(n)
    sector = table.sectors.get(industry_sector(industry))
    if sector is not None:
        fit[sector] = 0.5
    code = industry.upper()
    for k in range(1, len(code) + 1):
        idx = table.industries.get(code[:k])
        if idx is not None:
            fit[idx] = 1.0
    return fit


def competency_fit(table: PartnerTable, codes: list[str]) -> np.ndarray:
    """Coverage weighted by level: f = (1/|R|) Σ_{c ∈ R} ℓ_c / 3, where R is the lead's
    requested competencies and ℓ_c ∈ {0, 1, 2, 3} the partner's level in c (0 = lacks it).
    1 for all if the lead requests none."""
    n = len(table)
    if not codes:
        return np.ones(n)
    total = np.zeros(n)
    for code in codes:
        entry = table.competencies.get(code)
        if entry is not None:
            idx, levels = entry
            total[idx] += levels / 3.0
    return total / len(codes)


def size_fit(deal_value: float | None, lead_employees: int | None,
             band_min: np.ndarray, band_max: np.ndarray, partner_employees: np.ndarray,
             *, deal_sigma: float = 1.0, size_sigma: float = 2.0,
             customer_ratio: float = 2.0) -> np.ndarray:
    """How well the lead's size suits the partner, on a log scale; both too big and too small
    lose. f = f_deal · f_company, with

        f_deal    = exp(−d² / 2σ_d²),  d = max(0, ln(min/v), ln(v/max))  (0 inside the band)
        f_company = exp(−r² / 2σ_c²),  r = ln(E_lead / (ρ · E_partner))

    v the deal value, [min, max] the partner's band, E employees, ρ the ideal customer size
    per partner employee (default 2), σ_d = 1 and σ_c = 2 natural-log units. A missing deal
    value or employee count makes that factor 1."""
    with np.errstate(divide="ignore"):
        # ln(min) = −inf for no minimum and ln(max) = +inf for no maximum: never outside.
        log_min = np.log(np.maximum(band_min, 0.0))
        log_max = np.log(np.where(band_max > 0, band_max, np.inf))
    return size_fit_logs(deal_value, lead_employees, log_min, log_max,
                         np.log(np.maximum(partner_employees, 1.0)), deal_sigma=deal_sigma,
                         size_sigma=size_sigma, customer_ratio=customer_ratio)


def size_fit_logs(deal_value, lead_employees, log_min, log_max, log_employees, *,
                  deal_sigma: float, size_sigma: float, customer_ratio: float) -> np.ndarray:
    """size_fit on the partners' logarithms (prepared once per table)."""
    fit = np.ones(len(log_employees))
    if deal_value is not None and deal_value > 0:
        log_v = np.log(deal_value)
        d = np.maximum(0.0, np.maximum(log_min - log_v, log_v - log_max))
        fit *= np.exp(-(d ** 2) / (2 * deal_sigma ** 2))
    if lead_employees is not None and lead_employees > 0:
        r = np.log(lead_employees / customer_ratio) - log_employees
        fit *= np.exp(-(r ** 2) / (2 * size_sigma ** 2))
    return fit


def distance_fit(distance_km: np.ndarray, scale_km: float = 100.0) -> np.ndarray:
    """f = exp(−d / D): 1 at the partner's door, 0.37 at D (default 100 km), → 0 far away;
    0.5 where the lead's or the partner's location is unknown."""
    fit = np.exp(-np.maximum(distance_km, 0.0) / max(scale_km, 1e-9))
    return np.where(np.isnan(distance_km), UNKNOWN_DISTANCE_FIT, fit)


def certification_fit(table: PartnerTable, codes: list[str], day: int,
                      saturation: float = 6.0) -> np.ndarray:
    """With requested certifications R: the level-weighted share held and valid on the day,
    f = Σ_{c ∈ R held} L_c / Σ_{c ∈ R} L_c (L_c the certification's level 1–3).
    Without: the depth of the partner's valid certifications, f = min(1, Σ L_c / S),
    S = saturation (default 6, e.g. two expert certifications)."""
    n = len(table)
    levels = table.certification_levels
    if codes:
        held = np.zeros(n)
        for code in codes:
            entry = table.certifications.get(code)
            if entry is not None:
                idx, valid_until = entry
                held[idx[valid_until >= day]] += levels.get(code, 1.0)
        return held / sum(levels.get(code, 1.0) for code in codes)
    depth = np.zeros(n)
    for code, (idx, valid_until) in table.certifications.items():
        depth[idx[valid_until >= day]] += levels.get(code, 1.0)
    return np.minimum(1.0, depth / max(saturation, 1e-9))


def level_fit(table: PartnerTable) -> np.ndarray:
    """The partner level as a number: platinum 1, gold 0.75, silver 0.5, bronze 0.25,
    registered 0."""
    return table.level


def _size_logs(table: PartnerTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if "size_logs" not in table._memo:
        with np.errstate(divide="ignore"):
            table._memo["size_logs"] = (
                np.log(np.maximum(table.band_min, 0.0)),
                np.log(np.where(table.band_max > 0, table.band_max, np.inf)),
                np.log(np.maximum(table.employees, 1.0)))
    return table._memo["size_logs"]


def fit_criteria(table: PartnerTable, lead: LeadProfile, day: int, distance_km: np.ndarray,
                 params) -> dict[str, np.ndarray]:
    """Every fit criterion for every partner."""
    memo = table._memo
    cert_key = ("cert_depth", day, params.certification_saturation)
    if lead.certifications:
        certification = certification_fit(table, lead.certifications, day,
                                          params.certification_saturation)
    else:  # depends only on the day: once per table
        if cert_key not in memo:
            memo[cert_key] = certification_fit(table, [], day, params.certification_saturation)
        certification = memo[cert_key]
    return {
        "industry": industry_fit(table, lead.industry),
        "competency": competency_fit(table, lead.competencies),
        "size": size_fit_logs(lead.deal_value, lead.employees, *_size_logs(table),
                              deal_sigma=params.deal_sigma, size_sigma=params.size_sigma,
                              customer_ratio=params.customer_ratio),
        "distance": distance_fit(distance_km, params.distance_scale_km),
        "certification": certification,
        "level": level_fit(table),
    }


def event_criteria(table: PartnerTable, items: list) -> np.ndarray:
    """The fit criteria (rows in FIT_CRITERIA order, float32) of each event's partner for the
    event's lead: `items` are (partner index, LeadProfile or None, day ordinal); a row is NaN
    without a profile. Computed when the event enters the table, with the criteria's default
    shapes (distance scale, size and deal widths, customer ratio, certification saturation):
    the policy's *weights* are applied when the skill is estimated (performance.py). One
    vectorised evaluation per distinct lead (its offers and its close share it)."""
    rows = np.full((len(items), len(FIT_CRITERIA)), np.nan, dtype=np.float32)
    defaults = PolicyParams()
    by_lead: dict[int, list[int]] = {}
    for k, (_i, lead, _day) in enumerate(items):
        if lead is not None:
            by_lead.setdefault(id(lead), []).append(k)
    for ks in by_lead.values():
        _i, lead, day = items[ks[0]]
        criteria = fit_criteria(table, lead, day, partner_distances(table, lead), defaults)
        partners = np.array([items[k][0] for k in ks], dtype=np.int64)
        for j, name in enumerate(FIT_CRITERIA):
            rows[ks, j] = criteria[name][partners]
    return rows
