"""CSV import of leads in the dashboard: upload, column mapping, then a Celery task.

Why "validate everything, then insert in one transaction" (and not per-chunk commits with a
resumable job): a manager who uploads a file expects it imported or not — a file half in the
database after a worker crash is the worst outcome, because re-uploading it would then
create the rows without an external id twice. So the task
1. reads and validates every row first (no writes, so a crash here loses nothing; progress is
   committed as it goes), and stops with the per-row errors (line numbers) when there are any,
   unless the manager chose to import the valid rows only;
2. inserts all good rows through the ingestion service inside ONE transaction, in chunks of
   1,000 (a few queries each). The job's final counts commit in the same transaction, so
   "done" and the leads land together or not at all. Progress of this phase cannot be read
   from the database (the transaction is not committed yet), so it goes to the shared cache.
A crash in phase 2 rolls everything back; the task is `acks_late`, so the broker delivers it
again and the job starts over from phase 1. 10,000 rows commit in a few seconds, well inside
what one transaction should hold.
"""

import csv
import io
import logging
from collections.abc import Iterator

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.models import Tenant
from leads.models import ImportJob, ImportStatus, LeadChannel
from leads.services import IngestStatus, leads_ingest_bulk
from leads.validation import LEAD_FIELDS, LeadRules, lead_clean

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
CHUNK = 1000
ERRORS_KEPT = 500  # per-row errors stored on the job (the count is always exact)
REQUIRED_FIELDS = ("company_name", "country")

# Header spellings (lower-case, without spaces, dashes and underscores) → lead field.
HEADER_ALIASES = {
    "externalid": "external_id", "id": "external_id", "crmid": "external_id",
    "leadid": "external_id",
    "company": "company_name", "companyname": "company_name", "firma": "company_name",
    "unternehmen": "company_name", "organisation": "company_name", "organization": "company_name",
    "account": "company_name",
    "industry": "industry", "branche": "industry", "sector": "industry",
    "employees": "employees", "mitarbeiter": "employees", "companysize": "employees",
    "country": "country", "land": "country", "countrycode": "country",
    "postalcode": "postal_code", "zip": "postal_code", "zipcode": "postal_code",
    "postcode": "postal_code", "plz": "postal_code", "postleitzahl": "postal_code",
    "city": "city", "ort": "city", "stadt": "city", "town": "city",
    "dealvalue": "deal_value", "value": "deal_value", "amount": "deal_value",
    "volumen": "deal_value", "auftragswert": "deal_value",
    "currency": "currency", "währung": "currency", "waehrung": "currency",
    "competencies": "competencies", "kompetenzen": "competencies",
    "certifications": "certifications", "zertifizierungen": "certifications",
    "products": "products", "product": "products", "produkt": "products", "produkte": "products",
    "language": "language", "sprache": "language",
    "source": "source", "quelle": "source", "campaign": "campaign", "kampagne": "campaign",
    "cost": "cost", "kosten": "cost", "leadcost": "cost",
    "contactname": "contact_name", "contact": "contact_name", "name": "contact_name",
    "ansprechpartner": "contact_name", "kontakt": "contact_name",
    "email": "contact_email", "contactemail": "contact_email", "mail": "contact_email",
    "phone": "contact_phone", "contactphone": "contact_phone", "telefon": "contact_phone",
    "tel": "contact_phone",
    "notes": "notes", "note": "notes", "notizen": "notes", "bemerkung": "notes",
    "message": "notes", "nachricht": "notes",
    "consent": "consent", "einwilligung": "consent",
}


def _progress_key(job_id: int) -> str:
    return f"leads:import-progress:{job_id}"


