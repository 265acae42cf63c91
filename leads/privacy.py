"""GDPR for a lead's contact (DESIGN.md §4): export, erasure, and the retention period.

- `lead_export`: everything held about the lead's contact as one JSON-ready dict — the lead's
  fields, its offers, outcome events and the audit entries that mention it (the lead itself,
  its offers, or `data.lead`), plus the ids of other leads with the same contact e-mail so a
  manager can answer for all of them.
- `lead_erase`: the personal data (contact name, e-mail, phone, notes, company name) becomes
  "erased" on the lead *and in every copy* we keep: free-text notes of its offers and events,
  audit entries and webhook delivery payloads mentioning it, stored idempotent API responses,
  and CSV import files. Statistics stay: the lead row (status, values, dates, place, taxonomy),
  its offers and outcome events are kept, only their text is cleared. The erasure is audited
  (without the erased values).
- Retention: closed leads (won, lost, withdrawn) whose `closed_at` is older than the tenant's
  `closed_lead_retention_days` are anonymised the same way by the nightly task
  (leads.privacy_tasks.anonymise_expired).
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Min, Q
from django.utils import timezone

from feedback.models import OutcomeEvent
from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.models import AuditEvent, Tenant
from leadrouter.tenancy.scoping import all_tenants, tenant_scope
from leads.models import CLOSED_STATUSES, IdempotencyRecord, ImportJob, Lead
from matching.models import Offer, WebhookDelivery

ERASED = "erased"
# The lead's personal data. Company name too: for a one-person business it names a person.
PII_FIELDS = ("contact_name", "contact_email", "contact_phone", "notes", "company_name")
# Needles shorter than this are not searched for in copies (a one-letter name would
# otherwise "erase" every "a" of an audit entry).
MIN_NEEDLE = 3


# ------------------------------------------------------------------------------------ export

def _row(obj: models.Model, exclude: tuple[str, ...] = ("tenant",)) -> dict[str, Any]:
    """A model row as plain JSON-able values (foreign keys as ids)."""
    row = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        row[field.attname if field.is_relation else field.name] = getattr(obj, field.attname)
    return row


def _audit_mentioning(lead: Lead, offer_ids: list[int]) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        Q(target_type="leads.lead", target_id=str(lead.pk))
        | Q(target_type="matching.offer", target_id__in=[str(pk) for pk in offer_ids])
        | Q(data__lead=lead.pk)
    ).order_by("created_at", "id")


def lead_export(*, lead: Lead, actor) -> dict[str, Any]:
    """All data held about the lead's contact, as a dict ready for JSON (see the module
    docstring). The export itself is audited: it discloses personal data."""
    offers = list(Offer.objects.filter(lead=lead).order_by("offered_at", "id"))
    offer_ids = [offer.pk for offer in offers]
    same_contact: list[int] = []
    if lead.contact_email and lead.anonymised_at is None:
        same_contact = list(Lead.objects.filter(contact_email__iexact=lead.contact_email)
                            .exclude(pk=lead.pk).order_by("pk").values_list("pk", flat=True))
    audit = [
        {"created_at": entry.created_at, "actor": entry.actor, "action": entry.action,
         "target_type": entry.target_type, "target_id": entry.target_id, "data": entry.data}
        for entry in _audit_mentioning(lead, offer_ids)
    ]
    document = {
        "format": "leadrouter.lead-export/1",
        "exported_at": timezone.now(),
        "tenant": lead.tenant.slug,
        "lead": _row(lead),
        "offers": [_row(offer, exclude=("tenant", "decision")) for offer in offers],
        "events": [_row(event) for event in
                   OutcomeEvent.objects.filter(lead=lead).order_by("occurred_at", "id")],
        "audit": audit,
        "same_contact_leads": same_contact,
    }
    audit_record(tenant=lead.tenant_id, actor=actor, action="lead.exported", target=lead,
                 data={"lead": lead.pk})
    return _jsonable(document)


def _jsonable(value: Any) -> Any:
    """Dates, decimals and UUIDs as the API writes them (DjangoJSONEncoder), once, here."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return DjangoJSONEncoder().default(value)


# ----------------------------------------------------------------------------------- erasure

@dataclass
class ErasureReport:
    """How many rows of each kind were changed (for the audit entry and the API answer)."""

    lead: int = 0
    offers: int = 0
    events: int = 0
    audit_entries: int = 0
    webhook_deliveries: int = 0
    idempotency_records: int = 0
    import_jobs: int = 0


def _needles(lead: Lead) -> list[str]:
    values = {getattr(lead, name).strip() for name in PII_FIELDS}
    values = {value for value in values if len(value) >= MIN_NEEDLE and value != ERASED}
    # Longest first, so "Erika Mustermann" goes before a contained "Erika".
    return sorted(values, key=len, reverse=True)


def _scrub_text(text: str, needles: list[str]) -> str:
    lowered = text.lower()
    for needle in needles:
        if needle.lower() in lowered:
            start = 0
            parts = []
            low_needle = needle.lower()
            while (found := lowered.find(low_needle, start)) != -1:
                parts.append(text[start:found])
                parts.append(ERASED)
                start = found + len(needle)
            parts.append(text[start:])
            text = "".join(parts)
            lowered = text.lower()
    return text


