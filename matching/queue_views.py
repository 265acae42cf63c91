"""The managers' hand on routing: the unrouted and manual queues, and webhook settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.access import manager_required
from leadrouter.tenancy.models import Role
from leads.models import Lead
from matching import selectors
from matching.models import Webhook, WebhookDelivery, WebhookEvent
from matching.offers import lead_assign_manually, lead_reroute, lead_withdraw
from matching.webhooks import webhook_create, webhook_delete, webhook_emit, webhook_rotate_secret
from partners.models import Partner, PartnerStatus


def _require_admin(request: HttpRequest) -> None:
    if request.membership is None or request.membership.role != Role.ADMIN:
        raise Http404


def _lead_for_manager(lead_id: int) -> Lead:
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    return lead


@manager_required
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "matching/queue.html", {
        "unrouted": selectors.unrouted_leads().select_related("assigned_partner")[:200],
        "manual": selectors.manual_leads()[:200],
        "partners": Partner.objects.filter(status=PartnerStatus.ACTIVE).only("pk", "name"),
    })


@manager_required
@require_POST
def queue_action(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead_for_manager(lead_id)
    action = request.POST.get("action")
    try:
        if action == "reroute":
            lead_reroute(lead_id=lead.pk, actor=request.user)
            lead.refresh_from_db()
            messages.success(request, _("Routed again: %(status)s.") % {
                "status": lead.get_status_display()})
        elif action == "assign":
            partner_id = int(request.POST.get("partner") or 0)
            lead_assign_manually(lead_id=lead.pk, partner_id=partner_id, actor=request.user)
            messages.success(request, _("Offered to the chosen partner."))
        elif action == "withdraw":
            lead_withdraw(lead_id=lead.pk, actor=request.user,
                          reason=request.POST.get("reason", ""))
            messages.success(request, _("Lead withdrawn."))
        else:
            messages.error(request, _("Unknown action."))
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    return redirect("unrouted")


@login_required
def webhooks_page(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    created_secret = None
    if request.method == "POST":
        try:
            webhook = webhook_create(tenant=request.tenant, actor=request.user,
                                     url=request.POST.get("url", "").strip(),
                                     events=request.POST.getlist("events"))
            created_secret = webhook.secret
            messages.success(request, _("Subscription created. Copy the secret now: it is "
                                        "shown only once."))
        except DomainError as exc:
            for field, problems in exc.fields.items():
                for problem in problems:
                    messages.error(request, f"{field}: {problem}")
    return render(request, "matching/webhooks.html", {
        "webhooks": Webhook.objects.all(),
        "deliveries": WebhookDelivery.objects.select_related("webhook")[:50],
        "events": WebhookEvent.values,
        "created_secret": created_secret,
    })


@login_required
@require_POST
def webhook_action(request: HttpRequest, webhook_id: int) -> HttpResponse:
    _require_admin(request)
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None:
        raise Http404
    action = request.POST.get("action")
    if action == "test":
        webhook_emit(tenant_id=webhook.tenant_id, event="test", only=webhook,
                     data={"message": "Test event from LeadRouter"})
        messages.success(request, _("Test event queued; see the delivery log."))
    elif action == "rotate":
        webhook = webhook_rotate_secret(webhook=webhook, actor=request.user)
        messages.success(request, _("New secret: %(secret)s — shown only once.") % {
            "secret": webhook.secret})
    elif action == "delete":
        webhook_delete(webhook=webhook, actor=request.user)
        messages.success(request, _("Subscription deleted."))
    return redirect("webhooks")
