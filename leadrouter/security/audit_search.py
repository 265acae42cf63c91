"""Reading the audit trail: the search behind the admins' audit log page."""

from datetime import date

from django.db.models import Q, QuerySet

from leadrouter.tenancy.models import AuditEvent


def audit_events_search(*, actor: str = "", action: str = "", target: str = "",
                        date_from: date | None = None, date_to: date | None = None
                        ) -> QuerySet[AuditEvent]:
    """Audit events of the current tenant scope, newest first.

    - actor: part of the actor (an e-mail, `api-key:<prefix>`, `system`), case-insensitive;
    - action: an action or its prefix (`lead.` finds every lead event);
    - target: `<type>:<id>` (e.g. `lead:42` or `leads.lead:42`), a bare id, or a type;
    - date_from / date_to: inclusive days in the current time zone.
    """
    events = AuditEvent.objects.all()
    if actor:
        events = events.filter(actor__icontains=actor.strip())
    if action:
        events = events.filter(action__istartswith=action.strip())
    if target:
        events = events.filter(_target_q(target.strip()))
    if date_from:
        events = events.filter(created_at__date__gte=date_from)
    if date_to:
        events = events.filter(created_at__date__lte=date_to)
    return events.order_by("-created_at", "-pk")


def _target_q(target: str) -> Q:
    kind, sep, ident = target.rpartition(":")
    if not sep:
        if target.isdigit():
            return Q(target_id=target)
        return Q(target_type__icontains=target)
    query = Q(target_id=ident.strip()) if ident.strip() else Q()
    kind = kind.strip().lower()
    if kind:
        # "lead" matches "leads.lead"; "leads.lead" matches itself.
        query &= Q(target_type=kind) | Q(target_type__endswith=f".{kind}")
    return query
