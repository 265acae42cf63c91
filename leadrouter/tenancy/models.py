"""Tenants, who belongs to them, and the keys their systems use."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


def _new_form_key() -> str:
    return secrets.token_urlsafe(12)


class Tenant(models.Model):
    """A manufacturer. Every domain row belongs to exactly one."""

    slug = models.SlugField(unique=True, max_length=50)
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="Europe/Berlin")
    currency = models.CharField(max_length=3, default="EUR")
    locale = models.CharField(max_length=8, default="en")
    # Ingestion rules
    auto_create_terms = models.BooleanField(
        default=False, help_text=_("create unknown taxonomy codes instead of refusing them"))
    duplicate_window_days = models.PositiveIntegerField(default=30)
    # The public web form (e.g. "request a test drive") is reached by this key.
    form_key = models.CharField(max_length=32, unique=True, default=_new_form_key)
    # Administration (settings page, see leadrouter.tenancy.admin_views)
    # A small image as a data: URI: shown without a media server, and allowed by the
    # Content-Security-Policy (img-src 'self' data:). See leadrouter.tenancy.forms.
    logo = models.TextField(blank=True)
    closed_lead_retention_days = models.PositiveIntegerField(
        default=730, help_text=_("closed leads are anonymised after this many days"))
    # {"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"} in the tenant's time
    # zone (Monday = 0); see leadrouter.tenancy.business_hours. Null: none configured.
    business_hours = models.JSONField(null=True, blank=True)
    sla_business_hours_only = models.BooleanField(
        default=False, help_text=_("accept SLAs count only business hours"))
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantOwned(models.Model):
    """Base of every tenant-owned model: a non-null tenant and a manager that refuses to
    run outside a tenant scope (see leadrouter.tenancy.scoping)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    PARTNER = "partner", _("Partner")


class Membership(TenantOwned):
    """A user's place in one tenant. A partner user's membership names its partner."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    partner = models.ForeignKey("partners.Partner", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=models.Q(role="partner", partner__isnull=False)
                | (~models.Q(role="partner") & models.Q(partner__isnull=True)),
                name="membership_partner_iff_partner_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant_id} as {self.role}"

    @property
    def is_staff_role(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)


class ApiKeyScope(models.TextChoices):
    TENANT = "tenant", _("Tenant (CRM integration)")
    PARTNER = "partner", _("Partner (a partner's own system)")


class ApiKey(TenantOwned):
    """A secret for a CRM or partner system. Only a hash is stored; the prefix is shown
    so people can tell keys apart."""

    name = models.CharField(max_length=100)
    partner = models.ForeignKey("partners.Partner", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope(self) -> str:
        return ApiKeyScope.PARTNER if self.partner_id else ApiKeyScope.TENANT

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(TenantOwned):
    """Append-only record of who did what: state changes, logins, reveals of contact data."""

    created_at = models.DateTimeField(default=now, db_index=True)
    actor = models.CharField(max_length=200, help_text="user e-mail, api-key:<prefix> or system")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"


class Invitation(TenantOwned):
    """A one-time link to join a tenant. Only a hash of the token is stored; the token
    itself exists in the e-mail alone (see leadrouter.tenancy.invitations)."""

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    partner = models.ForeignKey("partners.Partner", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="partner", partner__isnull=False)
                | (~models.Q(role="partner") & models.Q(partner__isnull=True)),
                name="invitation_partner_iff_partner_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} as {self.role}"

    @property
    def is_open(self) -> bool:
        """Not yet used or revoked and, once sent, not expired."""
        if self.accepted_at is not None or self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now()


# --- Language preference (see leadrouter.tenancy.language) ------------------------------------
class UserPreference(models.Model):
    """A person's own settings, the same in every tenant they belong to. Not tenant-owned."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="preference")
    # "" follows the tenant's locale; otherwise one of settings.LANGUAGES.
    language = models.CharField(max_length=8, blank=True, choices=settings.LANGUAGES)

    def __str__(self) -> str:
        return f"{self.user} ({self.language or 'tenant default'})"
