"""Lead profiles: what the customer wants, where, how big, and who to contact."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from leadrouter.tenancy.models import TenantOwned


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    ROUTING = "routing", _("Routing")
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    UNROUTED = "unrouted", _("Unrouted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (LeadStatus.ACCEPTED, LeadStatus.IN_PROGRESS)
CLOSED_STATUSES = (LeadStatus.WON, LeadStatus.LOST, LeadStatus.WITHDRAWN)


class LeadChannel(models.TextChoices):
    API = "api", _("API")
    BULK = "bulk", _("Bulk API")
    CSV = "csv", _("CSV import")
    FORM = "form", _("Web form")
    MANUAL = "manual", _("Manual entry")


class GeocodeStatus(models.TextChoices):
    PENDING = "pending", _("Not yet geocoded")
    FOUND = "found", _("Located")
    UNKNOWN = "unknown", _("Place not found: matching uses postal prefix and country")


class Lead(TenantOwned):
    external_id = models.CharField(max_length=100, null=True, blank=True)
    company_name = models.CharField(max_length=200)
    industry = models.CharField(max_length=40, blank=True, help_text=_("industry code"))
    employees = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=12, blank=True)
    city = models.CharField(max_length=100, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    geocode_status = models.CharField(max_length=16, choices=GeocodeStatus.choices,
                                      default=GeocodeStatus.PENDING)
    deal_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    competencies = models.JSONField(default=list, blank=True)
    certifications = models.JSONField(default=list, blank=True)
    products = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=8, blank=True)
    source = models.CharField(max_length=100, blank=True)
    campaign = models.CharField(max_length=100, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    notes = models.TextField(blank=True)
    # Personal data: shown to a partner only after it accepted the lead.
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=50, blank=True)
    consent = models.BooleanField(default=False, help_text=_("contact agreed to be contacted"))

    status = models.CharField(max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    status_reason = models.CharField(max_length=300, blank=True)
    assigned_partner = models.ForeignKey("partners.Partner", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="leads")
    channel = models.CharField(max_length=8, choices=LeadChannel.choices,
                               default=LeadChannel.MANUAL)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="possible_duplicates")
    received_at = models.DateTimeField(default=now)
    routed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"],
                                    condition=models.Q(external_id__isnull=False),
                                    name="lead_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "-received_at"]),
            models.Index(fields=["tenant", "-received_at", "-id"]),
            models.Index(fields=["tenant", "contact_email"]),
            models.Index(fields=["tenant", "assigned_partner", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.get_status_display()})"


class IdempotencyRecord(TenantOwned):
    """The stored answer to an API write sent with an `Idempotency-Key` header.

    `status_code` is null while the first request is still running (its transaction holds the
    row, so a concurrent request with the same key waits on the unique index, then replays).
    """

    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text=_("SHA-256 of method, path, body"))
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"idempotency {self.key} → {self.status_code}"


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("Waiting for the column mapping")
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Checking rows")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    INVALID = "invalid", _("Rows with errors: nothing imported")
    FAILED = "failed", _("Failed: nothing imported")


class ImportJob(TenantOwned):
    """One CSV upload: the file, the manager's column mapping, progress and per-row errors."""

    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(max_length=255)
    # The file is kept in the database so any worker can read it (no shared disk needed).
    content = models.TextField()
    delimiter = models.CharField(max_length=1, default=",")
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, help_text=_("CSV column → lead field"))
    skip_invalid = models.BooleanField(
        default=False, help_text=_("import the valid rows even when some rows have errors"))
    status = models.CharField(max_length=16, choices=ImportStatus.choices,
                              default=ImportStatus.MAPPING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    existing_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text=_("[{line, fields}]"))
    failure = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.filename} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.VALIDATING,
                               ImportStatus.IMPORTING)