def csv_decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 — what spreadsheet exports use."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def csv_delimiter(sample: str) -> str:
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def mapping_guess(headers: list[str]) -> dict[str, str]:
    """CSV column → lead field ("" = ignore), from the header names; each field used once."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = "".join(ch for ch in header.strip().lower() if ch not in " -_.")
        guess = key if key in LEAD_FIELDS else HEADER_ALIASES.get(key, "")
        if guess in used:
            guess = ""
        mapping[header] = guess
        if guess:
            used.add(guess)
    return mapping


def csv_rows(job: ImportJob) -> Iterator[tuple[int, dict]]:
    """(line number of the row's first line, {lead field: cell}) for each non-empty row."""
    reader = csv.reader(io.StringIO(job.content), delimiter=job.delimiter)
    columns = [(i, field) for i, (header, field) in
               enumerate((h, job.mapping.get(h, "")) for h in job.headers) if field]
    next(reader, None)  # the header row
    previous_end = reader.line_num
    for cells in reader:
        line = previous_end + 1
        previous_end = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        yield line, {field: (cells[i] if i < len(cells) else "") for i, field in columns}


def import_job_create(*, tenant: Tenant, actor, filename: str, raw: bytes) -> ImportJob:
    """Store an uploaded CSV and guess its column mapping; the manager confirms it next."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise DomainError(gettext("The file is larger than 20 MB; split it."), code="invalid",
                          status_code=400, fields={"file": [gettext("At most 20 MB.")]})
    content = csv_decode(raw).replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in content:
        raise DomainError(gettext("This is not a CSV file."), code="invalid", status_code=400,
                          fields={"file": [
                              gettext("Upload a CSV file (comma or semicolon separated).")]})
    delimiter = csv_delimiter(content[:4096])
    headers = next(csv.reader(io.StringIO(content), delimiter=delimiter), [])
    headers = [h.strip() for h in headers]
    if not any(headers):
        raise DomainError(gettext("The file is empty."), code="invalid", status_code=400,
                          fields={"file": [gettext("The first line must name the columns.")]})
    if len(set(headers)) != len(headers):
        raise DomainError(gettext("Two columns have the same name."), code="invalid",
                          status_code=400,
                          fields={"file": [gettext("Column names must be unique.")]})
    with transaction.atomic():
        job = ImportJob.objects.create(
            tenant=tenant, created_by=str(getattr(actor, "email", "") or actor),
            filename=filename[:255], content=content, delimiter=delimiter, headers=headers,
            mapping=mapping_guess(headers))
        audit_record(tenant=tenant, actor=actor, action="lead_import.uploaded", target=job,
                     data={"filename": job.filename})
    return job


def csv_preview(job: ImportJob, rows: int = 5) -> list[list[str]]:
    reader = csv.reader(io.StringIO(job.content), delimiter=job.delimiter)
    next(reader, None)
    preview = []
    for cells in reader:
        preview.append(cells + [""] * (len(job.headers) - len(cells)))
        if len(preview) >= rows:
            break
    return preview


def import_job_start(*, job: ImportJob, actor, mapping: dict[str, str],
                     skip_invalid: bool) -> ImportJob:
    """Save the confirmed mapping and queue the import task."""
    from leads.tasks import import_job_run_task

    if job.status != ImportStatus.MAPPING:
        raise DomainError(gettext("This import has already started."), code="conflict")
    problems: dict[str, list[str]] = {}
    fields = [field for field in mapping.values() if field]
    for field in set(fields):
        if field not in LEAD_FIELDS:
            problems.setdefault(field, []).append(gettext("Not a lead field."))
        elif fields.count(field) > 1:
            problems.setdefault(field, []).append(gettext("Mapped from more than one column."))
    for field in REQUIRED_FIELDS:
        if field not in fields:
            problems.setdefault(field, []).append(gettext("Map a column to this field."))
    if problems:
        raise DomainError(gettext("Check the column mapping."), code="invalid", status_code=400,
                          fields=problems)
    with transaction.atomic():
        job.mapping = {header: mapping.get(header, "") for header in job.headers}
        job.skip_invalid = skip_invalid
        job.status = ImportStatus.QUEUED
        job.save(update_fields=["mapping", "skip_invalid", "status"])
        audit_record(tenant=job.tenant_id, actor=actor, action="lead_import.started",
                     target=job, data={"mapping": job.mapping})
        import_job_run_task.delay_on_commit(job.tenant_id, job.pk)
    return job


def import_job_progress(job: ImportJob) -> int:
    """Rows processed in the current phase (the import phase reports through the cache)."""
    if job.status == ImportStatus.IMPORTING:
        return int(cache.get(_progress_key(job.pk)) or 0)
    return job.processed_rows


class _ImportAborted(Exception):
    def __init__(self, errors: list[dict]):
        super().__init__("rows failed during the import")
        self.errors = errors


def import_job_run(*, job_id: int) -> None:
    """The task body: validate every row, then import all good rows in one transaction.
    Idempotent: a finished job is left alone; an interrupted one starts over."""
    job = ImportJob.objects.select_related("tenant").filter(pk=job_id).first()
    if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.VALIDATING,
                                         ImportStatus.IMPORTING):
        return
    tenant = job.tenant
    rows = list(csv_rows(job))
    if len(rows) > MAX_ROWS:
        _finish(job, ImportStatus.FAILED,
                failure=gettext("The file has %(n)d rows; at most %(max)d per import.")
                % {"n": len(rows), "max": MAX_ROWS})
        return

    # Phase 1: validate (no writes).
    job.status, job.total_rows, job.processed_rows = ImportStatus.VALIDATING, len(rows), 0
    job.save(update_fields=["status", "total_rows", "processed_rows"])
    rules = LeadRules.load(tenant=tenant)
    errors: list[dict] = []
    good: list[tuple[int, dict]] = []
    for n, (line, item) in enumerate(rows, start=1):
        _, problems = lead_clean(item, rules=rules)
        if problems:
            errors.append({"line": line, "fields": problems})
        else:
            good.append((line, item))
        if n % CHUNK == 0:
            ImportJob.objects.filter(pk=job.pk).update(processed_rows=n)
    job.error_count, job.errors = len(errors), errors[:ERRORS_KEPT]
    job.processed_rows = len(rows)
    if errors and not job.skip_invalid:
        _finish(job, ImportStatus.INVALID)
        return

    # Phase 2: insert, all or nothing.
    job.status = ImportStatus.IMPORTING
    job.save(update_fields=["status", "processed_rows", "error_count", "errors"])
    cache.set(_progress_key(job.pk), 0, timeout=3600)
    try:
        with transaction.atomic():
            created = existing = duplicates = 0
            for start in range(0, len(good), CHUNK):
                chunk = good[start:start + CHUNK]
                results = leads_ingest_bulk(tenant=tenant, actor=job.created_by,
                                            items=[item for _, item in chunk],
                                            channel=LeadChannel.CSV)
                failed = [{"line": chunk[r.index][0], "fields": r.errors}
                          for r in results if r.status == IngestStatus.ERROR]
                if failed:  # e.g. a taxonomy code deleted since phase 1
                    raise _ImportAborted(failed)
                for result in results:
                    if result.status == IngestStatus.CREATED:
                        created += 1
                        duplicates += result.lead.duplicate_of_id is not None
                    else:
                        existing += 1
                cache.set(_progress_key(job.pk), start + len(chunk), timeout=3600)
            job.created_count, job.existing_count = created, existing
            job.duplicate_count = duplicates
            _finish(job, ImportStatus.DONE)
            audit_record(tenant=tenant, actor=job.created_by, action="lead_import.done",
                         target=job, data={"created": created, "existing": existing,
                                           "errors": job.error_count})
    except _ImportAborted as aborted:
        job.refresh_from_db()
        job.error_count, job.errors = len(aborted.errors), aborted.errors[:ERRORS_KEPT]
        _finish(job, ImportStatus.INVALID)
    except Exception as exc:
        log.exception("lead import %s failed", job.pk)
        job.refresh_from_db()
        _finish(job, ImportStatus.FAILED, failure=f"{type(exc).__name__}: {exc}"[:1000])
    finally:
        cache.delete(_progress_key(job.pk))


def _finish(job: ImportJob, status: str, failure: str = "") -> None:
    job.status, job.failure, job.finished_at = status, failure, timezone.now()
    job.save()
