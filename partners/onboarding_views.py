"""Partner onboarding pages: a partner's portal users (managers invite them), the partner's
own profile editor in the portal, and the managers' queue of pending profile changes."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.access import manager_required, partner_user_required
from partners import onboarding, selectors
from partners.forms import (
    all_valid,
    nested_data,
    nested_formsets,
    nested_initial,
    show_domain_error,
    split_list,
)
from partners.models import PartnerStatus


class PartnerInviteForm(forms.Form):
    emails = forms.CharField(
        label=gettext_lazy("E-mail addresses"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "anna@partner.example"}),
        help_text=gettext_lazy("one or more, separated by commas or lines"))


class PortalProfileEditForm(forms.Form):
    employees = forms.IntegerField(label=gettext_lazy("Employees"), min_value=0)
    deal_value_min = forms.DecimalField(label=gettext_lazy("Deal value from"), min_value=0,
                                        max_digits=14, decimal_places=2)
    deal_value_max = forms.DecimalField(label=gettext_lazy("Deal value up to"), min_value=0,
                                        max_digits=14, decimal_places=2, required=False)
    languages = forms.CharField(label=gettext_lazy("Languages"), required=False,
                                help_text=gettext_lazy("ISO codes, comma-separated, e.g. de, en"))
    notification_email = forms.EmailField(label=gettext_lazy("E-mail for new offers"),
                                          required=False,
                                          help_text=gettext_lazy("applies at once"))

    def profile_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["languages"] = split_list(data["languages"])
        return data


class DecisionForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note to the partner"), required=False,
                           max_length=2000)


# --- managers: a partner's portal users -----------------------------------------------------

@manager_required
def partner_users(request: HttpRequest, partner_id: int) -> HttpResponse:
    """Who of the partner can log into the portal; POST invites more of them."""
    partner = selectors.get_partner_for_user(partner_id=partner_id,
                                             membership=request.membership)
    form = PartnerInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            emails = onboarding.parse_emails(form.cleaned_data["emails"])
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            result = onboarding.partner_users_invite(tenant=request.tenant, partner=partner,
                                                     actor=request.user, emails=emails)
            if result.invited:
                messages.success(request, _("Invitation sent to %(emails)s. The link is valid "
                                            "for 72 hours.")
                                 % {"emails": ", ".join(result.invited)})
            for email, reason in result.refused.items():
                messages.error(request, f"{email}: {reason}")
            return redirect("partners:users", partner_id=partner.pk)
    return render(request, "partners/onboarding_users.html", {
        "partner": partner, "form": form,
        "members": onboarding.partner_users(partner=partner),
        "invitations": onboarding.partner_invitations_open(partner=partner),
        "pending": onboarding.partner_change_pending(partner=partner),
    })


# --- managers: pending changes --------------------------------------------------------------

@manager_required
def change_list(request: HttpRequest) -> HttpResponse:
    """The partners' profile changes waiting for a decision, each with its before/after."""
    changes = list(onboarding.changes_pending())
    for change in changes:
        change.diff = onboarding.change_diff(change=change)
    return render(request, "partners/onboarding_changes.html", {
        "changes": changes, "decided": onboarding.changes_decided(),
        "decision_form": DecisionForm(),
    })


@login_required
@require_POST
def change_approve(request: HttpRequest, change_id: int) -> HttpResponse:
    return _decide(request, change_id, onboarding.partner_change_approve,
                   _("Approved: the profile of %(name)s is updated."))


@login_required
@require_POST
def change_reject(request: HttpRequest, change_id: int) -> HttpResponse:
    return _decide(request, change_id, onboarding.partner_change_reject,
                   _("Rejected: the profile of %(name)s stays as it was."))


def _decide(request: HttpRequest, change_id: int, service, success: str) -> HttpResponse:
    change = onboarding.get_change_for_manager(change_id=change_id,
                                               membership=request.membership)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        service(change=change, actor=request.user, note=note)
    except DomainError as exc:
        problems = [problem for values in (exc.fields or {}).values() for problem in values]
        messages.error(request, " ".join([exc.message, *problems]))
    else:
        messages.success(request, success % {"name": change.partner.name})
    return redirect("partners:changes")


# --- partner users: their own profile -------------------------------------------------------

def _portal_initial(partner, pending) -> tuple[dict, dict]:
    """The form's starting values: the profile, with a pending request's values on top (the
    partner goes on editing what it asked for)."""
    initial = {"employees": partner.employees, "deal_value_min": partner.deal_value_min,
               "deal_value_max": partner.deal_value_max,
               "languages": ", ".join(partner.languages),
               "notification_email": partner.notification_email}
    nested = nested_initial(partner)
    if pending is not None:
        for name, value in pending.data.items():
            if name == "languages":
                initial[name] = ", ".join(value)
            elif name == "territories":
                nested[name] = [{**item, "postal_prefixes": ", ".join(item["postal_prefixes"])}
                                for item in value]
            elif name == "industries":
                nested[name] = [{"code": code} for code in value]
            elif name in nested:
                nested[name] = value
            else:
                initial[name] = value
    return initial, nested


@partner_user_required
def portal_profile_edit(request: HttpRequest) -> HttpResponse:
    """The partner completes its profile. Routing fields wait for a manager's approval."""
    partner = selectors.get_partner_for_user(partner_id=request.membership.partner_id,
                                             membership=request.membership, profile=True)
    if partner.status == PartnerStatus.OFFBOARDED:
        raise Http404
    pending = onboarding.partner_change_pending(partner=partner)
    if request.method == "POST":
        form = PortalProfileEditForm(request.POST)
        formsets = nested_formsets(request.POST)
    else:
        initial, nested = _portal_initial(partner, pending)
        form = PortalProfileEditForm(initial=initial)
        formsets = nested_formsets(initial=nested)
    if request.method == "POST" and all_valid(form, formsets):
        try:
            pending = onboarding.partner_change_submit(
                partner=partner, actor=request.user,
                data=form.profile_data() | nested_data(formsets))
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            if pending is not None:
                messages.success(request, _("Your changes were sent to your channel manager. "
                                            "They apply once approved."))
            else:
                messages.success(request, _("Your profile is saved."))
            return redirect("partners:portal-profile-edit")
    diff = onboarding.change_diff(change=pending, partner=partner) if pending else []
    return render(request, "partners/portal_profile_edit.html", {
        "partner": partner, "form": form, "formsets": formsets.values(),
        "pending": pending, "diff": diff,
        "history": onboarding.partner_changes(partner=partner),
    })


@login_required
def portal_change_detail(request: HttpRequest, change_id: int) -> HttpResponse:
    """One of the partner's own change requests: what it asked for and the decision."""
    change = onboarding.get_change_for_partner(change_id=change_id,
                                               membership=request.membership)
    return render(request, "partners/portal_profile_edit_change.html", {
        "change": change,
        "requested": onboarding.change_requested(change=change),
    })
