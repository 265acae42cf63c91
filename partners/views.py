"""Manager pages for partners, and the partner portal's own profile page."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.access import manager_required, partner_user_required
from partners import selectors, services
from partners.forms import (
    PartnerFilterForm,
    PartnerForm,
    PauseForm,
    PortalProfileForm,
    all_valid,
    nested_data,
    nested_formsets,
    nested_initial,
    partner_initial,
    show_domain_error,
)
from partners.models import Partner, PartnerStatus

PAGE_SIZE = 25


def _partner_for(request: HttpRequest, partner_id: int, *, profile: bool = False) -> Partner:
    return selectors.get_partner_for_user(partner_id=partner_id, membership=request.membership,
                                          profile=profile)


@manager_required
def partner_list(request: HttpRequest) -> HttpResponse:
    form = PartnerFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    partners = selectors.partner_list(
        search=filters.get("q", ""), status=filters.get("status", ""),
        level=filters.get("level", ""), country=filters.get("country", ""),
        postal_prefix=filters.get("postal_prefix", ""),
        competency=filters.get("competency", ""),
    ).prefetch_related("territories")
    page = Paginator(partners, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "partners/list.html#partner-table" if request.htmx else "partners/list.html"
    return render(request, template, context)


@manager_required
def partner_new(request: HttpRequest) -> HttpResponse:
    form = PartnerForm(request.POST or None)
    formsets = nested_formsets(request.POST or None)
    if request.method == "POST" and all_valid(form, formsets):
        try:
            partner = services.partner_create(
                tenant=request.tenant, actor=request.user,
                data=form.profile_data() | nested_data(formsets))
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Partner %(name)s created.") % {"name": partner.name})
            return redirect("partners:detail", partner_id=partner.pk)
    return render(request, "partners/form.html",
                  {"form": form, "formsets": formsets.values(), "partner": None})


@manager_required
def partner_detail(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = _partner_for(request, partner_id, profile=True)
    return render(request, "partners/detail.html", {"partner": partner, "pause_form": PauseForm()})


@manager_required
def partner_edit(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = _partner_for(request, partner_id, profile=True)
    if request.method == "POST":
        form = PartnerForm(request.POST)
        formsets = nested_formsets(request.POST)
    else:
        form = PartnerForm(initial=partner_initial(partner))
        formsets = nested_formsets(initial=nested_initial(partner))
    if request.method == "POST" and all_valid(form, formsets):
        try:
            services.partner_update(partner=partner, actor=request.user,
                                    data=form.profile_data() | nested_data(formsets))
        except DomainError as exc:
            partner.refresh_from_db()
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("partners:detail", partner_id=partner.pk)
    return render(request, "partners/form.html",
                  {"form": form, "formsets": formsets.values(), "partner": partner})


@manager_required
@require_POST
def partner_pause(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = _partner_for(request, partner_id)
    form = PauseForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.partner_pause(partner=partner, actor=request.user,
                                   until=form.cleaned_data["until"])
        except DomainError as exc:
            error = exc.message
    else:
        error = _("Enter a valid date.")
    return _status_response(request, partner, error)


@manager_required
@require_POST
def partner_resume(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = _partner_for(request, partner_id)
    error = None
    try:
        services.partner_resume(partner=partner, actor=request.user)
    except DomainError as exc:
        error = exc.message
    return _status_response(request, partner, error)


@manager_required
@require_POST
def partner_offboard(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = _partner_for(request, partner_id)
    services.partner_offboard(partner=partner, actor=request.user)
    return _status_response(request, partner, None)


@partner_user_required
def portal_profile(request: HttpRequest) -> HttpResponse:
    """A partner user's own profile: capacity, pause (vacation) and contact e-mail are
    theirs to change; the rest is shown read-only (the channel manager maintains it)."""
    partner = _partner_for(request, request.membership.partner_id, profile=True)
    initial = {"capacity": partner.capacity, "notification_email": partner.notification_email,
               "on_vacation": partner.status == PartnerStatus.PAUSED,
               "vacation_until": partner.paused_until}
    form = PortalProfileForm(request.POST or None, initial=initial)
    editable = partner.status != PartnerStatus.OFFBOARDED
    if request.method == "POST" and editable and form.is_valid():
        try:
            services.partner_profile_update(partner=partner, actor=request.user,
                                            **form.cleaned_data)
        except DomainError as exc:
            partner.refresh_from_db()  # the profile part shows what is stored
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("partners:portal-profile")
    return render(request, "partners/portal_profile.html",
                  {"partner": partner, "form": form, "editable": editable})


def _status_response(request: HttpRequest, partner: Partner, error: str | None) -> HttpResponse:
    if request.htmx:
        partner.refresh_from_db()
        return render(request, "partners/detail.html#partner-status",
                      {"partner": partner, "pause_form": PauseForm(), "status_error": error})
    if error:
        messages.error(request, error)
    return redirect("partners:detail", partner_id=partner.pk)
