"""Manager pages of GDPR requests on a lead: what is held, export as JSON, erasure."""

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from feedback.models import OutcomeEvent
from leadrouter.tenancy.access import manager_required
from leads.privacy import lead_erase, lead_export
from leads.selectors import lead_get_for_manager
from matching.models import Offer


@manager_required
def lead_privacy(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = lead_get_for_manager(lead_id=lead_id)
    return render(request, "leads/privacy_lead.html", {
        "lead": lead,
        "offer_count": Offer.objects.filter(lead=lead).count(),
        "event_count": OutcomeEvent.objects.filter(lead=lead).count(),
    })


@manager_required
def lead_privacy_export(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = lead_get_for_manager(lead_id=lead_id)
    document = lead_export(lead=lead, actor=request.user)
    response = HttpResponse(json.dumps(document, cls=DjangoJSONEncoder, indent=2,
                                       ensure_ascii=False),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lead-{lead.pk}-export.json"'
    response["Cache-Control"] = "no-store"
    return response


@manager_required
@require_POST
def lead_privacy_erase(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = lead_get_for_manager(lead_id=lead_id)
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick the box to confirm the erasure."))
        return redirect("privacy:lead", lead_id=lead.pk)
    lead_erase(lead_id=lead.pk, actor=request.user)
    messages.success(request, _("The contact's personal data was erased; the statistics are "
                                "kept."))
    return redirect("privacy:lead", lead_id=lead.pk)
