"""The routing-policy editor: settings, a live preview of the top 5 for a sample lead, and
the version history. Managers and admins only; everyone else gets 404."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.access import manager_required
from leadrouter.tenancy.templatetags.formatting import tier_word
from leads.models import Lead
from matching.engine import FIT_CRITERIA, RULES
from matching.engine.types import FACTOR_WEIGHT_DEFAULTS, FACTOR_WEIGHTS, TIERS
from matching.holdout import holdout_compare, holdout_running, holdout_start, holdout_stop
from matching.models import Exploration, OfferMode, WhatIfRun
from matching.policy import (
    MAX_TIER_MULTIPLIER,
    MAX_WEIGHT,
    policy_current,
    policy_draft,
    policy_update,
    policy_versions,
)
from matching.routing import policies_preview
from matching.templatetags.matching_explain import CRITERION_LABELS, RULE_LABELS
from matching.whatif import DEFAULT_LEADS, whatif_start

RECENT_LEADS = 20


class PolicyForm(forms.Form):
    """The editable settings, flattened: `weight_<criterion>`, `tier_<tier>`, `hard_rules`."""

    hard_rules = forms.MultipleChoiceField(
        label=_("Hard rules (the others only lower the score)"), required=False,
        choices=[(rule, RULE_LABELS[rule]) for rule in RULES],
        widget=forms.CheckboxSelectMultiple)
    fit_exponent = forms.FloatField(label=_("Fit exponent γ"), min_value=0, max_value=5)
    use_performance = forms.BooleanField(label=_("Use learned performance"), required=False)
    prior_strength = forms.FloatField(label=_("Prior strength (pseudo-leads)"),
                                      min_value=0.1, max_value=1000)
    half_life_days = forms.IntegerField(label=_("Half-life of outcomes (days)"),
                                        min_value=1, max_value=3650)
    exploration = forms.ChoiceField(label=_("Exploration"), choices=Exploration.choices)
    exploration_rate = forms.FloatField(label=_("Exploration budget (share of leads)"),
                                        min_value=0, max_value=0.5)
    exploration_min_closed = forms.IntegerField(
        label=_("New partner: fewer closed leads than"), min_value=0, max_value=1000)
    mode = forms.ChoiceField(label=_("Offer mode"), choices=OfferMode.choices)
    broadcast_count = forms.IntegerField(label=_("Broadcast to N partners"), min_value=1,
                                         max_value=20)
    accept_sla_hours = forms.IntegerField(label=_("Accept within (hours)"), min_value=1,
                                          max_value=720)
    reminder_fraction = forms.FloatField(label=_("Remind after (share of the SLA)"),
                                         min_value=0, max_value=1)
    max_attempts = forms.IntegerField(label=_("Cascade: max attempts"), min_value=1,
                                      max_value=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in FIT_CRITERIA + FACTOR_WEIGHTS:
            self.fields[f"weight_{name}"] = forms.FloatField(
                label=CRITERION_LABELS[name], min_value=0, max_value=MAX_WEIGHT,
                # "any": a browser refuses to submit a value off the step grid, and weights
                # come from the API and the engine's defaults too (load: 0.25).
                widget=forms.NumberInput(attrs={"step": "any"}))
        for tier in TIERS:
            self.fields[f"tier_{tier}"] = forms.FloatField(
                label=_("Tier %(tier)s") % {"tier": tier_word(tier)}, min_value=0,
                max_value=MAX_TIER_MULTIPLIER, widget=forms.NumberInput(attrs={"step": "0.05"}))

    @classmethod
    def initial_from(cls, policy) -> dict:
        initial = {name: getattr(policy, name) for name in (
            "hard_rules", "fit_exponent", "use_performance", "prior_strength",
            "half_life_days", "exploration", "exploration_rate", "exploration_min_closed",
            "mode", "broadcast_count", "accept_sla_hours", "reminder_fraction",
            "max_attempts")}
        for name in FIT_CRITERIA + FACTOR_WEIGHTS:
            # Unset: what the engine uses (matching/engine/ranking.py), so saving the page
            # unchanged does not change routing.
            initial[f"weight_{name}"] = (policy.weights or {}).get(
                name, FACTOR_WEIGHT_DEFAULTS.get(name, 0.0))
        for tier in TIERS:
            initial[f"tier_{tier}"] = (policy.tier_multipliers or {}).get(tier, 1.0)
        return initial

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        changes = {"weights": {}, "tier_multipliers": {}}
        for key, value in data.items():
            if key.startswith("weight_"):
                changes["weights"][key.removeprefix("weight_")] = value
            elif key.startswith("tier_"):
                changes["tier_multipliers"][key.removeprefix("tier_")] = value
            else:
                changes[key] = value
        return changes


def _sample_lead(request: HttpRequest) -> Lead | None:
    """The lead the preview ranks: the one asked for (404 if not this tenant's), else the
    most recent one."""
    lead_id = request.POST.get("lead") or request.GET.get("lead")
    if lead_id:
        try:
            return Lead.objects.get(pk=int(lead_id))
        except (ValueError, Lead.DoesNotExist) as exc:
            raise Http404 from exc
    return Lead.objects.order_by("-received_at", "-id").first()


def _preview_rows(lead: Lead, current, draft) -> dict:
    before, after = policies_preview(lead=lead, policies=[current, draft])
    was = {c["partner"]: c["rank"] for c in before.candidates}
    for candidate in after.candidates:
        previous = was.get(candidate["partner"])
        candidate["move"] = None if previous is None else previous - candidate["rank"]
    return {"before": before, "after": after}


@manager_required
def policy_edit(request: HttpRequest) -> HttpResponse:
    """GET: the editor. POST with `save`: a new version. POST with `preview` (or an htmx
    change): the preview of the top 5 under the edited settings, nothing saved."""
    current = policy_current(tenant=request.tenant)
    lead = _sample_lead(request)
    preview = None
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                if "save" in request.POST and not request.htmx:
                    policy = policy_update(tenant=request.tenant, actor=request.user,
                                           changes=form.changes())
                    messages.success(request, _("Saved as version %(v)d.")
                                     % {"v": policy.version})
                    url = reverse("matching:policy")
                    return redirect(f"{url}?lead={lead.pk}" if lead else url)
                draft = policy_draft(base=current, changes=form.changes())
                if lead is not None:
                    preview = _preview_rows(lead, current, draft)
            except DomainError as exc:
                for field, problems in exc.fields.items():
                    for problem in problems:
                        form.add_error(None, f"{field}: {problem}")
    else:
        form = PolicyForm(initial=PolicyForm.initial_from(current))
        if lead is not None:
            preview = _preview_rows(lead, current, current)
    context = {
        "form": form, "policy": current, "lead": lead, "preview": preview,
        "weight_fields": [form[f"weight_{n}"] for n in FIT_CRITERIA + FACTOR_WEIGHTS],
        "tier_fields": [form[f"tier_{t}"] for t in TIERS],
        "recent_leads": Lead.objects.order_by("-received_at", "-id")
        .only("id", "company_name", "industry", "received_at")[:RECENT_LEADS],
        "versions": policy_versions(tenant=request.tenant),
        "run": WhatIfRun.objects.filter(base=current).select_related("base").first(),
        "whatif_leads": DEFAULT_LEADS,
        **_holdout_context(request),
    }
    template = "matching/policy.html#preview" if request.htmx else "matching/policy.html"
    return render(request, template, context)


# --- What-if replay and A/B holdout -----------------------------------------------------------

def _holdout_context(request: HttpRequest) -> dict:
    holdout = holdout_running(tenant_id=request.tenant.pk)
    return {"holdout": holdout,
            "comparison": holdout_compare(holdout=holdout) if holdout else None}


def get_whatif_for_user(request: HttpRequest, run_id: int) -> WhatIfRun:
    """The tenant's what-if run (the caller is a manager's view)."""
    run = WhatIfRun.objects.filter(pk=run_id).select_related("base").first()
    if run is None:  # another tenant's run is simply not there
        raise Http404
    return run


@manager_required
@require_POST
def policy_whatif_start(request: HttpRequest) -> HttpResponse:
    """Replay the last leads through the edited (unsaved) settings, as a background task."""
    current = policy_current(tenant=request.tenant)
    form = PolicyForm(request.POST)
    if not form.is_valid():
        return render(request, "matching/policy_whatif.html",
                      {"run": None, "form_errors": form.errors}, status=400)
    try:
        run = whatif_start(tenant=request.tenant, actor=request.user, base=current,
                           changes=form.changes())
    except DomainError as exc:
        return render(request, "matching/policy_whatif.html",
                      {"run": None, "form_errors": exc.fields}, status=400)
    if request.htmx:
        return render(request, "matching/policy_whatif.html#whatif-run", {"run": run})
    return redirect("matching:policy-whatif", run_id=run.pk)


@manager_required
def policy_whatif(request: HttpRequest, run_id: int) -> HttpResponse:
    """A what-if run: progress while it runs (htmx polls this), then its results."""
    run = get_whatif_for_user(request, run_id)
    template = ("matching/policy_whatif.html#whatif-run" if request.htmx
                else "matching/policy_whatif.html")
    return render(request, template, {"run": run})


@manager_required
@require_POST
def policy_holdout(request: HttpRequest) -> HttpResponse:
    """Start (`version`, `share` in %) or stop (`stop`) the A/B holdout."""
    try:
        if "stop" in request.POST:
            holdout_stop(tenant=request.tenant, actor=request.user)
            messages.success(request, _("The holdout is stopped."))
        else:
            try:
                version = int(request.POST.get("version", ""))
                share = float(request.POST.get("share", "")) / 100
            except ValueError:
                raise DomainError(_("Give a policy version and a share in %."),
                                  code="invalid", status_code=400) from None
            holdout_start(tenant=request.tenant, actor=request.user,
                          policy_version=version, share=share)
            messages.success(request, _("Holdout started."))
    except DomainError as exc:
        problems = [p for msgs in (exc.fields or {}).values() for p in msgs]
        messages.error(request, " ".join(map(str, problems)) or exc.message)
    return redirect("matching:policy")
