"""Skill: wins compared with what fit predicts, so fit is counted once in the score."""

import numpy as np
import pytest

from matching.engine import EventRecord, PolicyParams, rank_lead, score_lead
from matching.engine.performance import partner_performance, segment_skill, skill_model
from tests.matching.engine_helpers import TODAY, greedy, lead, partner, table_of

DAY = TODAY.toordinal()
NICHE = "C28"  # partner 1 lists it; partner 2 lists J62


def _closed(pid: int, profile, won: int, lost: int) -> list[EventRecord]:
    return ([EventRecord(pid, "won", profile.segment, TODAY, lead=profile)] * won
            + [EventRecord(pid, "lost", profile.segment, TODAY, lead=profile)] * lost)


def _niche_vs_skilled(**counts):
    """Partner 1 received only leads of its industry (fit 3.25/4.3 under the default
    weights), partner 2 only leads outside its industries (2.25/4.3). Partner 1 wins 6 of
    20, partner 2 5 of 20: more raw wins for 1, more than its fit predicts for 2."""
    fitting, poor = lead(id=10, industry=NICHE), lead(id=11, industry=NICHE)
    w1, l1, w2, l2 = counts.get("w1", 6), counts.get("l1", 14), counts.get("w2", 5), \
        counts.get("l2", 15)
    events = _closed(1, fitting, w1, l1) + _closed(2, poor, w2, l2)
    return table_of(partner(1, industries=[NICHE]), partner(2, industries=["J62"]),
                    events=events)


def test_it_rates_a_skilled_partner_with_poor_leads_above_an_average_one_with_good_ones():
    table = _niche_vs_skilled()
    params = greedy()
    raw = partner_performance(table, params, DAY).win.mean
    assert raw[0] > raw[1]  # the raw rate credits partner 1 for the fit of its leads
    skill = skill_model(table, params, DAY).partner.mean
    assert skill[1] > 1.0 > skill[0]
    # A lead that fits both alike (neither lists its industry) goes to the skilled one…
    neutral = lead(id=12, industry="F41")
    ranking = rank_lead(table, neutral, params, seed=1, today=TODAY)
    assert ranking.order[0] == 2
    # …which the raw rate would not have done (a table without the leads' profiles).
    plain = table_of(partner(1, industries=[NICHE]), partner(2, industries=["J62"]),
                     events=[EventRecord(e_pid, kind, "C:small", TODAY)
                             for e_pid, kind, n in ((1, "won", 6), (1, "lost", 14),
                                                    (2, "won", 5), (2, "lost", 15))
                             for _ in range(n)])
    assert rank_lead(plain, neutral, params, seed=1, today=TODAY).order[0] == 1


def test_it_computes_skill_as_observed_over_expected_wins_with_gamma_shrinkage():
    table = _niche_vs_skilled()
    params = PolicyParams(prior_strength=20)
    model = skill_model(table, params, DAY)
    fit1, fit2 = 3.25 / 4.3, 2.25 / 4.3
    scale = (11 + 1) / (20 * fit1 + 20 * fit2 + 2)
    assert model.scale == pytest.approx(scale)
    assert model.expected == pytest.approx([20 * scale * fit1, 20 * scale * fit2])
    k = 20 * (11 + 1) / (40 + 2)  # m · tenant win rate: the prior in expected wins
    assert model.strength == pytest.approx(k)
    assert model.partner.mean == pytest.approx(
        [(k + 6) / (k + 20 * scale * fit1), (k + 5) / (k + 20 * scale * fit2)])


def test_it_keeps_a_partner_with_few_closed_leads_near_average_skill():
    table = _niche_vs_skilled(w1=1, l1=0, w2=30, l2=70)
    skill = skill_model(table, PolicyParams(prior_strength=20), DAY).partner.mean
    assert 1.0 < skill[0] < 1.5  # one win in one closed lead: barely above average
    # Ten wins in ten closed leads (≈ 5 expected) weigh more: (k + 10) / (k + 5.0), k ≈ 7.3.
    table = _niche_vs_skilled(w1=10, l1=0, w2=30, l2=70)
    many = skill_model(table, PolicyParams(prior_strength=20), DAY).partner.mean
    assert many[0] == pytest.approx(1.405, abs=0.005) and many[0] > skill[0]
    weak_prior = skill_model(table, PolicyParams(prior_strength=1), DAY).partner.mean
    assert weak_prior[0] > many[0]


def test_it_falls_back_to_the_raw_rate_without_the_leads_profiles():
    table = table_of(partner(1), events=[EventRecord(1, "won", "C:small", TODAY)])
    assert skill_model(table, PolicyParams(), DAY) is None
    ls = score_lead(table, lead(), greedy(), DAY)
    assert ls.skill is None and ls.win_factor is ls.p_win


