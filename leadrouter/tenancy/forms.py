"""Forms of the tenant administration pages (settings, users, invitations, API keys)."""

import base64
import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from feedback.tenant_settings import MAX_NEW_MIN_CLOSED, tier_thresholds_problems
from leadrouter.tenancy.business_hours import timezone_is_valid
from leadrouter.tenancy.models import Role, Tenant

WEEKDAY_CHOICES = [
    (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
    (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday")),
]
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
LOGO_MAX_BYTES = 200 * 1024
LOGO_TYPES = [(b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
              (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"RIFF", "image/webp")]


class TenantSettingsForm(forms.Form):
    """Everything on the settings page; `cleaned_changes()` gives the Tenant field values."""

    name = forms.CharField(label=_("Name"), max_length=200)
    logo = forms.FileField(label=_("Logo"), required=False,
                           help_text=_("PNG, JPEG, GIF or WebP, at most 200 KB."))
    logo_clear = forms.BooleanField(label=_("Remove the logo"), required=False)
    timezone = forms.CharField(label=_("Time zone"), max_length=64,
                               help_text=_("An IANA time zone, e.g. Europe/Berlin."))
    currency = forms.CharField(label=_("Currency"), max_length=3,
                               help_text=_("ISO 4217 code, e.g. EUR."))
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    closed_lead_retention_days = forms.IntegerField(
        label=_("Anonymise closed leads after (days)"), min_value=30, max_value=3650)
    duplicate_window_days = forms.IntegerField(
        label=_("Duplicate window (days)"), min_value=0, max_value=3650)
    business_days = forms.TypedMultipleChoiceField(
        label=_("Business days"), choices=WEEKDAY_CHOICES, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple)
    business_start = forms.TimeField(label=_("Business hours from"), required=False,
                                     widget=forms.TimeInput(attrs={"type": "time"},
                                                            format="%H:%M"))
    business_end = forms.TimeField(label=_("Business hours to"), required=False,
                                   widget=forms.TimeInput(attrs={"type": "time"},
                                                          format="%H:%M"))
    sla_business_hours_only = forms.BooleanField(
        label=_("SLA clocks count business hours only"), required=False)
    # Tier thresholds: shares of the estimated conversion, entered in per cent.
    tier_weak = forms.DecimalField(
        label=_("Weak performer below (%)"), min_value=0, max_value=100, max_digits=5,
        decimal_places=2, localize=True, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    tier_high = forms.DecimalField(
        label=_("High performer from (%)"), min_value=0, max_value=100, max_digits=5,
        decimal_places=2, localize=True, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    new_min_closed = forms.IntegerField(
        label=_("New until closed leads"), min_value=0, max_value=MAX_NEW_MIN_CLOSED,
        help_text=_("A partner with fewer closed leads (won or lost) is new."))

    @classmethod
    def initial_from(cls, tenant: Tenant, thresholds) -> dict:
        """The form's values from the tenant and its feedback settings (the thresholds)."""
        hours = tenant.business_hours or {}
        return {
            "tier_weak": _percent(thresholds.tier_weak),
            "tier_high": _percent(thresholds.tier_high),
            "new_min_closed": thresholds.new_min_closed,
            "name": tenant.name, "timezone": tenant.timezone,
            "currency": tenant.currency, "locale": tenant.locale,
            "closed_lead_retention_days": tenant.closed_lead_retention_days,
            "duplicate_window_days": tenant.duplicate_window_days,
            "business_days": hours.get("weekdays", []),
            "business_start": hours.get("start", ""), "business_end": hours.get("end", ""),
            "sla_business_hours_only": tenant.sla_business_hours_only,
        }

    def clean_logo(self) -> str | None:
        """The upload as a data: URI (None: keep the current logo). The type is read from
        the file's first bytes, not from its name or the browser's claim."""
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is larger than 200 KB."))
        content = upload.read()
        mime = next((mime for magic, mime in LOGO_TYPES if content.startswith(magic)), None)
        if mime == "image/webp" and content[8:12] != b"WEBP":
            mime = None
        if mime is None:
            raise forms.ValidationError(_("Upload a PNG, JPEG, GIF or WebP image."))
        return f"data:{mime};base64,{base64.b64encode(content).decode()}"

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"].strip()
        if not timezone_is_valid(name):
            raise forms.ValidationError(
                _("“%(name)s” is not a known time zone. Use a name like Europe/Berlin."),
                params={"name": name})
        return name

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].strip().upper()
        if not CURRENCY_PATTERN.match(code):
            raise forms.ValidationError(_("Use a three-letter ISO 4217 code, e.g. EUR."))
        return code

    def clean(self) -> dict:
        data = super().clean()
        days = data.get("business_days") or []
        start, end = data.get("business_start"), data.get("business_end")
        if days or start or end:
            if not days:
                self.add_error("business_days", _("Choose at least one business day."))
            if start is None and "business_start" not in self.errors:
                self.add_error("business_start", _("Say when business hours start."))
            if end is None and "business_end" not in self.errors:
                self.add_error("business_end", _("Say when business hours end."))
            if start is not None and end is not None and end <= start:
                self.add_error("business_end", _("Business hours must end after they start."))
        if data.get("sla_business_hours_only") and not days:
            self.add_error("sla_business_hours_only",
                           _("Set business days and hours first."))
        self._check_thresholds(data)
        return data

    def _check_thresholds(self, data: dict) -> None:
        """The rules of the service, shown on the fields before anything is saved."""
        if any(data.get(name) is None for name in ("tier_weak", "tier_high", "new_min_closed")):
            return  # a field's own error says what is wrong
        problems = tier_thresholds_problems(weak=float(data["tier_weak"]) / 100,
                                            high=float(data["tier_high"]) / 100,
                                            min_closed=data["new_min_closed"])
        for name, messages in problems.items():
            for message in messages:
                self.add_error(name, message)

    def cleaned_changes(self) -> dict:
        """The values to store on the Tenant."""
        data = self.cleaned_data
        business_hours = None
        if data["business_days"]:
            business_hours = {
                "weekdays": sorted(data["business_days"]),
                "start": data["business_start"].strftime("%H:%M"),
                "end": data["business_end"].strftime("%H:%M"),
            }
        changes = {
            "name": data["name"], "timezone": data["timezone"],
            "currency": data["currency"], "locale": data["locale"],
            "closed_lead_retention_days": data["closed_lead_retention_days"],
            "duplicate_window_days": data["duplicate_window_days"],
            "business_hours": business_hours,
            "sla_business_hours_only": data["sla_business_hours_only"],
            "tier_weak": _share(data["tier_weak"]),
            "tier_high": _share(data["tier_high"]),
            "new_min_closed": data["new_min_closed"],
        }
        if data.get("logo"):
            changes["logo"] = data["logo"]
        elif data.get("logo_clear"):
            changes["logo"] = ""
        return changes


def _percent(share: float) -> Decimal:
    """0.15 → 15, 0.125 → 12.5 (no float noise such as 15.000000000000002)."""
    return Decimal(f"{round(share * 100, 2):g}")


def _share(percent: Decimal) -> float:
    """15 → 0.15, as the feedback settings store it."""
    return float(percent / 100)


class PartnerChoiceMixin:
    """A `partner` select limited to the tenant's partners (the scope does the limiting)."""

    def _add_partner_field(self, partners) -> None:
        self.fields["partner"] = forms.ModelChoiceField(
            label=_("Partner (for partner users)"), queryset=partners, required=False,
            empty_label=_("— none —"))

    def _check_partner(self, data: dict) -> None:
        role, partner = data.get("role"), data.get("partner")
        if role == Role.PARTNER and partner is None:
            self.add_error("partner", _("A partner user needs a partner."))
        if role and role != Role.PARTNER:
            # One select serves every role on the page; only partner users keep a partner.
            data["partner"] = None


class InvitationForm(PartnerChoiceMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_partner_field(partners)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict:
        data = super().clean()
        self._check_partner(data)
        return data


class RoleChangeForm(PartnerChoiceMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_partner_field(partners)

    def clean(self) -> dict:
        data = super().clean()
        self._check_partner(data)
        return data


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("Where the key is used, e.g. “Salesforce”."))
    scope = forms.ChoiceField(label=_("Scope"), choices=[
        ("tenant", _("Tenant (CRM integration)")),
        ("partner", _("One partner (the partner's own system)")),
    ])

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"] = forms.ModelChoiceField(
            label=_("Partner (for partner keys)"), queryset=partners, required=False,
            empty_label=_("— none —"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("scope") == "partner" and data.get("partner") is None:
            self.add_error("partner", _("Choose the partner this key acts for."))
        if data.get("scope") == "tenant":
            data["partner"] = None
        return data


class InvitationAcceptForm(forms.Form):
    """New users choose a password; people who already have an account confirm theirs."""

    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), strip=False, required=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, existing_user=None, email: str = "", user_for_validation=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_user = existing_user
        self.email = email
        # Lets the similarity validator refuse a password that is the e-mail address.
        self.user_for_validation = user_for_validation
        if existing_user is not None:
            self.fields["password1"].label = _("Your current password")
            self.fields["password1"].widget.attrs["autocomplete"] = "current-password"
            del self.fields["password2"]

    def clean(self) -> dict:
        data = super().clean()
        password = data.get("password1")
        if not password:
            return data
        if self.existing_user is not None:
            if not self.existing_user.check_password(password):
                self.add_error("password1", _("That is not the password of %(email)s.")
                               % {"email": self.email})
            return data
        if password != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
            return data
        try:
            password_validation.validate_password(password, self.user_for_validation)
        except forms.ValidationError as exc:
            self.add_error("password1", exc)
        return data
