"""The manager dashboard (insights) and the partner's "My performance" page.

Every page answers `?export=<table>` with that table as CSV. Numbers come from
feedback.analytics (SQL aggregates) and feedback.selectors.
"""

from __future__ import annotations

import csv
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from feedback import analytics, charts, selectors
from feedback.forms import FeedbackSettingsForm
from feedback.models import OVERALL, PartnerStats, PartnerTier, StatsPeriod, Tier
from feedback.rollup import tenant_zone
from feedback.rollup_reads import coverage_get
from feedback.rules import rule_action_reverse
from feedback.tenant_settings import feedback_settings_get
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.access import manager_required
from leadrouter.tenancy.models import Role


def _partner_id(request: HttpRequest) -> int:
    membership = request.membership
    if membership is None or membership.role != Role.PARTNER or membership.partner_id is None:
        raise Http404
    return membership.partner_id


def _period(request: HttpRequest) -> analytics.Period:
    """The period asked for, in whole days of the tenant's time zone (the rollup's days)."""
    return analytics.period_parse(request.GET.get("days"), request.GET.get("end"),
                                  tz=tenant_zone(request.tenant.timezone))


def _csv(name: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return response


def _seconds(value) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _period_context(request: HttpRequest, period: analytics.Period) -> dict:
    return {"period": period, "days_choices": analytics.PERIOD_CHOICES,
            "days": period.days, "end": period.last_day.isoformat(),
            "query": f"days={period.days}&end={period.last_day.isoformat()}"}


@manager_required
def overview(request: HttpRequest) -> HttpResponse:
    """KPIs against the previous period, funnel, leakage, Pareto, tiers, SLA breaches."""
    period = _period(request)
    export = request.GET.get("export")
    figures = selectors.overview_figures(tenant=request.tenant, period=period,
                                         fresh=bool(export))
    data, pareto, tiers = figures["data"], figures["pareto"], figures["tiers"]
    movement, breaches = figures["movement"], figures["breaches"]
    if export == "kpis":
        return _csv("kpis", ["metric", "current", "previous", "change"],
                    ([r["key"], _seconds(r["current"]) if r["kind"] == "duration"
                      else r["current"], _seconds(r["previous"]) if r["kind"] == "duration"
                      else r["previous"], r["change"]] for r in data["rows"]))
    if export == "funnel":
        return _csv("funnel", ["step", "count"], data["funnel"] + data["leakage"])
    if export == "pareto":
        return _csv("pareto", ["partner_id", "partner", "revenue", "won", "share",
                               "cumulative_share"],
                    ([r["partner_id"], r["partner__name"], r["revenue"], r["won"],
                      round(r["share"], 4), round(r["cumulative"], 4)] for r in pareto["rows"]))
    if export == "tiers":
        return _csv("tiers", ["tier", "partners"], ([t["tier"], t["count"]] for t in tiers))
    if export == "movement":
        return _csv("tier-movement", ["from", "to", "count"],
                    ([m["from_tier"], m["to_tier"], m["count"]] for m in movement))
    if export == "sla":
        return _csv("sla-breaches", ["partner_id", "partner", "expired"],
                    ([b["partner_id"], b["partner__name"], b["expired"]] for b in breaches))
    context = {
        **_period_context(request, period), "data": data,
        "funnel": charts.funnel(data["funnel"]), "leakage": data["leakage"],
        "pareto": pareto, "pareto_chart": charts.pareto(pareto["rows"], pareto["total"]),
        "pareto_top": pareto["rows"][:10], "tiers": tiers, "movement": movement,
        "breaches": breaches, "figures_at": figures["at"],
        "figures_max_age": selectors.OVERVIEW_CACHE_SECONDS,
    }
    template = "feedback/overview.html"
    if request.htmx:
        template += "#insights-body"
    return render(request, template, context)


LEADERBOARD_COLUMNS = [
    ("name", gettext_lazy("Partner")),
    ("offers", gettext_lazy("Offers")),
    ("accepts", gettext_lazy("Accepted")),
    ("accept_rate", gettext_lazy("Accept rate")),
    ("time_to_accept", gettext_lazy("Median time to accept")),
    ("expired", gettext_lazy("Expired")),
    ("won", gettext_lazy("Won")),
    ("conversion", gettext_lazy("Conversion")),
    ("revenue", gettext_lazy("Revenue")),
]


@manager_required
def leaderboard(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    sort = request.GET.get("sort", "-revenue")
    coverage = coverage_get()
    if request.GET.get("export") == "leaderboard":
        rows = analytics.leaderboard(period, sort, limit=None, coverage=coverage)
        return _csv("leaderboard", ["partner_id", "partner", "tier", "offers", "accepts",
                                    "accept_rate", "median_seconds_to_accept", "expired",
                                    "won", "closed", "conversion", "revenue"],
                    ([r["partner_id"], r["partner__name"], r["partner__tier_state__tier"],
                      r["offers"], r["accepts"], r["accept_rate"], _seconds(r["time_to_accept"]),
                      r["expired"], r["won"], r["closed"], r["conversion"], r["revenue"]]
                     for r in rows))
    rows = analytics.leaderboard(period, sort, coverage=coverage)
    current = sort.lstrip("-")
    columns = [{"key": key, "label": label, "active": key == current,
                "descending": sort.startswith("-"),
                "sort": (key if sort == f"-{key}" else f"-{key}")} for key, label in
               LEADERBOARD_COLUMNS]
    context = {**_period_context(request, period), "rows": rows, "columns": columns,
               "sort": sort}
    template = "feedback/leaderboard.html"
    if request.htmx:
        template += "#leaderboard-table"
    return render(request, template, context)


@manager_required
def partner_detail(request: HttpRequest, partner_id: int) -> HttpResponse:
    """One partner's strengths and weaknesses by segment against the tenant average,
    reject and loss reasons, and the monthly trend."""
    partner = selectors.get_partner_for_user(partner_id=partner_id)
    segments = analytics.partner_segments(partner.pk)
    reasons = analytics.partner_reasons(partner.pk)
    trend = analytics.partner_trend(partner.pk)
    export = request.GET.get("export")
    if export == "segments":
        return _csv(f"partner-{partner.pk}-segments",
                    ["segment", "offers", "accept_rate", "tenant_accept_rate", "closed", "won",
                     "conversion", "tenant_conversion", "revenue", "verdict"],
                    ([s["segment"], s["offers"], s["accept_rate"], s["tenant_accept_rate"],
                      s["closed"], s["won"], s["conversion"], s["tenant_conversion"],
                      s["revenue"], s["verdict"]] for s in segments))
    if export == "reasons":
        return _csv(f"partner-{partner.pk}-reasons", ["period", "kind", "reason", "count"],
                    ([period, kind, reason, count] for period, by_kind in reasons.items()
                     for kind, items in by_kind.items() for reason, count in items))
    if export == "trend":
        return _csv(f"partner-{partner.pk}-trend", ["month", "offers", "accepts", "won",
                                                    "lost", "revenue"],
                    ([t["month"].date().isoformat() if t["month"] else "", t["offers"],
                      t["accepts"], t["won"], t["lost"], t["revenue"]] for t in trend))
    stats = selectors.partner_stats(partner=partner)
    return render(request, "feedback/partner.html", {
        "partner": partner, "stats": stats, "segments": segments, "reasons": reasons,
        "trend": trend, "trend_chart": charts.monthly_bars(trend, "won"),
        "average": selectors.tenant_average(),
        "actions": analytics.rule_actions(partner_id=partner.pk, limit=20),
    })


@manager_required
def romi(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    rows = analytics.romi(period)
    if request.GET.get("export") == "romi":
        return _csv("romi", ["source", "campaign", "leads", "cost", "won", "revenue", "romi",
                             "cost_per_won"],
                    ([r["source"], r["campaign"], r["leads"], r["cost"], r["won"],
                      r["revenue"], r["romi"], r["cost_per_won"]] for r in rows))
    return render(request, "feedback/romi.html", {**_period_context(request, period),
                                                  "rows": rows})


@manager_required
def tiers(request: HttpRequest) -> HttpResponse:
    """Tier distribution and movement, the rules' actions (reversible) and the settings."""
    period = _period(request)
    settings = feedback_settings_get(tenant=request.tenant)
    form = FeedbackSettingsForm(instance=settings)
    if request.method == "POST":
        form = FeedbackSettingsForm(request.POST, instance=settings)
        if form.is_valid():
            from feedback.services import feedback_settings_update

            try:
                feedback_settings_update(tenant=request.tenant, actor=request.user,
                                         changes=form.cleaned_data)
                messages.success(request, _("Settings saved."))
                return redirect("feedback:tiers")
            except DomainError as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
    actions = analytics.rule_actions(period)
    tier_rows = analytics.tier_distribution()
    movement = analytics.tier_movement(period)
    export = request.GET.get("export")
    if export == "actions":
        return _csv("rule-actions", ["created_at", "partner_id", "partner", "rule", "action",
                                     "reason", "ended_at", "reversed_at", "reversed_by"],
                    ([a.created_at.isoformat(), a.partner_id, a.partner.name, a.rule, a.action,
                      a.reason, a.ended_at.isoformat() if a.ended_at else "",
                      a.reversed_at.isoformat() if a.reversed_at else "", a.reversed_by]
                     for a in actions))
    if export == "tiers":
        return _csv("tiers", ["tier", "partners"], ([t["tier"], t["count"]] for t in tier_rows))
    if export == "movement":
        return _csv("tier-movement", ["from", "to", "count"],
                    ([m["from_tier"], m["to_tier"], m["count"]] for m in movement))
    return render(request, "feedback/tiers.html", {
        **_period_context(request, period), "form": form, "settings": settings,
        "actions": actions, "tiers": tier_rows, "movement": movement,
    })


@manager_required
@require_POST
def action_reverse(request: HttpRequest, action_id: int) -> HttpResponse:
    try:
        rule_action_reverse(action_id=action_id, actor=request.user)
        messages.success(request, _("Action reversed."))
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    return redirect(request.POST.get("next") or "feedback:tiers")


@manager_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    """Recompute statistics, tiers and rules now (in the background)."""
    from feedback.tasks import recompute_tenant_task

    recompute_tenant_task.delay_on_commit(request.tenant.pk)
    messages.success(request, _("Recomputing statistics and tiers; refresh in a minute."))
    return redirect("feedback:tiers")


# --- Partner portal -----------------------------------------------------------------------

@login_required
def portal_performance(request: HttpRequest) -> HttpResponse:
    """The partner's own numbers against the tenant average, its tier and what moves it,
    strengths by segment, and why recent leads did or did not come to it."""
    partner_id = _partner_id(request)
    partner = selectors.get_partner_for_user(partner_id=partner_id, partner_scope=partner_id)
    settings = feedback_settings_get(tenant=request.tenant)
    own = {r.period: r for r in PartnerStats.objects.filter(partner_id=partner_id,
                                                             segment=OVERALL)}
    state = PartnerTier.objects.filter(partner_id=partner_id).first()
    return render(request, "feedback/portal_performance.html", {
        "partner": partner, "settings": settings,
        "window": own.get(StatsPeriod.WINDOW), "all_time": own.get(StatsPeriod.ALL),
        "average": selectors.tenant_average(),
        "average_accept_seconds": selectors.tenant_median_accept_seconds(),
        "tier": state.tier if state else Tier.NEW, "tier_state": state,
        "tier_label": Tier(state.tier if state else Tier.NEW).label,
        "segments": analytics.partner_segments(partner_id),
        "why": selectors.decisions_for_partner(partner_id=partner_id),
    })
