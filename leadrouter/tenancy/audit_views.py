"""The audit log page: admins search who did what in their tenant."""

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from leadrouter.security.audit_search import audit_events_search
from leadrouter.tenancy.models import Role

PAGE_SIZE = 50


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=200,
                            help_text=_("e-mail, api-key:… or system"))
    action = forms.CharField(label=_("Action"), required=False, max_length=64,
                             help_text=_("e.g. lead.received, or lead. for all lead events"))
    target = forms.CharField(label=_("Target"), required=False, max_length=130,
                             help_text=_("e.g. lead:42"))
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


def _require_admin(request: HttpRequest) -> None:
    # Managers and partners do not learn that the page exists: 404, like a foreign object.
    if request.membership is None or request.membership.role != Role.ADMIN:
        raise Http404


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = AuditSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events_search(
        actor=filters.get("actor", ""), action=filters.get("action", ""),
        target=filters.get("target", ""), date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(event, json.dumps(event.data, ensure_ascii=False, sort_keys=True)
             if event.data else "") for event in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    template = "tenancy/audit_log.html#audit-table" if request.htmx else "tenancy/audit_log.html"
    return render(request, template, context)