def test_it_shrinks_a_segment_towards_the_partners_skill():
    other = lead(id=20, industry="G46", employees=500)
    table = _niche_vs_skilled()
    table.add_events(_closed(1, other, 3, 0))
    params = PolicyParams(prior_strength=20)
    overall = skill_model(table, params, DAY).partner.mean[0]
    in_segment = segment_skill(table, params, DAY, other.segment).mean[0]
    unknown = segment_skill(table, params, DAY, "J:micro").mean[0]
    assert in_segment > overall
    assert unknown == pytest.approx(overall)


def test_it_scores_fit_once_and_reports_a_calibrated_win_rate():
    table = _niche_vs_skilled()
    params = greedy()
    ls = score_lead(table, lead(id=13, industry=NICHE), params, DAY)
    model = skill_model(table, params, DAY)
    skill = segment_skill(table, params, DAY, lead(industry=NICHE).segment).mean
    assert ls.win_factor == pytest.approx(skill)
    assert ls.p_win == pytest.approx(model.scale * ls.fit * skill)
    assert ls.score == pytest.approx(ls.value * ls.fit * ls.tier_multiplier * ls.penalty
                                     * ls.p_accept * skill * ls.load)
    # Without performance the score is fit alone, as before.
    plain = score_lead(table, lead(id=13, industry=NICHE), greedy(use_performance=False), DAY)
    assert plain.skill is None and np.all(plain.win_factor == 1.0)


def test_it_explains_the_skill_factor_and_the_factors_multiply_to_the_score():
    table = _niche_vs_skilled()
    ranking = rank_lead(table, lead(id=14, industry=NICHE), greedy(), seed=3, today=TODAY)
    for candidate in ranking.candidates:
        factors = candidate["factors"]
        assert "skill" in factors and "p_win" not in factors
        assert candidate["criteria"]["skill"] == factors["skill"]
        assert 0 < candidate["criteria"]["p_win"] < 1
        product = np.prod([value for value in factors.values()])
        assert product == pytest.approx(candidate["score"], rel=1e-3)


def test_thompson_draws_the_skill_and_replays_with_the_seed():
    table = _niche_vs_skilled()
    params = PolicyParams(exploration="thompson")
    first = rank_lead(table, lead(id=15, industry="F41"), params, seed=9, today=TODAY)
    again = rank_lead(table, lead(id=15, industry="F41"), params, seed=9, today=TODAY)
    assert first.arm == "thompson" and first.order == again.order
    assert first.probabilities == again.probabilities
    assert sum(first.probabilities.values()) == pytest.approx(1.0, abs=0.01)


def test_the_partner_table_keeps_each_closed_leads_fit_also_when_catching_up(tenant_a):
    from feedback.models import OutcomeEvent
    from leadrouter.tenancy.scoping import tenant_scope
    from matching.engine.fit import fit_criteria
    from matching.engine.types import FIT_CRITERIA
    from matching.partner_table import partner_table_build, partner_table_get
    from matching.routing import lead_profile
    from tests.factories import lead_create
    from tests.matching.routing_factories import profiled_partner

    partner = profiled_partner(tenant_a, industries=["C28"], competencies={"cnc": 2})
    first = lead_create(tenant_a, industry="C28", employees=30, competencies=["cnc"])
    later = lead_create(tenant_a, industry="J62", employees=300, competencies=["cnc", "x"])
    with tenant_scope(tenant_a):
        for kind in ("accepted", "won"):
            OutcomeEvent.objects.create(tenant=tenant_a, lead=first, partner=partner, kind=kind)
        partner_table_get(tenant_a.pk)
        OutcomeEvent.objects.create(tenant=tenant_a, lead=later, partner=partner, kind="lost")
        table = partner_table_get(tenant_a.pk)  # appended by the catch-up, not rebuilt
        rebuilt = partner_table_build()
        profiles = [lead_profile(first, excluded_partner_ids=[]),
                    lead_profile(later, excluded_partner_ids=[])]
    assert table.ev_kind.tolist() == [0, 2, 3]
    assert np.isnan(table.ev_criteria[0]).all()  # an offer's answer needs no fit
    for row, profile in zip(table.ev_criteria[1:], profiles, strict=True):
        criteria = fit_criteria(table, profile, DAY, np.full(1, np.nan), PolicyParams())
        assert row == pytest.approx([criteria[name][0] for name in FIT_CRITERIA], abs=1e-6)
    assert table.ev_criteria[1, 0] == 1.0 and table.ev_criteria[2, 0] == 0.0  # industry
    np.testing.assert_allclose(rebuilt.ev_criteria, table.ev_criteria)