def _scrub(value: Any, needles: list[str]) -> Any:
    """`value` with every PII field (by key) and every occurrence of a needle replaced."""
    if isinstance(value, dict):
        return {key: (ERASED if key in PII_FIELDS and isinstance(item, str) and item
                      else _scrub(item, needles)) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, str):
        return _scrub_text(value, needles)
    return value


def _scrub_json_rows(rows, field: str, needles: list[str]) -> int:
    changed = []
    for row in rows:
        before = getattr(row, field)
        after = _scrub(before, needles)
        if after != before:
            setattr(row, field, after)
            changed.append(row)
    if changed:
        type(changed[0]).objects.bulk_update(changed, [field], batch_size=500)
    return len(changed)


def _erase_copies(lead: Lead, needles: list[str], report: ErasureReport) -> None:
    offer_ids = list(Offer.objects.filter(lead=lead).values_list("pk", flat=True))
    report.offers = (Offer.objects.filter(lead=lead).exclude(reject_note="")
                     .exclude(reject_note=ERASED).update(reject_note=ERASED))
    # Outcome events are append-only for their facts (kind, reason, value, dates); their
    # free-text note is the one thing erasure may clear.
    report.events = (OutcomeEvent.objects.filter(lead=lead).exclude(note="")
                     .exclude(note=ERASED).update(note=ERASED))
    report.audit_entries = _scrub_json_rows(_audit_mentioning(lead, offer_ids), "data", needles)
    report.webhook_deliveries = _scrub_json_rows(
        WebhookDelivery.objects.filter(payload__data__lead=lead.pk), "payload", needles)
    report.idempotency_records = _scrub_json_rows(
        IdempotencyRecord.objects.filter(body__id=lead.pk), "body", needles)
    if needles:
        matches = Q()
        for needle in needles:
            matches |= Q(content__icontains=needle)
        jobs = list(ImportJob.objects.filter(matches))
        for job in jobs:
            job.content = _scrub_text(job.content, needles)
            job.errors = _scrub(job.errors, needles)
        if jobs:
            ImportJob.objects.bulk_update(jobs, ["content", "errors"])
        report.import_jobs = len(jobs)


def lead_erase(*, lead_id: int, actor, action: str = "lead.erased") -> ErasureReport:
    """Erase the personal data of one lead everywhere (see the module docstring), keep its
    statistics, and audit the erasure. Running it again is harmless (it finds nothing more
    to erase, or copies made since, and audits once more)."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        needles = _needles(lead)
        report = ErasureReport()
        _erase_copies(lead, needles, report)
        for name in PII_FIELDS:
            if getattr(lead, name):
                setattr(lead, name, ERASED)
        lead.status_reason = _scrub_text(lead.status_reason, needles)
        lead.anonymised_at = lead.anonymised_at or timezone.now()
        lead.save()
        report.lead = 1
        audit_record(tenant=lead.tenant_id, actor=actor, action=action, target=lead,
                     data={"copies": asdict(report)})
    return report


# --------------------------------------------------------------------------------- retention

def leads_anonymise_expired(*, tenant: Tenant, now: datetime | None = None,
                            limit: int = 10_000) -> int:
    """Anonymise this tenant's closed leads past its retention period (in its scope).
    Returns how many were anonymised; at most `limit` per run (the rest the next night)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=tenant.closed_lead_retention_days)
    due = list(Lead.objects.filter(status__in=CLOSED_STATUSES, anonymised_at__isnull=True,
                                   closed_at__lt=cutoff)
               .order_by("closed_at", "pk").values_list("pk", flat=True)[:limit])
    for lead_id in due:
        lead_erase(lead_id=lead_id, actor="system", action="lead.anonymised")
    return len(due)


def tenants_with_expired_leads(*, now: datetime | None = None) -> list[int]:
    """Cross-tenant on purpose (the nightly retention run): which tenants have a closed,
    not yet anonymised lead older than their own retention period. Reads only tenant ids and
    dates; the anonymising itself runs per tenant, inside its scope."""
    now = now or timezone.now()
    retention = dict(Tenant.objects.values_list("pk", "closed_lead_retention_days"))
    with all_tenants():
        oldest = (Lead.objects.filter(status__in=CLOSED_STATUSES, anonymised_at__isnull=True,
                                      closed_at__isnull=False)
                  .values("tenant_id").annotate(oldest=Min("closed_at")).order_by())
        rows = [(row["tenant_id"], row["oldest"]) for row in oldest]
    return sorted(tenant_id for tenant_id, closed in rows
                  if closed < now - timedelta(days=retention.get(tenant_id, 730)))


def anonymise_expired_all(*, now: datetime | None = None) -> dict[int, int]:
    """The nightly retention run over all tenants: tenant id → leads anonymised."""
    now = now or timezone.now()
    done = {}
    for tenant_id in tenants_with_expired_leads(now=now):
        tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_scope(tenant):
            done[tenant_id] = leads_anonymise_expired(tenant=tenant, now=now)
    return done
