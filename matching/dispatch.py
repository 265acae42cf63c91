"""Turning routing decisions into offers, and moving a lead along when offers are answered.

Every function here runs inside the caller's transaction with the lead row locked
(`Lead.objects.select_for_update()`), which is what serialises accepts, rejects, expiries
and re-routing of one lead. Lock order is always lead → offers; the expiry sweep only
*tries* lead locks (SKIP LOCKED), so it never waits while holding an offer lock.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.events import event_record
from feedback.models import OutcomeKind
from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.business_hours import tenant_sla_deadline
from leads.models import Lead, LeadStatus
from matching.explanation import excluded_in_words
from matching.models import (
    Offer,
    OfferMode,
    OfferStatus,
    RoutingDecision,
    RoutingPolicy,
)
from matching.webhooks import webhook_emit
from partners.models import Partner, PartnerStatus


def lead_route_and_dispatch(*, lead_id: int, actor=None) -> None:
    """Route a `new` lead and make its offers, all in one transaction. Idempotent: a lead
    that is no longer new (routed by an earlier run of this task) is left alone."""
    from matching.routing import lead_route

    with transaction.atomic():
        lead = (Lead.objects.select_for_update(of=("self",)).select_related("tenant")
                .filter(pk=lead_id).first())
        if lead is None or lead.status != LeadStatus.NEW:
            return
        decision = lead_route(lead=lead)
        decision_dispatch(lead=lead, decision=decision, actor=actor)


def decision_dispatch(*, lead: Lead, decision: RoutingDecision, actor=None) -> None:
    """Make the offers a decision calls for (by the policy's mode), or mark the lead unrouted."""
    policy = decision.policy
    now = timezone.now()
    lead.routed_at = now
    if not decision.chosen:
        reason = excluded_in_words(decision.excluded) or _("no active partners")
        lead_unroute(lead=lead, reason=_("Nobody eligible: %s.") % reason, actor=actor)
        return
    if policy.mode == OfferMode.MANUAL:
        lead.status = LeadStatus.ROUTING
        lead.status_reason = _("Waiting for a manager to confirm the suggested partner.")
        lead.save()
        return
    targets = decision.chosen[:1] if policy.mode == OfferMode.CASCADE \
        else decision.chosen[: policy.broadcast_count]
    for rank, partner_id in enumerate(targets, start=1):
        offer_make(lead=lead, partner_id=partner_id, decision=decision, rank=rank,
                   policy=policy, actor=actor)
    lead.status = LeadStatus.OFFERED
    lead.status_reason = ""
    lead.save()
    webhook_emit(tenant_id=lead.tenant_id, event="lead.routed",
                 data={"lead": lead.pk, "partners": list(targets),
                       "policy_version": policy.version, "mode": policy.mode})


def offer_make(*, lead: Lead, partner_id: int, decision: RoutingDecision | None, rank: int,
               policy: RoutingPolicy, actor=None, mode: str | None = None) -> Offer:
    """One offer with the policy's SLA; the partner is told by e-mail after commit."""
    now = timezone.now()
    # Business hours (if the tenant counts only those) stretch the deadline over nights
    # and weekends: an offer made on Friday evening does not expire on Saturday.
    expires_at = tenant_sla_deadline(lead.tenant, now, policy.accept_sla_hours)
    remind_at = None
    if 0 < policy.reminder_fraction < 1:
        remind_at = tenant_sla_deadline(lead.tenant, now,
                                        policy.accept_sla_hours * policy.reminder_fraction)
    candidate = _candidate(decision, partner_id)
    offer = Offer.objects.create(
        tenant_id=lead.tenant_id, lead=lead, partner_id=partner_id, decision=decision,
        rank=rank, score=candidate.get("score", 0.0),
        choice_probability=candidate.get("probability", 1.0),
        mode=mode or policy.mode, offered_at=now, expires_at=expires_at, remind_at=remind_at,
    )
    event_record(lead=lead, kind=OutcomeKind.OFFERED, actor=actor, offer=offer)
    webhook_emit(tenant_id=lead.tenant_id, event="offer.created", data=_offer_data(offer))
    _after_commit_notify("offer_new", offer)
    _schedule_expiry_fast_path(offer, expires_at - now)
    return offer


def lead_unroute(*, lead: Lead, reason: str, actor=None) -> None:
    """Nobody (else) can take the lead: it waits in the managers' unrouted queue."""
    lead.status = LeadStatus.UNROUTED
    lead.status_reason = reason[:300]
    lead.assigned_partner = None
    lead.save()
    audit_record(tenant=lead.tenant_id, actor=actor, action="lead.unrouted", target=lead,
                 data={"reason": reason})
    webhook_emit(tenant_id=lead.tenant_id, event="lead.unrouted",
                 data={"lead": lead.pk, "reason": reason})
    _after_commit_notify("lead_unrouted", lead)


def lead_continue(*, lead: Lead, actor=None) -> None:
    """After a reject or an expiry: offer to the next candidate (cascade), keep waiting for
    the other offers (broadcast), or give up and mark the lead unrouted."""
    if lead.status != LeadStatus.OFFERED:
        return
    if Offer.objects.filter(lead=lead, status=OfferStatus.PENDING).exists():
        return  # broadcast: others may still accept
    decision = lead.decisions.select_related("policy").first()
    if decision is None:
        lead_unroute(lead=lead, reason=_("No routing decision to continue from."), actor=actor)
        return
    policy = decision.policy
    tried = set(Offer.objects.filter(lead=lead).values_list("partner_id", flat=True))
    attempts = Offer.objects.filter(lead=lead, decision=decision).count()
    if policy.mode == OfferMode.CASCADE and attempts < policy.max_attempts:
        # The decision may be hours old: the next candidate must still be active and have
        # capacity left now, or it is skipped.
        from matching.partner_table import partner_load

        capacity = dict(Partner.objects.filter(pk__in=decision.chosen,
                                               status=PartnerStatus.ACTIVE)
                        .values_list("pk", "capacity"))
        load = partner_load(list(capacity))
        for partner_id in decision.chosen:
            if partner_id not in tried and partner_id in capacity \
                    and load.get(partner_id, 0) < capacity[partner_id]:
                offer_make(lead=lead, partner_id=partner_id, decision=decision,
                           rank=attempts + 1, policy=policy, actor=actor)
                return
    declined = Offer.objects.filter(lead=lead, status=OfferStatus.REJECTED).count()
    expired = Offer.objects.filter(lead=lead, status=OfferStatus.EXPIRED).count()
    lead_unroute(
        lead=lead, actor=actor,
        reason=_("No partner took the lead: %(declined)d declined, %(expired)d let the offer "
                 "expire.") % {"declined": declined, "expired": expired})


def lead_return(*, lead: Lead, offer: Offer | None, actor=None, reason: str = "") -> None:
    """A partner hands an accepted lead back: it loses access, and the lead is routed again
    (the engine excludes partners that already had it)."""
    if offer is not None:
        Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.RETURNED,
                                                 reject_note=reason[:1000])
    lead.status = LeadStatus.NEW
    lead.assigned_partner = None
    lead.accepted_at = None
    lead.save()
    from matching.tasks import route_lead_task

    route_lead_task.delay_on_commit(lead.tenant_id, lead.pk)


def _candidate(decision: RoutingDecision | None, partner_id: int) -> dict:
    if decision is None:
        return {}
    for candidate in decision.candidates:
        if candidate.get("partner") == partner_id:
            return candidate
    return {}


def _offer_data(offer: Offer) -> dict:
    return {"offer": offer.pk, "lead": offer.lead_id, "partner": offer.partner_id,
            "status": offer.status, "rank": offer.rank,
            "expires_at": offer.expires_at.isoformat()}


def _after_commit_notify(kind: str, obj) -> None:
    from matching.tasks import notify_task

    notify_task.delay_on_commit(obj.tenant_id, kind, obj.pk)


def _schedule_expiry_fast_path(offer: Offer, sla: timedelta) -> None:
    """A countdown task expires the offer on time when the SLA is short; the periodic sweep
    is the guarantee. Countdowns longer than the broker's visibility timeout would be
    re-delivered early (Redis), so those are left to the sweep alone."""
    seconds = sla.total_seconds() + 1
    if seconds >= settings.BROKER_VISIBILITY_TIMEOUT:
        return
    from matching.tasks import expire_offers_task

    transaction.on_commit(
        lambda: expire_offers_task.apply_async(args=[offer.tenant_id], countdown=seconds))
