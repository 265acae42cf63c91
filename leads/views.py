"""Manager pages for leads (list, detail, manual entry, CSV import) and the public form."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.access import manager_required
from leadrouter.tenancy.models import Tenant
from leadrouter.tenancy.scoping import tenant_scope
from leads.csv_import import (
    csv_preview,
    import_job_create,
    import_job_progress,
    import_job_start,
)
from leads.form_throttle import client_ip, form_submission_allowed
from leads.forms import LeadFilterForm, LeadForm, PublicLeadForm, UploadForm
from leads.models import ImportJob, ImportStatus, LeadChannel
from leads.selectors import (
    lead_get_for_manager,
    lead_sources,
    lead_timeline,
    leads_page,
)
from leads.services import lead_ingest
from leads.validation import LEAD_FIELDS
from partners.models import Partner, TaxonomyTerm, TermKind


@manager_required
def lead_list(request: HttpRequest) -> HttpResponse:
    partners = Partner.objects.only("id", "name").order_by("name")
    sources = lead_sources(tenant_id=request.tenant.pk)
    form = LeadFilterForm(request.GET or None, partners=partners, sources=sources)
    filters = form.filters()
    page = leads_page(**filters)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {"form": form, "page": page, "query": query.urlencode(),
               "first_page": not filters["cursor"]}
    template = "leads/lead_list.html#results" if request.htmx else "leads/lead_list.html"
    return render(request, template, context)


@manager_required
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = lead_get_for_manager(lead_id=lead_id)
    timeline, latest_decision = lead_timeline(lead=lead)
    return render(request, "leads/lead_detail.html", {
        "lead": lead, "timeline": timeline, "latest_decision": latest_decision,
        "possible_duplicates": lead.possible_duplicates.only("id", "company_name",
                                                             "received_at")[:20],
    })


def _terms_by_kind() -> dict[str, list[TaxonomyTerm]]:
    terms: dict[str, list[TaxonomyTerm]] = {}
    for term in TaxonomyTerm.objects.order_by("code"):
        terms.setdefault(term.kind, []).append(term)
    return terms


def _show_domain_errors(form, error: DomainError) -> None:
    for field, problems in error.fields.items():
        for problem in problems if isinstance(problems, list) else [problems]:
            form.add_error(field if field in form.fields else None, str(problem))
    if not error.fields:
        form.add_error(None, error.message)


@manager_required
@require_http_methods(["GET", "POST"])
def lead_new(request: HttpRequest) -> HttpResponse:
    form = LeadForm(request.POST or None, terms=_terms_by_kind(),
                    currency=request.tenant.currency)
    if request.method == "POST" and form.is_valid():
        try:
            lead, created = lead_ingest(tenant=request.tenant, actor=request.user,
                                        data=form.lead_data(), channel=LeadChannel.MANUAL)
        except DomainError as error:
            _show_domain_errors(form, error)
        else:
            if created:
                messages.success(request, _("Lead saved; it is being routed."))
            else:
                messages.info(request, _("A lead with this external id exists already."))
            return redirect("leads:detail", lead_id=lead.pk)
    return render(request, "leads/lead_new.html", {"form": form})


@manager_required
@require_http_methods(["GET", "POST"])
def lead_import(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(tenant=request.tenant, actor=request.user,
                                    filename=upload.name, raw=upload.read())
        except DomainError as error:
            _show_domain_errors(form, error)
        else:
            return redirect("leads:import-job", job_id=job.pk)
    recent = ImportJob.objects.defer("content").order_by("-created_at")[:10]
    return render(request, "leads/import_upload.html", {"form": form, "recent": recent})


def _get_import_job(job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


@manager_required
@require_http_methods(["GET", "POST"])
def lead_import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """The mapping step (before the start), then progress and results."""
    job = _get_import_job(job_id)
    mapping_errors: dict = {}
    if request.method == "POST":
        mapping = {header: request.POST.get(f"map-{i}", "")
                   for i, header in enumerate(job.headers)}
        try:
            import_job_start(job=job, actor=request.user, mapping=mapping,
                             skip_invalid=bool(request.POST.get("skip_invalid")))
        except DomainError as error:
            mapping_errors = error.fields or {"": [error.message]}
            job.mapping = mapping
        else:
            return redirect("leads:import-job", job_id=job.pk)
    job.progress = import_job_progress(job)
    context = {
        "job": job, "mapping_errors": mapping_errors,
        "columns": [(i, header, job.mapping.get(header, "")) for i, header in
                    enumerate(job.headers)],
        "fields": LEAD_FIELDS,
        "preview": csv_preview(job) if job.status == ImportStatus.MAPPING else [],
        "percent": int(100 * job.progress / job.total_rows) if job.total_rows else 0,
    }
    if request.htmx:
        return render(request, "leads/import_job.html#progress", context)
    return render(request, "leads/import_job.html", context)


# --------------------------------------------------------------------------- public web form

def tenant_for_form_key(form_key: str) -> Tenant:
    """The tenant whose public form has this key — a named cross-tenant lookup: the visitor
    is anonymous, so the key in the URL is the only thing that says which tenant it is.
    (Tenant itself is not tenant-owned, so no scope is needed to read it.)"""
    tenant = Tenant.objects.filter(form_key=form_key).first()
    if tenant is None:
        raise Http404
    return tenant


# Embeddable on the tenant's own site (iframe), so no X-Frame-Options DENY; and no CSRF
# token: in a cross-site iframe the CSRF cookie is not sent, and the form acts for nobody
# (anonymous, no session) — spam is held off by the honeypot and the per-IP rate limit.
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest, form_key: str) -> HttpResponse:
    tenant = tenant_for_form_key(form_key)
    # The middleware opened no scope for an anonymous visitor — or the scope of a logged-in
    # user's own tenant, which may be another one. This form belongs to `tenant`.
    with tenant_scope(tenant):
        products = list(TaxonomyTerm.objects.filter(kind=TermKind.PRODUCT).order_by("name"))
        form = PublicLeadForm(request.POST or None, products=products)
        status = 200
        if request.method == "POST":
            if not form_submission_allowed(form_key=form_key, ip=client_ip(request)):
                form.add_error(None, _("Too many requests from your address. Please try again "
                                       "in a few minutes."))
                status = 429
            elif form.is_spam:
                return redirect("leads:public-form-thanks", form_key=form_key)
            elif form.is_valid():
                try:
                    lead_ingest(tenant=tenant, actor="web-form", data=form.lead_data(),
                                channel=LeadChannel.FORM)
                except DomainError as error:
                    _show_domain_errors(form, error)
                else:
                    return redirect("leads:public-form-thanks", form_key=form_key)
        return render(request, "leads/public_form.html", {"form": form, "form_tenant": tenant},
                      status=status)


@xframe_options_exempt
def public_form_thanks(request: HttpRequest, form_key: str) -> HttpResponse:
    tenant = tenant_for_form_key(form_key)
    return render(request, "leads/public_form_thanks.html", {"form_tenant": tenant})
