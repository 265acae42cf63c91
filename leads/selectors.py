"""Reads of leads for the API and the manager pages."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from feedback.models import OutcomeEvent
from leadrouter.tenancy.models import AuditEvent
from leads.models import Lead
from matching.models import Offer, RoutingDecision

# ----------------------------------------------------------------------------------------- API


def leads_for_api(*, partner_id: int | None) -> QuerySet[Lead]:
    """The leads an API key may read, with offers and decisions prefetched.

    A partner-scoped key sees only leads offered or assigned to its partner, only its own
    offers, and no routing decision (it names the other partners and their scores)."""
    leads = Lead.objects.all()
    offers = Offer.objects.order_by("rank", "offered_at", "id")
    if partner_id is not None:
        offered = Offer.objects.filter(partner_id=partner_id).values("lead_id")
        leads = leads.filter(Q(assigned_partner_id=partner_id) | Q(pk__in=offered))
        offers = offers.filter(partner_id=partner_id)
        return leads.prefetch_related(Prefetch("offers", queryset=offers, to_attr="offer_list"))
    # Only what the API shows: the decision's other JSON columns are the engine's own.
    decisions = (RoutingDecision.objects.select_related("policy")
                 .only("lead_id", "created_at", "eligible_count", "candidates", "excluded",
                       "policy__version")
                 .order_by("-created_at", "-id"))
    return leads.prefetch_related(
        Prefetch("offers", queryset=offers, to_attr="offer_list"),
        Prefetch("decisions", queryset=decisions, to_attr="decision_list"),
    )


def lead_get_for_api(*, lead_id: int, partner_id: int | None) -> Lead:
    lead = leads_for_api(partner_id=partner_id).filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    return lead


def lead_latest_decision(lead: Lead) -> RoutingDecision | None:
    decisions = getattr(lead, "decision_list", None)
    if decisions is None:
        return None
    return decisions[0] if decisions else None


# ------------------------------------------------------------------------------- manager pages

LIST_SORTS = {
    # key → (field, descending)
    "-received": ("received_at", True),
    "received": ("received_at", False),
    "company": ("company_name", False),
    "-company": ("company_name", True),
    "-updated": ("updated_at", True),
}
PAGE_SIZE = 50


@dataclass
class LeadPage:
    leads: list[Lead]
    next_cursor: str | None


def _cursor_encode(value, pk: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str, field: str):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        pk = int(pk)
    except (ValueError, TypeError):
        return None
    if field.endswith("_at"):
        value = parse_datetime(value) if isinstance(value, str) else None
        if value is None:
            return None
    elif not isinstance(value, str):
        return None
    return value, pk


def leads_page(*, status: str = "", partner_id: int | None = None, source: str = "",
               channel: str = "", search: str = "", sort: str = "-received",
               cursor: str = "", page_size: int = PAGE_SIZE) -> LeadPage:
    """One page of the manager's lead list, by keyset: WHERE (sort, id) beyond the last row
    of the previous page, LIMIT n+1. No COUNT(*) and no OFFSET, so page 2,000 of 100,000
    leads costs what page 1 costs (the (tenant, -received_at, -id) index serves the default
    sort)."""
    field, descending = LIST_SORTS.get(sort, LIST_SORTS["-received"])
    leads = Lead.objects.select_related("assigned_partner")
    if status:
        leads = leads.filter(status=status)
    if partner_id:
        leads = leads.filter(assigned_partner_id=partner_id)
    if source:
        leads = leads.filter(source=source)
    if channel:
        leads = leads.filter(channel=channel)
    if search:
        leads = leads.filter(Q(company_name__icontains=search) | Q(external_id=search))
    position = _cursor_decode(cursor, field) if cursor else None
    if position is not None:
        value, pk = position
        beyond = "lt" if descending else "gt"
        leads = leads.filter(Q(**{f"{field}__{beyond}": value})
                             | Q(**{field: value, f"pk__{beyond}": pk}))
    prefix = "-" if descending else ""
    rows = list(leads.order_by(f"{prefix}{field}", f"{prefix}pk")[: page_size + 1])
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        next_cursor = _cursor_encode(getattr(last, field), last.pk)
    return LeadPage(leads=rows, next_cursor=next_cursor)


def lead_sources(*, tenant_id: int) -> list[str]:
    """The sources to filter by. A DISTINCT over all leads scans the table, so the answer
    is cached for a few minutes (a new source shows up in the filter a little later)."""
    key = f"leads:sources:{tenant_id}"
    sources = cache.get(key)
    if sources is None:
        sources = list(Lead.objects.exclude(source="").order_by("source")
                       .values_list("source", flat=True).distinct()[:100])
        cache.set(key, sources, timeout=300)
    return sources


def lead_get_for_manager(*, lead_id: int) -> Lead:
    lead = (Lead.objects.select_related("assigned_partner", "duplicate_of")
            .filter(pk=lead_id).first())
    if lead is None:
        raise Http404
    return lead


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # received, decision, offer, response, outcome, audit
    title: str
    detail: str = ""


def lead_timeline(*, lead: Lead) -> tuple[list[TimelineEntry], RoutingDecision | None]:
    """What happened to a lead, oldest first, and its latest routing decision."""
    entries = [TimelineEntry(at=lead.received_at, kind="received",
                             title=gettext("Received via %(channel)s")
                             % {"channel": lead.get_channel_display()})]
    decisions = list(RoutingDecision.objects.filter(lead=lead).select_related("policy")
                     .order_by("created_at", "id"))
    for decision in decisions:
        excluded = ", ".join(f"{count} {reason}" for reason, count in decision.excluded.items())
        entries.append(TimelineEntry(
            at=decision.created_at, kind="decision",
            title=gettext("Routing decision (policy v%(version)s): %(n)s eligible")
            % {"version": decision.policy.version, "n": decision.eligible_count},
            detail=gettext("excluded: %(reasons)s") % {"reasons": excluded} if excluded else ""))
    for offer in Offer.objects.filter(lead=lead).select_related("partner"):
        entries.append(TimelineEntry(at=offer.offered_at, kind="offer",
                                     title=gettext("Offered to %(partner)s (rank %(rank)s)")
                                     % {"partner": offer.partner.name, "rank": offer.rank},
                                     detail=offer.get_status_display()))
        if offer.responded_at:
            detail = offer.get_reject_reason_display() if offer.reject_reason else ""
            entries.append(TimelineEntry(
                at=offer.responded_at, kind="response",
                title=f"{offer.partner.name}: {offer.get_status_display()}", detail=detail))
    for event in OutcomeEvent.objects.filter(lead=lead).select_related("partner"):
        detail = " · ".join(str(part) for part in (
            event.reason, event.value if event.value is not None else "", event.note) if part)
        who = f"{event.partner.name}: " if event.partner else ""
        entries.append(TimelineEntry(at=event.occurred_at, kind="outcome",
                                     title=f"{who}{event.get_kind_display()}", detail=detail))
    for audit in AuditEvent.objects.filter(target_type="leads.lead", target_id=str(lead.pk)):
        entries.append(TimelineEntry(at=audit.created_at, kind="audit",
                                     title=gettext("%(action)s by %(actor)s")
                                     % {"action": audit.action, "actor": audit.actor}))
    entries.sort(key=lambda entry: entry.at)
    return entries, (decisions[-1] if decisions else None)
