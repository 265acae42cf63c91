"""Appending outcome events: the one way facts about a lead's journey are written down."""

from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from feedback.models import OutcomeEvent, OutcomeKind
from leadrouter.tenancy.audit import actor_label

# Events after which the threshold rules look at the partner again (after commit).
RULE_TRIGGERS = frozenset({OutcomeKind.ACCEPTED, OutcomeKind.REJECTED, OutcomeKind.EXPIRED,
                           OutcomeKind.RETURNED, OutcomeKind.WON, OutcomeKind.LOST})


def event_new(*, lead, kind: str, actor=None, partner=None, offer=None, reason: str = "",
              value: Decimal | None = None, note: str = "",
              occurred_at: datetime | None = None, now: datetime | None = None
              ) -> OutcomeEvent:
    """An unsaved event, with the speed (seconds to accept or to close) copied from the
    offer; `events_record` writes it."""
    now = now or timezone.now()
    occurred_at = occurred_at or now
    seconds = None
    if offer is not None and kind == OutcomeKind.ACCEPTED and offer.offered_at:
        seconds = max(int((occurred_at - offer.offered_at).total_seconds()), 0)
    elif offer is not None and kind in (OutcomeKind.WON, OutcomeKind.LOST) \
            and offer.responded_at:
        seconds = max(int((occurred_at - offer.responded_at).total_seconds()), 0)
    event = OutcomeEvent(
        tenant_id=lead.tenant_id, lead=lead,
        partner_id=partner.pk if partner is not None else (offer.partner_id if offer else None),
        offer=offer, kind=kind, reason=reason, value=value, note=note,
        occurred_at=occurred_at, recorded_at=now, actor=actor_label(actor), seconds=seconds,
    )
    return event


def events_record(events: list[OutcomeEvent], *, now: datetime | None = None
                  ) -> list[OutcomeEvent]:
    """Append events of one tenant (from `event_new`, in the order they happened) and add
    them to the partners' statistics, in one insert. Call inside the service's transaction;
    the threshold rules are evaluated for the partners concerned after commit, in one task."""
    from feedback.stats import stats_apply_many

    if not events:
        return []
    now = now or timezone.now()
    events = OutcomeEvent.objects.bulk_create(events)
    stats_apply_many(events=events, now=now)
    _rules_after_commit(events[0].tenant_id, [(e.partner_id, e.kind) for e in events])
    return events


# Columns of an event about an offer of a counter kind (offered, expired) written by SQL:
# what `event_new` makes for one, with no reason, value, note or speed.
_OFFER_EVENT_COLUMNS = ("tenant_id", "lead_id", "partner_id", "offer_id", "kind", "reason",
                        "value", "note", "occurred_at", "recorded_at", "actor", "seconds")


def offer_events_insert_sql(*, offers: str, order_by: str) -> str:
    """PostgreSQL: `INSERT … SELECT` of one event per row of the CTE named `offers` (columns
    id, tenant_id, lead_id, partner_id), of kind %(event_kind)s at %(now)s by %(actor)s,
    inserted in `order_by` order (ids follow it); RETURNING id, offer_id, lead_id,
    partner_id (select from it alone: a join back to `offers` is planned as a nested loop
    over row estimates of 1). The caller then
    calls `offer_events_recorded` — together what `events_record` does."""
    table = connection.ops.quote_name(OutcomeEvent._meta.db_table)
    return (f"INSERT INTO {table} ({', '.join(_OFFER_EVENT_COLUMNS)}) "
            f"SELECT tenant_id, lead_id, partner_id, id, %(event_kind)s, '', NULL, '', "
            f"%(now)s, %(now)s, %(actor)s, NULL FROM {offers} ORDER BY {order_by} "
            "RETURNING id, offer_id, lead_id, partner_id")


def offer_events_params(*, kind: str, actor, now: datetime) -> dict:
    return {"event_kind": kind, "actor": actor_label(actor), "now": now}


def offer_events_recorded(*, tenant_id: int, kind: str, rows: list[tuple[int, int, object]],
                          now: datetime) -> None:
    """After `offer_events_insert_sql`: add the events (rows of event id, partner id and the
    lead, in insertion order) to the statistics and evaluate the rules after commit."""
    from feedback.stats import facts_of, stats_apply_facts

    stats_apply_facts(tenant_id=tenant_id, now=now, facts=[
        facts_of(event_id=event_id, partner_id=partner_id, kind=kind, reason="", value=None,
                 occurred_at=now, industry=lead.industry, employees=lead.employees,
                 offered_at=None, responded_at=None)
        for event_id, partner_id, lead in rows])
    _rules_after_commit(tenant_id, [(partner_id, kind) for _e, partner_id, _l in rows])


def _rules_after_commit(tenant_id: int, partner_kinds: list[tuple[int | None, str]]) -> None:
    from feedback.tasks import rules_evaluate_task

    partners = sorted({partner_id for partner_id, kind in partner_kinds
                       if partner_id is not None and kind in RULE_TRIGGERS})
    if partners:
        rules_evaluate_task.delay_on_commit(tenant_id, partners)


def event_record(*, lead, kind: str, actor=None, partner=None, offer=None, reason: str = "",
                 value: Decimal | None = None, note: str = "",
                 occurred_at: datetime | None = None) -> OutcomeEvent:
    """Append one event (see `events_record`)."""
    now = timezone.now()
    return events_record([event_new(lead=lead, kind=kind, actor=actor, partner=partner,
                                    offer=offer, reason=reason, value=value, note=note,
                                    occurred_at=occurred_at, now=now)], now=now)[0]
