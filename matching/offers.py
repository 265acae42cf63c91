"""Answering offers (partners), their expiry and reminders (the sweep), and a manager's
hand on unrouted or manual leads."""

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.events import (
    event_new,
    event_record,
    events_record,
    offer_events_insert_sql,
    offer_events_params,
    offer_events_recorded,
)
from feedback.models import OutcomeKind
from feedback.stats import stats_deferred
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import actor_label, audit_record
from leads.models import Lead, LeadStatus
from matching import dispatch
from matching.models import Offer, OfferMode, OfferStatus, RejectReason
from matching.webhooks import webhook_emit, webhook_emit_many


def _offer_for_partner(offer_id: int, partner_id: int) -> Offer:
    offer = Offer.objects.filter(pk=offer_id, partner_id=partner_id).first()
    if offer is None:
        raise DomainError(_("Offer not found."), code="not_found", status_code=404)
    return offer


def _not_open(offer: Offer, now: datetime) -> DomainError:
    if offer.status == OfferStatus.PENDING and offer.expires_at <= now:
        message = _("This offer expired at %(time)s.") % {
            "time": timezone.localtime(offer.expires_at).strftime("%Y-%m-%d %H:%M")}
    else:
        message = _("This offer is no longer open: it is %(status)s.") % {
            "status": offer.get_status_display().lower()}
    return DomainError(message, code="offer_closed", status_code=409)


def offer_accept(*, offer_id: int, partner_id: int, actor) -> Offer:
    """Accept an offer: the lead is the partner's, contact data becomes visible to it, and
    any other open offers for the lead are withdrawn.

    Exactly one accepted offer per lead: the lead row lock serialises accepts, the
    conditional update refuses an offer that is no longer pending or already past its
    expiry, and a partial unique index backs both up in the database.
    """
    with transaction.atomic():
        offer = _offer_for_partner(offer_id, partner_id)
        lead = Lead.objects.select_for_update().get(pk=offer.lead_id)
        now = timezone.now()
        updated = Offer.objects.filter(
            pk=offer.pk, status=OfferStatus.PENDING, expires_at__gt=now,
        ).update(status=OfferStatus.ACCEPTED, responded_at=now, responded_by=actor_label(actor))
        offer.refresh_from_db()
        if not updated:
            raise _not_open(offer, now)
        lead.status = LeadStatus.ACCEPTED
        lead.assigned_partner_id = partner_id
        lead.accepted_at = now
        lead.status_reason = ""
        lead.save()
        withdrawn = list(Offer.objects.filter(lead=lead, status=OfferStatus.PENDING))
        Offer.objects.filter(pk__in=[o.pk for o in withdrawn]).update(
            status=OfferStatus.WITHDRAWN, responded_at=now)
        event_record(lead=lead, kind=OutcomeKind.ACCEPTED, actor=actor, offer=offer)
        audit_record(tenant=lead.tenant_id, actor=actor, action="offer.accepted", target=offer,
                     data={"lead": lead.pk, "partner": partner_id})
        webhook_emit(tenant_id=lead.tenant_id, event="offer.accepted",
                     data={"offer": offer.pk, "lead": lead.pk, "partner": partner_id})
        for other in withdrawn:
            dispatch._after_commit_notify("offer_withdrawn", other)
    return offer


def offer_reject(*, offer_id: int, partner_id: int, actor, reason: str, note: str = "") -> Offer:
    """Decline an offer with a reason; the lead moves on to the next candidate."""
    if reason not in RejectReason.values:
        raise DomainError(_("Please give a reason."), code="invalid", status_code=400,
                          fields={"reason": [_("Choose one of: %s.") % ", ".join(
                              RejectReason.values)]})
    with transaction.atomic():
        offer = _offer_for_partner(offer_id, partner_id)
        lead = Lead.objects.select_for_update().get(pk=offer.lead_id)
        now = timezone.now()
        updated = Offer.objects.filter(pk=offer.pk, status=OfferStatus.PENDING).update(
            status=OfferStatus.REJECTED, responded_at=now, responded_by=actor_label(actor),
            reject_reason=reason, reject_note=note[:2000])
        offer.refresh_from_db()
        if not updated:
            raise _not_open(offer, now)
        event_record(lead=lead, kind=OutcomeKind.REJECTED, actor=actor, offer=offer,
                     reason=reason, note=note)
        audit_record(tenant=lead.tenant_id, actor=actor, action="offer.rejected", target=offer,
                     data={"lead": lead.pk, "reason": reason})
        webhook_emit(tenant_id=lead.tenant_id, event="offer.rejected",
                     data={"offer": offer.pk, "lead": lead.pk, "partner": partner_id,
                           "reason": reason})
        dispatch.lead_continue(lead=lead, actor=actor)
    return offer


