"""Turning routing decisions into offers, and moving a lead along when offers are answered.

Every function here runs inside the caller's transaction with the lead row locked
(`Lead.objects.select_for_update()`), which is what serialises accepts, rejects, expiries
and re-routing of one lead. Lock order is always lead → offers; the expiry sweep only
*tries* lead locks (SKIP LOCKED), so it never waits while holding an offer lock.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.events import (
    event_new,
    events_record,
    offer_events_insert_sql,
    offer_events_params,
    offer_events_recorded,
)
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
from matching.webhooks import webhook_emit, webhook_emit_many
from partners.models import Partner, PartnerStatus

# Leads of one tenant routed together by one task: a burst shares one read of the partner
# table, the policy and the capacities, and one write of each kind. Kept small enough that
# the first lead of a burst is not held back long by the last.
ROUTE_BATCH = 50


def set_based_sql() -> bool:
    """Whether the sweep writes expiries, offers and their events with set-based SQL
    (PostgreSQL: `UPDATE/INSERT … RETURNING` feeding `INSERT … SELECT`) instead of model
    instances. Both paths leave the same rows (tests/matching/test_dispatch_sql_paths.py)."""
    return connection.vendor == "postgresql"


def lead_route_and_dispatch(*, lead_id: int, actor=None) -> None:
    """Route one `new` lead and make its offers (see `leads_route_and_dispatch`)."""
    leads_route_and_dispatch(lead_ids=[lead_id], actor=actor)


def leads_route_and_dispatch(*, lead_ids: list[int], fill_up_to: int = 0, actor=None,
                             skip: frozenset[int] = frozenset()) -> int:
    """Route `new` leads and make their offers, all in one transaction; returns how many
    were routed. Idempotent: leads that are no longer new (routed by an earlier run) are
    left alone.

    With `fill_up_to`, other `new` leads of the tenant waiting behind these (oldest first,
    those no other worker holds) join the run up to that many: under a burst, one task
    routes many leads, and the tasks of the others then find nothing to do. Without
    `lead_ids`, the oldest waiting leads are taken (except those in `skip`)."""
    from matching.routing import lead_decide, routing_context

    if lead_ids:
        named = Lead.objects.filter(status=LeadStatus.NEW)
        named = (named.filter(pk=lead_ids[0]) if len(lead_ids) == 1
                 else named.filter(pk__in=lead_ids))
        if not named.exists():
            return 0  # routed already, most often by the task of a lead ahead in its burst
    with transaction.atomic():
        leads = _new_leads_locked(lead_ids, fill_up_to, skip)
        if not leads:
            return 0
        now = timezone.now()
        context = routing_context(leads=leads)
        decided = []
        for lead in leads:
            decision = lead_decide(lead=lead, context=context, now=now)
            context.add_load(_targets(decision))
            decided.append((lead, decision))
        RoutingDecision.objects.bulk_create([decision for _, decision in decided])
        decisions_dispatch(decided, actor=actor, now=now)
    return len(leads)


def _new_leads_locked(lead_ids: list[int], fill_up_to: int, skip: frozenset[int]
                      ) -> list[Lead]:
    """The named leads (waiting for their lock) and up to `fill_up_to` in all with other new
    leads (SKIP LOCKED: never wait for a lead another worker is routing)."""
    leads = list(Lead.objects.select_for_update(of=("self",)).select_related("tenant")
                 .filter(pk__in=lead_ids, status=LeadStatus.NEW).order_by("pk")) \
        if lead_ids else []
    if len(leads) < fill_up_to and (leads or not lead_ids):
        leads += list(
            Lead.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("tenant").filter(status=LeadStatus.NEW)
            .exclude(pk__in=[lead.pk for lead in leads] + sorted(skip))
            .order_by("received_at", "pk")[: fill_up_to - len(leads)])
    return leads


def _targets(decision: RoutingDecision) -> list[int]:
    """The partners the decision's offers go to now, by the policy's mode."""
    policy = decision.policy
    if policy.mode == OfferMode.MANUAL:
        return []
    if policy.mode == OfferMode.CASCADE:
        return list(decision.chosen[:1])
    return list(decision.chosen[: policy.broadcast_count])


def decision_dispatch(*, lead: Lead, decision: RoutingDecision, actor=None) -> None:
    """Make the offers a decision calls for (by the policy's mode), or mark the lead unrouted."""
    decisions_dispatch([(lead, decision)], actor=actor)


def decisions_dispatch(decided: list[tuple[Lead, RoutingDecision]], *, actor=None,
                       now: datetime | None = None) -> None:
    """`decision_dispatch` for many leads of one tenant, with one write of each kind."""
    now = now or timezone.now()
    specs, offered, waiting = [], [], []
    for lead, decision in decided:
        lead.routed_at = now
        if not decision.chosen:
            reason = excluded_in_words(decision.excluded) or _("no active partners")
            lead_unroute(lead=lead, reason=_("Nobody eligible: %s.") % reason, actor=actor)
        elif decision.policy.mode == OfferMode.MANUAL:
            waiting.append(lead)
        else:
            targets = _targets(decision)
            specs += [OfferSpec(lead=lead, partner_id=partner_id, decision=decision, rank=rank,
                                policy=decision.policy)
                      for rank, partner_id in enumerate(targets, start=1)]
            offered.append((lead, decision, targets))
    offers_make(specs, actor=actor, now=now)
    _leads_set_status(waiting, LeadStatus.ROUTING,
                      _("Waiting for a manager to confirm the suggested partner."), now)
    _leads_set_status([lead for lead, _d, _t in offered], LeadStatus.OFFERED, "", now)
    if offered:
        webhook_emit_many(tenant_id=offered[0][0].tenant_id, event="lead.routed", data=[
            {"lead": lead.pk, "partners": targets, "policy_version": decision.policy.version,
             "mode": decision.policy.mode} for lead, decision, targets in offered])


def _leads_set_status(leads: list[Lead], status: str, reason: str, now: datetime) -> None:
    if not leads:
        return
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(
        status=status, status_reason=reason, routed_at=now, updated_at=now)
    for lead in leads:
        lead.status, lead.status_reason, lead.updated_at = status, reason, now


@dataclass(frozen=True)
class OfferSpec:
    """One offer to make: to whom, for which lead, from which decision and policy."""

    lead: Lead
    partner_id: int
    decision: RoutingDecision | None
    rank: int
    policy: RoutingPolicy
    mode: str | None = None


def offer_make(*, lead: Lead, partner_id: int, decision: RoutingDecision | None, rank: int,
               policy: RoutingPolicy, actor=None, mode: str | None = None) -> Offer:
    """One offer with the policy's SLA (see `offers_make`)."""
    return offers_make([OfferSpec(lead=lead, partner_id=partner_id, decision=decision,
                                  rank=rank, policy=policy, mode=mode)], actor=actor)[0]


def offers_make(specs: list[OfferSpec], *, actor=None, now: datetime | None = None
                ) -> list[Offer]:
    """Offers for leads of one tenant, each with its policy's SLA, written together with
    their `offered` events and webhooks; the partners are told by e-mail after commit."""
    if not specs:
        return []
    now = now or timezone.now()
    deadlines: dict[tuple[float, float], tuple[datetime, datetime | None]] = {}
    offers = []
    for spec in specs:
        policy = spec.policy
        key = (policy.accept_sla_hours, policy.reminder_fraction)
        if key not in deadlines:
            deadlines[key] = _deadlines(spec.lead.tenant, now, policy)
        expires_at, remind_at = deadlines[key]
        score, probability = _scores(spec.decision, spec.partner_id)
        offers.append(Offer(
            tenant_id=spec.lead.tenant_id, lead=spec.lead, partner_id=spec.partner_id,
            decision=spec.decision, rank=spec.rank, score=score,
            choice_probability=probability,
            mode=spec.mode or policy.mode, offered_at=now, expires_at=expires_at,
            remind_at=remind_at))
    tenant_id = offers[0].tenant_id
    if set_based_sql():
        _offers_insert_sql(tenant_id, offers, actor=actor, now=now)
    else:
        offers = Offer.objects.bulk_create(offers)
        events_record([event_new(lead=offer.lead, kind=OutcomeKind.OFFERED, actor=actor,
                                 offer=offer, now=now) for offer in offers], now=now)
    webhook_emit_many(tenant_id=tenant_id, event="offer.created",
                      data=[_offer_data(offer) for offer in offers])
    _after_commit_notify_many("offer_new", offers)
    for sla in {offer.expires_at - now for offer in offers}:
        _schedule_expiry_fast_path(tenant_id, sla)
    return offers


# The columns `_offers_insert_sql` writes: every concrete field of an offer but its id
# (tests/matching/test_dispatch_sql_paths.py checks that none is missing).
_OFFER_COLUMNS = ("tenant_id", "lead_id", "partner_id", "decision_id", "rank", "score",
                  "choice_probability", "mode", "status", "offered_at", "expires_at",
                  "remind_at", "reminded_at", "responded_at", "responded_by", "reject_reason",
                  "reject_note")


# Of those, the ones a burst of offers shares (a few distinct combinations): written once
# each, as parameters, and joined to the rows by number.
_OFFER_SHARED = ("mode", "status", "offered_at", "expires_at", "remind_at", "reminded_at",
                 "responded_at", "responded_by", "reject_reason", "reject_note")
_SHARED_TYPES = {"offered_at": "timestamptz", "expires_at": "timestamptz",
                 "remind_at": "timestamptz", "reminded_at": "timestamptz",
                 "responded_at": "timestamptz"}


def _offers_insert_sql(tenant_id: int, offers: list[Offer], *, actor, now: datetime) -> None:
    """What `bulk_create` and `events_record` do for new offers, on PostgreSQL in one
    statement: the offers' `INSERT … RETURNING` feeding their `offered` events' `INSERT …
    SELECT`. Sets each offer's id. Ids and numbers are written as literals, the shared
    values once per distinct combination, so building the statement costs no model field
    conversion and no placeholder per value."""
    params: dict[str, object] = offer_events_params(kind=OutcomeKind.OFFERED, actor=actor,
                                                    now=now)
    shared: dict[tuple, int] = {}
    rows = []
    for n, offer in enumerate(offers):
        values = tuple(getattr(offer, name) for name in _OFFER_SHARED)
        k = shared.setdefault(values, len(shared))
        decision = "NULL" if offer.decision_id is None else int(offer.decision_id)
        rows.append(f"({n}, {int(offer.lead_id)}, {int(offer.partner_id)}, {decision}, "
                    f"{int(offer.rank)}, {_float_literal(offer.score)}, "
                    f"{_float_literal(offer.choice_probability)}, {k})")
    kinds = []
    for values, k in shared.items():
        cells = [str(k)]
        for name, value in zip(_OFFER_SHARED, values, strict=True):
            params[f"s{k}_{name}"] = value
            cells.append(f"%(s{k}_{name})s::{_SHARED_TYPES.get(name, 'text')}")
        kinds.append(f"({', '.join(cells)})")
    table = connection.ops.quote_name(Offer._meta.db_table)
    sql = (f"WITH made AS (INSERT INTO {table} ({', '.join(_OFFER_COLUMNS)}) "
           f"SELECT {int(tenant_id)}, v.lead_id, v.partner_id, v.decision_id::bigint, v.rank, "
           f"v.score::float8, v.choice_probability::float8, "
           f"{', '.join('s.' + name for name in _OFFER_SHARED)} "
           f"FROM (VALUES {', '.join(rows)}) AS v(n, lead_id, partner_id, decision_id, rank, "
           "score, choice_probability, k) "
           f"JOIN (VALUES {', '.join(kinds)}) AS s(k, {', '.join(_OFFER_SHARED)}) "
           "ON s.k = v.k ORDER BY v.n "
           "RETURNING id, tenant_id, lead_id, partner_id), "
           f"recorded AS ({offer_events_insert_sql(offers='made', order_by='id')}) "
           "SELECT lead_id, partner_id, offer_id, id FROM recorded")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # A lead has one pending offer per partner at most (a unique index).
        made = {(lead_id, partner_id): (offer_id, event_id)
                for lead_id, partner_id, offer_id, event_id in cursor.fetchall()}
    events = []
    for offer in offers:
        offer.pk, event_id = made[(offer.lead_id, offer.partner_id)]
        offer._state.adding, offer._state.db = False, connection.alias
        events.append((event_id, offer.partner_id, offer.lead))
    # Ids were drawn in the order of the rows (ORDER BY v.n), so this is insertion order.
    events.sort(key=lambda event: event[0])
    offer_events_recorded(tenant_id=tenant_id, kind=OutcomeKind.OFFERED, rows=events, now=now)


def _float_literal(value: float) -> str:
    """A float as PostgreSQL reads it back exactly (repr round-trips), NaN and ±∞ included,
    as the ORM would store them."""
    value = float(value)
    if math.isnan(value):
        return "'NaN'::float8"
    if math.isinf(value):
        return "'Infinity'::float8" if value > 0 else "'-Infinity'::float8"
    return repr(value)


def _deadlines(tenant, now: datetime, policy: RoutingPolicy
               ) -> tuple[datetime, datetime | None]:
    # Business hours (if the tenant counts only those) stretch the deadline over nights
    # and weekends: an offer made on Friday evening does not expire on Saturday.
    expires_at = tenant_sla_deadline(tenant, now, policy.accept_sla_hours)
    remind_at = None
    if 0 < policy.reminder_fraction < 1:
        remind_at = tenant_sla_deadline(tenant, now,
                                        policy.accept_sla_hours * policy.reminder_fraction)
    return expires_at, remind_at


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
    leads_continue([lead], actor=actor)


def leads_continue(leads: list[Lead], *, actor=None, now: datetime | None = None) -> None:
    """`lead_continue` for many leads of one tenant (the expiry sweep), in a fixed number of
    queries plus one per lead that ends unrouted.

    Cascade: the next candidate of the lead's newest decision that is still active and has
    capacity left now (the decision may be hours old). When none is left, the engine ranks
    the lead again (partners that had it are excluded) and the best of that new decision
    gets the offer. Either way only while the lead has had fewer offers than the policy's
    `max_attempts` since it was routed; after that, or when nobody fits, it is unrouted."""
    from matching.partner_table import partner_load

    now = now or timezone.now()
    leads = [lead for lead in leads if lead.status == LeadStatus.OFFERED]
    if not leads:
        return
    offers: dict[int, list[tuple[int, str, datetime]]] = {lead.pk: [] for lead in leads}
    for lead_id, partner_id, status, offered_at in Offer.objects.filter(
            lead_id__in=list(offers)).values_list("lead_id", "partner_id", "status",
                                                  "offered_at"):
        offers[lead_id].append((partner_id, status, offered_at))
    # Broadcast: while another offer is pending, that partner may still accept.
    leads = [lead for lead in leads
             if not any(status == OfferStatus.PENDING for _p, status, _o in offers[lead.pk])]
    if not leads:
        return
    decisions = _newest_decisions([lead.pk for lead in leads])
    chosen = {pid for d in decisions.values() if d.policy.mode == OfferMode.CASCADE
              for pid in d.chosen}
    capacity = dict(Partner.objects.filter(pk__in=chosen, status=PartnerStatus.ACTIVE)
                    .values_list("pk", "capacity")) if chosen else {}
    load = partner_load(list(capacity)) if capacity else {}
    specs, rank_again, unrouted = [], [], []
    for lead in leads:
        decision = decisions.get(lead.pk)
        if decision is None:
            unrouted.append((lead, _("No routing decision to continue from.")))
            continue
        history = offers[lead.pk]
        attempts = _attempts(lead, history)
        if decision.policy.mode == OfferMode.CASCADE and attempts < decision.policy.max_attempts:
            tried = {partner_id for partner_id, _s, _o in history}
            nxt = next((pid for pid in decision.chosen if pid not in tried and pid in capacity
                        and load.get(pid, 0) < capacity[pid]), None)
            if nxt is not None:
                load[nxt] = load.get(nxt, 0) + 1
                specs.append(OfferSpec(lead=lead, partner_id=nxt, decision=decision,
                                       rank=attempts + 1, policy=decision.policy))
            else:
                rank_again.append((lead, decision, attempts))
            continue
        unrouted.append((lead, _nobody_took(history)))
    if rank_again:
        ranked, nobody = _leads_rank_again(rank_again, specs=specs, now=now)
        specs += ranked
        unrouted += [(lead, _nobody_took(offers[lead.pk])) for lead in nobody]
    offers_make(specs, actor=actor, now=now)
    for lead, reason in unrouted:
        lead_unroute(lead=lead, reason=reason, actor=actor)


def _newest_decisions(lead_ids: list[int]) -> dict[int, RoutingDecision]:
    """Each lead's newest decision, with its policy (a handful of policy versions for a
    thousand decisions: each read once)."""
    decisions: dict[int, RoutingDecision] = {}
    for decision in (RoutingDecision.objects.filter(lead_id__in=lead_ids)
                     .only("id", "tenant_id", "lead_id", "policy_id", "created_at", "chosen",
                           "chosen_scores", "holdout_id", "holdout_arm")
                     .order_by("lead_id", "-created_at", "-id")):
        decisions.setdefault(decision.lead_id, decision)
    policies = RoutingPolicy.objects.in_bulk({d.policy_id for d in decisions.values()})
    for decision in decisions.values():
        decision.policy = policies[decision.policy_id]
    return decisions


def _attempts(lead: Lead, history: list[tuple[int, str, datetime]]) -> int:
    """Offers the lead has had since it was last routed (a returned lead starts afresh)."""
    if lead.routed_at is None:
        return len(history)
    return sum(1 for _p, _s, offered_at in history if offered_at >= lead.routed_at)


def _nobody_took(history: list[tuple[int, str, datetime]]) -> str:
    statuses = [status for _p, status, _o in history]
    return _("No partner took the lead: %(declined)d declined, %(expired)d let the offer "
             "expire.") % {"declined": statuses.count(OfferStatus.REJECTED),
                           "expired": statuses.count(OfferStatus.EXPIRED)}


def _leads_rank_again(rank_again: list[tuple[Lead, RoutingDecision, int]], *,
                      specs: list[OfferSpec], now: datetime
                      ) -> tuple[list[OfferSpec], list[Lead]]:
    """Run the engine again for cascade leads whose recorded candidates are used up, under
    the policy (and A/B arm) they were routed with; records the new decisions. Returns the
    offers to make (each to the new decision's best) and the leads nobody fits now."""
    from matching.routing import lead_decide, routing_context

    # The sweep reads leads with a few fields only; the engine needs the whole profile.
    full = Lead.objects.select_related("tenant").in_bulk([lead.pk for lead, _d, _a in rank_again])
    context = routing_context(leads=list(full.values()))
    context.add_load([spec.partner_id for spec in specs])  # offers about to be made
    decided = []
    for lead, previous, attempts in rank_again:
        decision = lead_decide(lead=full[lead.pk], context=context, now=now,
                               policy=previous.policy)
        decision.holdout_id, decision.holdout_arm = previous.holdout_id, previous.holdout_arm
        context.add_load(decision.chosen[:1])
        decided.append((lead, decision, attempts))
    RoutingDecision.objects.bulk_create([decision for _l, decision, _a in decided])
    ranked, nobody = [], []
    for lead, decision, attempts in decided:
        if decision.chosen:
            ranked.append(OfferSpec(lead=lead, partner_id=decision.chosen[0], decision=decision,
                                    rank=attempts + 1, policy=decision.policy))
        else:
            nobody.append(lead)
    return ranked, nobody


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


def _scores(decision: RoutingDecision | None, partner_id: int) -> tuple[float, float]:
    """(score, choice probability) the decision gave this partner, for its offer."""
    if decision is None:
        return 0.0, 1.0
    if decision.chosen_scores and partner_id in decision.chosen:
        score, probability = decision.chosen_scores[decision.chosen.index(partner_id)]
        return score, probability
    for candidate in decision.candidates:  # decisions from before chosen_scores, manual picks
        if candidate.get("partner") == partner_id:
            return candidate.get("score", 0.0), candidate.get("probability", 1.0)
    return 0.0, 1.0


def _offer_data(offer: Offer) -> dict:
    return {"offer": offer.pk, "lead": offer.lead_id, "partner": offer.partner_id,
            "status": offer.status, "rank": offer.rank,
            "expires_at": offer.expires_at.isoformat()}


def _after_commit_notify(kind: str, obj) -> None:
    from matching.tasks import notify_task

    notify_task.delay_on_commit(obj.tenant_id, kind, obj.pk)


def _after_commit_notify_many(kind: str, objects: list) -> None:
    """One task for a burst: a broker round trip per e-mail would cost more than routing."""
    from matching.tasks import notify_many_task

    if len(objects) == 1:
        _after_commit_notify(kind, objects[0])
    elif objects:
        notify_many_task.delay_on_commit(objects[0].tenant_id, kind, [o.pk for o in objects])


def _schedule_expiry_fast_path(tenant_id: int, sla: timedelta) -> None:
    """A countdown task expires the offers on time when the SLA is short; the periodic sweep
    is the guarantee. Countdowns longer than the broker's visibility timeout would be
    re-delivered early (Redis), so those are left to the sweep alone."""
    seconds = sla.total_seconds() + 1
    if seconds >= settings.BROKER_VISIBILITY_TIMEOUT:
        return
    from matching.tasks import expire_offers_task

    transaction.on_commit(
        lambda: expire_offers_task.apply_async(args=[tenant_id], countdown=seconds))
