"""Appending outcome events: the one way facts about a lead's journey are written down."""

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from feedback.models import OutcomeEvent, OutcomeKind
from leadrouter.tenancy.audit import actor_label

# Events after which the threshold rules look at the partner again (after commit).
RULE_TRIGGERS = frozenset({OutcomeKind.ACCEPTED, OutcomeKind.REJECTED, OutcomeKind.EXPIRED,
                           OutcomeKind.RETURNED, OutcomeKind.WON, OutcomeKind.LOST})


def event_record(*, lead, kind: str, actor=None, partner=None, offer=None, reason: str = "",
                 value: Decimal | None = None, note: str = "",
                 occurred_at: datetime | None = None) -> OutcomeEvent:
    """Append one event and add it to the partner's statistics. Call inside the service's
    transaction; the threshold rules are evaluated for the partner after commit."""
    from feedback.stats import stats_apply
    from feedback.tasks import rules_evaluate_task

    now = timezone.now()
    occurred_at = occurred_at or now
    seconds = None
    if offer is not None and kind == OutcomeKind.ACCEPTED and offer.offered_at:
        seconds = max(int((occurred_at - offer.offered_at).total_seconds()), 0)
    elif offer is not None and kind in (OutcomeKind.WON, OutcomeKind.LOST) \
            and offer.responded_at:
        seconds = max(int((occurred_at - offer.responded_at).total_seconds()), 0)
    event = OutcomeEvent.objects.create(
        tenant_id=lead.tenant_id, lead=lead,
        partner_id=partner.pk if partner is not None else (offer.partner_id if offer else None),
        offer=offer, kind=kind, reason=reason, value=value, note=note,
        occurred_at=occurred_at, recorded_at=now, actor=actor_label(actor), seconds=seconds,
    )
    stats_apply(event=event, lead=lead, offer=offer, now=now)
    if event.partner_id is not None and kind in RULE_TRIGGERS:
        rules_evaluate_task.delay_on_commit(lead.tenant_id, [event.partner_id])
    return event
