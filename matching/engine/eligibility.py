"""Hard rules: which partners may get a lead at all, and why the others may not."""

from __future__ import annotations

import numpy as np

from matching.engine.types import RULES, LeadProfile, PartnerTable

EARTH_RADIUS_KM = 6371.0


def great_circle_km(lat1, lon1, lat2: float, lon2: float) -> np.ndarray:
    """Haversine distance in km between arrays of points and one point (NaN if unknown)."""
    lat1, lon1 = np.radians(lat1), np.radians(lon1)
    lat2, lon2 = np.radians(lat2), np.radians(lon2)
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def partner_distances(table: PartnerTable, lead: LeadProfile) -> np.ndarray:
    """Distance of every partner's home from the lead in km; NaN where either is unknown.
    (The same haversine as great_circle_km, with the partners' trigonometry prepared once.)"""
    if lead.latitude is None or lead.longitude is None:
        return np.full(len(table), np.nan)
    if "trig" not in table._memo:
        lat, lon = np.radians(table.lat), np.radians(table.lon)
        table._memo["trig"] = (np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon))
    sin_lat1, cos_lat1, sin_lon1, cos_lon1 = table._memo["trig"]
    lat2, lon2 = np.radians(lead.latitude), np.radians(lead.longitude)
    # sin²(Δ/2) = (1 − cos Δ) / 2, with cos Δ from the prepared sines and cosines.
    cos_dlat = cos_lat1 * np.cos(lat2) + sin_lat1 * np.sin(lat2)
    cos_dlon = cos_lon1 * np.cos(lon2) + sin_lon1 * np.sin(lon2)
    a = (1.0 - cos_dlat) / 2 + cos_lat1 * np.cos(lat2) * (1.0 - cos_dlon) / 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _postal_prefixes(postal_code: str) -> list[str]:
    code = postal_code.upper().replace(" ", "")
    return [code[:k] for k in range(1, len(code) + 1)]


def territory_ok(table: PartnerTable, lead: LeadProfile, distance_km: np.ndarray) -> np.ndarray:
    """A partner covers the lead if any of its territories does. A territory covers it by
    country alone (no prefixes, no radius), by country and one of its postal-code prefixes,
    or by radius: great-circle distance from the partner's home ≤ radius_km. When the lead or
    partner has no coordinates, a radius territory falls back to its country."""
    n_terr = len(table.terr_partner)
    country = table.country_vocab.get(lead.country.upper(), -1)
    country_ok = table.terr_country == country
    prefix_hit = np.zeros(n_terr, dtype=bool)
    if len(table.prefix_id) and lead.postal_code:
        lead_ids = [table.prefix_vocab[p] for p in _postal_prefixes(lead.postal_code)
                    if p in table.prefix_vocab]
        if lead_ids:
            hits = np.isin(table.prefix_id, lead_ids)
            prefix_hit = np.bincount(table.prefix_terr[hits], minlength=n_terr) > 0
    ok = country_ok & (prefix_hit | ~table.terr_has_prefixes)
    radius_idx = table.terr_radius_idx
    if len(radius_idx):
        d = distance_km[table.terr_partner[radius_idx]]
        within = np.where(np.isnan(d), country_ok[radius_idx],
                          d <= table.terr_radius[radius_idx])
        ok[radius_idx] = within | (table.terr_has_prefixes[radius_idx]
                                   & country_ok[radius_idx] & prefix_hit[radius_idx])
    return np.bincount(table.terr_partner[ok], minlength=len(table)) > 0


def certifications_held(table: PartnerTable, codes: list[str], day: int) -> np.ndarray:
    """Per partner and requested certification: held and valid on `day` → (N, len(codes))."""
    held = np.zeros((len(table), len(codes)), dtype=bool)
    for j, code in enumerate(codes):
        entry = table.certifications.get(code)
        if entry is not None:
            idx, valid_until = entry
            held[idx[valid_until >= day], j] = True
    return held


def products_available(table: PartnerTable, codes: list[str]) -> np.ndarray:
    """Per partner and requested product: carried and available → (N, len(codes))."""
    available = np.zeros((len(table), len(codes)), dtype=bool)
    for j, code in enumerate(codes):
        entry = table.products.get(code)
        if entry is not None:
            idx, avail = entry
            available[idx[avail], j] = True
    return available


def rule_checks(table: PartnerTable, lead: LeadProfile, day: int,
                distance_km: np.ndarray) -> dict[str, np.ndarray]:
    """Each rule of RULES as a boolean array over partners: True = the partner passes."""
    n = len(table)
    checks: dict[str, np.ndarray] = {}
    checks["status"] = table.active & (table.paused_until < day)
    checks["declined"] = (~np.isin(table.ids, lead.excluded_partner_ids)
                          if lead.excluded_partner_ids else np.ones(n, dtype=bool))
    checks["territory"] = territory_ok(table, lead, distance_km)
    if lead.language:
        speaks = np.zeros(n, dtype=bool)
        idx = table.languages.get(lead.language.lower())
        if idx is not None:
            speaks[idx] = True
        checks["language"] = speaks | ~table.speaks_any  # no languages listed: not known
    else:
        checks["language"] = np.ones(n, dtype=bool)
    checks["product"] = products_available(table, lead.products).all(axis=1)
    checks["certification"] = certifications_held(table, lead.certifications, day).all(axis=1)
    if lead.deal_value is None:
        checks["deal_band"] = np.ones(n, dtype=bool)
    else:
        checks["deal_band"] = (table.band_min <= lead.deal_value) & (
            lead.deal_value <= table.band_max)
    checks["capacity"] = table.load < table.capacity
    return checks


def eligibility(checks: dict[str, np.ndarray], hard_rules: frozenset[str]
                ) -> tuple[np.ndarray, dict[str, int], np.ndarray]:
    """Apply the hard rules. Returns (eligible mask, {reason: count}, soft violations per
    partner). Each excluded partner is counted once, under the first hard rule (in RULES
    order) it fails, so the counts add up to the number excluded."""
    n = len(next(iter(checks.values())))
    eligible = np.ones(n, dtype=bool)
    excluded: dict[str, int] = {}
    soft_violations = np.zeros(n, dtype=np.int64)
    for rule in RULES:
        passes = checks[rule]
        if rule in hard_rules:
            newly = eligible & ~passes
            count = int(newly.sum())
            if count:
                excluded[rule] = count
            eligible &= passes
        else:
            soft_violations += ~passes
    return eligible, excluded, soft_violations
