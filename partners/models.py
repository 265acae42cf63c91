"""Partner profiles and the tenant's taxonomy they are described in."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from leadrouter.tenancy.models import TenantOwned


class TermKind(models.TextChoices):
    INDUSTRY = "industries", _("Industry")
    COMPETENCY = "competencies", _("Competency")
    CERTIFICATION = "certifications", _("Certification")
    PRODUCT = "products", _("Product")


class TaxonomyTerm(TenantOwned):
    """One entry of a tenant's vocabulary. Industry codes are hierarchical (NACE-like `C`,
    `C28`, `C28.1`): a shorter code is the sector of the longer ones."""

    kind = models.CharField(max_length=16, choices=TermKind.choices)
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("certifications: 1 (basic) to 3 (expert)")
    )

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "code"], name="term_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PartnerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    OFFBOARDED = "offboarded", _("Offboarded")


class PartnerLevel(models.TextChoices):
    PLATINUM = "platinum", _("Platinum")
    GOLD = "gold", _("Gold")
    SILVER = "silver", _("Silver")
    BRONZE = "bronze", _("Bronze")
    REGISTERED = "registered", _("Registered")


class Partner(TenantOwned):
    """A reseller, dealer or integrator that leads are offered to."""

    external_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=PartnerStatus.choices,
                              default=PartnerStatus.ACTIVE)
    paused_until = models.DateField(null=True, blank=True)
    employees = models.PositiveIntegerField(default=1)
    capacity = models.PositiveIntegerField(default=10, help_text=_("max open leads at once"))
    deal_value_min = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    deal_value_max = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    level = models.CharField(max_length=16, choices=PartnerLevel.choices,
                             default=PartnerLevel.REGISTERED)
    country = models.CharField(max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    postal_code = models.CharField(max_length=12, blank=True)
    city = models.CharField(max_length=100, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    languages = models.JSONField(default=list, blank=True, help_text=_("ISO 639-1 codes"))
    notification_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"],
                                    name="partner_unique_external_id"),
        ]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return self.name


class PartnerTerritory(TenantOwned):
    """Where a partner works: a country narrowed by postal-code prefixes, or a radius in km
    around the partner's home location. No prefixes and no radius means the whole country."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="territories")
    country = models.CharField(max_length=2)
    postal_prefixes = models.JSONField(default=list, blank=True)
    radius_km = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        if self.radius_km:
            return f"{self.radius_km} km around {self.partner.city or self.partner.postal_code}"
        prefixes = ", ".join(self.postal_prefixes) or "*"
        return f"{self.country} {prefixes}"


class PartnerIndustry(TenantOwned):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="industries")
    term = models.ForeignKey(TaxonomyTerm, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "partner", "term"],
                                               name="partner_industry_unique")]


class PartnerCompetency(TenantOwned):
    """A competency at a level 1–3; up- and cross-selling experience is a competency too."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="competencies")
    term = models.ForeignKey(TaxonomyTerm, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(3)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "partner", "term"],
                                               name="partner_competency_unique")]


class PartnerCertification(TenantOwned):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="certifications")
    term = models.ForeignKey(TaxonomyTerm, on_delete=models.PROTECT, related_name="+")
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "partner", "term"],
                                               name="partner_certification_unique")]


class PartnerProduct(TenantOwned):
    """A product the partner carries; `available` is e.g. the configured car for a test drive."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="products")
    term = models.ForeignKey(TaxonomyTerm, on_delete=models.PROTECT, related_name="+")
    available = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "partner", "term"],
                                               name="partner_product_unique")]


# --- Partner onboarding (see partners/onboarding.py) -----------------------------------------
class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PartnerChangeRequest(TenantOwned):
    """Changes a partner asked for to the parts of its profile that steer routing. They take
    effect only when a manager approves them; `data` holds the requested values in the API
    shape (DESIGN.md §8), only the fields that differ from the profile when asked."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE,
                                related_name="change_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=ChangeStatus.choices,
                              default=ChangeStatus.PENDING)
    created_at = models.DateTimeField(default=now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A partner has at most one open request; a new submission replaces it.
            models.UniqueConstraint(fields=["tenant", "partner"],
                                    condition=models.Q(status="pending"),
                                    name="partner_change_one_pending"),
        ]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.status}"
