"""Appending outcome events: the one way facts about a lead's journey are written down."""

from datetime import datetime
from decimal import Decimal

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
    from feedback.tasks import rules_evaluate_task

    if not events:
        return []
    now = now or timezone.now()
    events = OutcomeEvent.objects.bulk_create(events)
    stats_apply_many(events=events, now=now)
    partners = sorted({e.partner_id for e in events
                       if e.partner_id is not None and e.kind in RULE_TRIGGERS})
    if partners:
        rules_evaluate_task.delay_on_commit(events[0].tenant_id, partners)
    return events


def event_record(*, lead, kind: str, actor=None, partner=None, offer=None, reason: str = "",
                 value: Decimal | None = None, note: str = "",
                 occurred_at: datetime | None = None) -> OutcomeEvent:
    """Append one event (see `events_record`)."""
    now = timezone.now()
    return events_record([event_new(lead=lead, kind=kind, actor=actor, partner=partner,
                                    offer=offer, reason=reason, value=value, note=note,
                                    occurred_at=occurred_at, now=now)], now=now)[0]
