"""The partner portal: offers to answer, leads to work, outcomes to report."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from feedback.models import LossReason, OutcomeKind
from feedback.services import outcome_record
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.models import Role
from leadrouter.tenancy.templatetags.formatting import criterion_label, money_format
from matching import selectors
from matching.company_size import size_label
from matching.models import RejectReason
from matching.offers import offer_accept, offer_reject


def _partner_id(request: HttpRequest) -> int:
    membership = request.membership
    if membership is None or membership.role != Role.PARTNER or membership.partner_id is None:
        raise Http404
    return membership.partner_id


# Offers shown in the inbox, soonest deadline first; the rest are counted. The list is
# re-rendered every 30 s, and each card reads its decision's explanation.
INBOX_OFFERS = 25


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    partner_id = _partner_id(request)
    open_offers = selectors.partner_offers_open(partner_id=partner_id)
    offers = list(open_offers[:INBOX_OFFERS])
    more = open_offers.count() - len(offers) if len(offers) == INBOX_OFFERS else 0
    urls = _OfferUrls()
    context = {"offers": [_offer_card(o, urls) for o in offers], "more": more,
               "labels": _card_labels()}
    template = "matching/portal_inbox.html"
    if request.htmx:
        template += "#offer-list"
    return render(request, template, context)


@login_required
def offer_detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = selectors.get_offer_for_partner(offer_id=offer_id, partner_id=_partner_id(request))
    return render(request, "matching/portal_offer.html",
                  {"card": _offer_card(offer), "labels": _card_labels(),
                   "reasons": RejectReason.choices,
                   "declining": True})


@login_required
@require_POST
def offer_accept_view(request: HttpRequest, offer_id: int) -> HttpResponse:
    partner_id = _partner_id(request)
    offer = selectors.get_offer_for_partner(offer_id=offer_id, partner_id=partner_id)
    try:
        offer_accept(offer_id=offer.pk, partner_id=partner_id, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal")
    messages.success(request, _("Lead accepted. The contact details are below."))
    return redirect("portal-lead", lead_id=offer.lead_id)


@login_required
@require_POST
def offer_reject_view(request: HttpRequest, offer_id: int) -> HttpResponse:
    partner_id = _partner_id(request)
    offer = selectors.get_offer_for_partner(offer_id=offer_id, partner_id=partner_id)
    try:
        offer_reject(offer_id=offer.pk, partner_id=partner_id, actor=request.user,
                     reason=request.POST.get("reason", ""), note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message + " " + " ".join(
            m for ms in exc.fields.values() for m in ms))
        return redirect("portal-offer", offer_id=offer.pk)
    messages.success(request, _("Offer declined. Thank you for the reason."))
    return redirect("portal")


@login_required
def my_leads(request: HttpRequest) -> HttpResponse:
    leads = selectors.partner_leads(partner_id=_partner_id(request))[:200]
    return render(request, "matching/portal_leads.html", {"leads": leads})


@login_required
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    partner_id = _partner_id(request)
    lead = selectors.get_lead_for_partner(lead_id=lead_id, partner_id=partner_id)
    # Every reveal of contact data is audited.
    audit_record(tenant=lead.tenant_id, actor=request.user, action="lead.contact_revealed",
                 target=lead, data={"partner": partner_id})
    return render(request, "matching/portal_lead.html", {
        "lead": lead, "events": lead.events.order_by("occurred_at", "id"),
        "statuses": [(k, v) for k, v in OutcomeKind.choices
                     if k in ("contacted", "qualified", "proposal", "won", "lost")],
        "loss_reasons": LossReason.choices,
        "open": lead.status in ("accepted", "in_progress"),
    })


@login_required
@require_POST
def lead_outcome_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    partner_id = _partner_id(request)
    lead = selectors.get_lead_for_partner(lead_id=lead_id, partner_id=partner_id)
    status = request.POST.get("status", "")
    try:
        value = _decimal(request.POST.get("value", ""))
        outcome_record(lead_id=lead.pk, partner_id=partner_id, actor=request.user,
                       status=status, value=value, reason=request.POST.get("reason", ""),
                       note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message + " " + " ".join(
            m for ms in exc.fields.values() for m in ms))
        return redirect("portal-lead", lead_id=lead.pk)
    if status == "returned":
        messages.success(request, _("Lead returned. It will be offered to another partner."))
        return redirect("portal-leads")
    messages.success(request, _("Status saved."))
    return redirect("portal-lead", lead_id=lead.pk)


def _decimal(raw: str) -> Decimal | None:
    raw = raw.strip().replace(",", ".")
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise DomainError(_("The value is not a number."), code="invalid", status_code=400,
                          fields={"value": [_("Enter an amount like 12500.00.")]}) from exc


class _OfferUrls:
    """The three URLs of an offer card, reversed once per page instead of three times per
    card (URL reversal is a good part of a 25-card inbox's rendering)."""

    _MARK = 987654321

    def __init__(self) -> None:
        self._patterns = {name: reverse(name, args=[self._MARK]) for name in
                          ("portal-offer", "portal-offer-accept", "portal-offer-reject")}

    def __call__(self, name: str, offer_id: int) -> str:
        return self._patterns[name].replace(str(self._MARK), str(offer_id))


def _card_labels() -> dict:
    """The card's fixed words, translated once per page rather than once per card."""
    return {
        "no_industry": _("Industry not given"), "size": _("Company size"),
        "region": _("Region"), "deal": _("Deal value"), "products": _("Products"),
        "competencies": _("Competencies"), "why": _("Why you"),
        "contact_later": _("Contact details are shown after you accept."),
        "accept": _("Accept"), "decline": _("Decline"),
    }


def _offer_card(offer, urls: _OfferUrls | None = None) -> dict:
    """What a partner needs to decide — and nothing that identifies the contact.

    Values are formatted here, once, so the card template only places them."""
    lead = offer.lead
    urls = urls or _OfferUrls()
    now = timezone.now()
    return {
        "offer": offer,
        "url": urls("portal-offer", offer.pk),
        "accept_url": urls("portal-offer-accept", offer.pk),
        "reject_url": urls("portal-offer-reject", offer.pk),
        "industry": lead.industry,
        "size": size_label(lead.employees),
        "region": f"{lead.postal_code[:2]}… {lead.city}".strip() if lead.postal_code
        else lead.city,
        "country": lead.country,
        "deal": money_format(lead.deal_value, lead.currency, decimals=0)
        if lead.deal_value is not None else "-",
        "products": ", ".join(lead.products) or "-",
        "competencies": ", ".join(lead.competencies) or "-",
        "why": ", ".join(f"{criterion_label(name)} {number_format(value, 2)}"
                         for name, value in selectors.top_criteria(offer)),
        "time_left": _("%(t)s left") % {"t": timeuntil(offer.expires_at, now)},
        "seconds_left": max(0, int((offer.expires_at - now).total_seconds())),
    }
