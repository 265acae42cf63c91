"""E-mails about offers and unrouted leads, rendered from templates/emails/ (text + HTML).

Offer e-mails carry what a partner needs to decide, never the lead's contact data: that is
shown only in the portal after accepting.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from leadrouter.tenancy.language import language_for_recipient
from leadrouter.tenancy.models import Membership, Role, Tenant
from leads.models import Lead
from matching.models import Offer


def notify(*, kind: str, object_id: int) -> int:
    """Send the e-mails of one notification kind; returns how many went out."""
    if kind in ("offer_new", "offer_reminder", "offer_withdrawn"):
        offer = Offer.objects.select_related("lead", "partner").filter(pk=object_id).first()
        if offer is None or not offer.partner.notification_email:
            return 0
        if kind == "offer_reminder" and offer.status != "pending":
            return 0
        return _send(kind, [offer.partner.notification_email], {
            "offer": offer, "lead": offer.lead, "partner": offer.partner,
            "url": settings.SITE_URL.rstrip("/") + reverse("portal-offer", args=[offer.pk]),
        })
    if kind == "lead_unrouted":
        lead = Lead.objects.filter(pk=object_id).first()
        if lead is None:
            return 0
        managers = list(Membership.objects.filter(role__in=[Role.ADMIN, Role.MANAGER])
                        .select_related("user").values_list("user__email", flat=True))
        return _send(kind, [email for email in managers if email], {
            "lead": lead,
            "url": settings.SITE_URL.rstrip("/") + reverse("unrouted"),
        })
    raise ValueError(f"unknown notification kind {kind!r}")


SUBJECTS = {
    "offer_new": lambda c: _("New lead offer: %(industry)s, %(city)s") % {
        "industry": c["lead"].industry or "-", "city": c["lead"].city or c["lead"].country},
    "offer_reminder": lambda c: _("Reminder: your lead offer expires soon"),
    "offer_withdrawn": lambda c: _("A lead offer was taken by another partner"),
    "lead_unrouted": lambda c: _("Lead needs you: %(company)s could not be routed") % {
        "company": c["lead"].company_name},
}


def _send(kind: str, recipients: list[str], context: dict) -> int:
    if not recipients:
        return 0
    # In the tenant's language (the recipients are a partner's address or the managers).
    tenant = Tenant.objects.filter(pk=context["lead"].tenant_id).first()
    with translation.override(language_for_recipient(tenant=tenant)):
        subject = SUBJECTS[kind](context)
        text = render_to_string(f"emails/{kind}.txt", context)
        html = render_to_string(f"emails/{kind}.html", context)
    message = EmailMultiAlternatives(subject, text,
                                     settings.DEFAULT_FROM_EMAIL, recipients)
    message.attach_alternative(html, "text/html")
    return message.send()