# What expiring, cascading and unrouting need of a lead: the sweep reads a thousand at a
# time, and the contact data and profile lists would only cost time (a deferred-field
# instance saves only what it loaded).
SWEEP_LEAD_FIELDS = ("id", "tenant_id", "status", "status_reason", "industry", "employees",
                     "assigned_partner_id", "routed_at", "updated_at")


# Due offers expired per transaction by the sweep (each with its event, its cascade's next
# offer and that offer's event): large enough that the per-statement costs are shared out,
# small enough that a transaction holds its locks briefly.
SWEEP_BATCH = 500


def offers_expire_due(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Expire pending offers past their deadline (the SLA guarantee; run by the sweep).

    Due offers are locked with SKIP LOCKED, so several sweeps can run side by side; their
    leads are only *tried* (SKIP LOCKED too): a lead busy with an accept is left for the
    next round, and the accept itself refuses an offer past its deadline. Each batch is one
    transaction: the expiry, its events, statistics, webhooks and the cascade's next offers
    are written together or not at all. Returns how many offers expired.
    """
    now = now or timezone.now()
    batch_size = batch_size or SWEEP_BATCH
    total = 0
    while True:
        # Statistics held to the end of the batch: one upsert, rows locked in one order.
        with transaction.atomic(), stats_deferred():
            due = list(
                Offer.objects.select_for_update(skip_locked=True)
                .filter(status=OfferStatus.PENDING, expires_at__lte=now)
                .order_by("expires_at").values_list("id", "lead_id", "partner_id")[:batch_size])
            if not due:
                return total
            leads = {lead.pk: lead for lead in
                     Lead.objects.select_for_update(skip_locked=True)
                     .filter(pk__in={lead_id for _o, lead_id, _p in due})
                     .only(*SWEEP_LEAD_FIELDS)}
            # (offer, lead, partner), in the order the expiry events are written.
            expired = sorted(((offer_id, lead_id, partner_id)
                              for offer_id, lead_id, partner_id in due if lead_id in leads),
                             key=lambda row: (row[2], row[0]))
            if not expired:
                return total
            tenant_id = next(iter(leads.values())).tenant_id
            if dispatch.set_based_sql():
                _offers_expire_sql(tenant_id, expired, leads, now)
            else:
                _offers_expire_orm(tenant_id, expired, leads, now)
            webhook_emit_many(tenant_id=tenant_id, event="offer.expired", data=[
                {"offer": offer_id, "lead": lead_id, "partner": partner_id}
                for offer_id, lead_id, partner_id in expired])
            dispatch.leads_continue(list(leads.values()), now=now)
            total += len(expired)
        if len(due) < batch_size:
            return total


def _offers_expire_orm(tenant_id: int, expired: list[tuple[int, int, int]],
                       leads: dict[int, Lead], now: datetime) -> None:
    """Mark the offers expired and record their `expired` events (any database)."""
    Offer.objects.filter(pk__in=[offer_id for offer_id, _l, _p in expired]).update(
        status=OfferStatus.EXPIRED, responded_at=now)
    # An expired event needs of its offer only the ids (no speed is kept for expiries).
    events_record([
        event_new(lead=leads[lead_id], kind=OutcomeKind.EXPIRED, occurred_at=now, now=now,
                  offer=Offer(pk=offer_id, tenant_id=tenant_id, lead_id=lead_id,
                              partner_id=partner_id, status=OfferStatus.EXPIRED,
                              responded_at=now))
        for offer_id, lead_id, partner_id in expired], now=now)


def _offers_expire_sql(tenant_id: int, expired: list[tuple[int, int, int]],
                       leads: dict[int, Lead], now: datetime) -> None:
    """`_offers_expire_orm` on PostgreSQL in one statement: `UPDATE … RETURNING` feeding the
    events' `INSERT … SELECT` (same rows, same order, same statistics), which saves a model
    instance per offer and per event. The offers are locked already; the tenant filter is
    the scope's (RLS applies as well)."""
    table = connection.ops.quote_name(Offer._meta.db_table)
    ids = ",".join(str(int(offer_id)) for offer_id, _l, _p in expired)
    sql = (f"WITH expired AS (UPDATE {table} SET status = %(expired)s, responded_at = %(now)s "
           f"WHERE tenant_id = %(tenant)s AND id = ANY('{{{ids}}}'::bigint[]) "
           "RETURNING id, tenant_id, lead_id, partner_id) "
           + offer_events_insert_sql(offers="expired", order_by="partner_id, id"))
    params = {"expired": OfferStatus.EXPIRED, "tenant": tenant_id,
              **offer_events_params(kind=OutcomeKind.EXPIRED, actor=None, now=now)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        event_ids = {offer_id: event_id for event_id, offer_id, _l, _p in cursor.fetchall()}
    offer_events_recorded(tenant_id=tenant_id, kind=OutcomeKind.EXPIRED, now=now, rows=[
        (event_ids[offer_id], partner_id, leads[lead_id])
        for offer_id, lead_id, partner_id in expired])


def offers_remind_due(*, now: datetime | None = None) -> int:
    """Send the 'offer expires soon' reminder once per offer."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(Offer.objects.select_for_update(skip_locked=True).filter(
            status=OfferStatus.PENDING, remind_at__lte=now, reminded_at__isnull=True,
            expires_at__gt=now)[:1000])
        Offer.objects.filter(pk__in=[o.pk for o in due]).update(reminded_at=now)
        for offer in due:
            dispatch._after_commit_notify("offer_reminder", offer)
    return len(due)


# --- A manager's hand ---------------------------------------------------------------------

def lead_reroute(*, lead_id: int, actor) -> None:
    """Run the engine again for an unrouted (or manual) lead."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        if lead.status not in (LeadStatus.UNROUTED, LeadStatus.ROUTING, LeadStatus.NEW):
            raise DomainError(_("Only unrouted or waiting leads can be routed again."),
                              code="invalid_transition", status_code=409)
        lead.status = LeadStatus.NEW
        lead.save()
        audit_record(tenant=lead.tenant_id, actor=actor, action="lead.rerouted", target=lead)
    dispatch.lead_route_and_dispatch(lead_id=lead_id, actor=actor)


def lead_assign_manually(*, lead_id: int, partner_id: int, actor) -> Offer:
    """Offer the lead to a partner the manager picked (also: confirm a manual suggestion)."""
    from partners.models import Partner

    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        if lead.status not in (LeadStatus.UNROUTED, LeadStatus.ROUTING, LeadStatus.NEW):
            raise DomainError(_("This lead is already offered or taken."),
                              code="invalid_transition", status_code=409)
        if not Partner.objects.filter(pk=partner_id).exists():
            raise DomainError(_("Partner not found."), code="not_found", status_code=404)
        decision = lead.decisions.select_related("policy").first()
        if decision is not None:
            policy = decision.policy
        else:
            from matching.policy import policy_current

            policy = policy_current(tenant=lead.tenant)
        Offer.objects.filter(lead=lead, partner_id=partner_id,
                             status=OfferStatus.PENDING).update(status=OfferStatus.WITHDRAWN)
        offer = dispatch.offer_make(lead=lead, partner_id=partner_id, decision=decision,
                                    rank=1, policy=policy, actor=actor, mode=OfferMode.MANUAL)
        lead.status = LeadStatus.OFFERED
        lead.status_reason = ""
        lead.routed_at = lead.routed_at or timezone.now()
        lead.save()
        audit_record(tenant=lead.tenant_id, actor=actor, action="lead.assigned_manually",
                     target=lead, data={"partner": partner_id})
    return offer


def lead_withdraw(*, lead_id: int, actor, reason: str = "") -> None:
    """Take a lead out of routing for good (spam, duplicate, customer withdrew)."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        if lead.status in (LeadStatus.WON, LeadStatus.LOST, LeadStatus.WITHDRAWN):
            raise DomainError(_("This lead is already closed."), code="invalid_transition",
                              status_code=409)
        now = timezone.now()
        Offer.objects.filter(lead=lead, status=OfferStatus.PENDING).update(
            status=OfferStatus.WITHDRAWN, responded_at=now)
        lead.status = LeadStatus.WITHDRAWN
        lead.status_reason = reason[:300]
        lead.closed_at = now
        lead.save()
        audit_record(tenant=lead.tenant_id, actor=actor, action="lead.withdrawn", target=lead,
                     data={"reason": reason})
