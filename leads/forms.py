"""Forms of the manager pages and the public web form. Validation proper happens in the
ingestion service; these forms only shape the input and show its errors."""

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.codes import COUNTRIES
from leads.models import LeadChannel, LeadStatus
from leads.selectors import LIST_SORTS

COUNTRY_CHOICES = [(code, code) for code in sorted(COUNTRIES)]


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Company or external id")}))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status"))] + LeadStatus.choices)
    partner = forms.TypedChoiceField(label=_("Partner"), required=False, coerce=int,
                                     empty_value=None)
    source = forms.ChoiceField(label=_("Source"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("Any channel"))] + LeadChannel.choices)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[
        ("-received", _("Newest first")), ("received", _("Oldest first")),
        ("company", _("Company A–Z")), ("-company", _("Company Z–A")),
        ("-updated", _("Recently updated")),
    ])
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, partners, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", _("Any partner"))] + [
            (partner.pk, partner.name) for partner in partners]
        self.fields["source"].choices = [("", _("Any source"))] + [(s, s) for s in sources]

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        sort = data.get("sort") or "-received"
        return {
            "search": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "partner_id": data.get("partner"),
            "source": data.get("source") or "",
            "channel": data.get("channel") or "",
            "sort": sort if sort in LIST_SORTS else "-received",
            "cursor": data.get("cursor") or "",
        }


def _code_choices(codes) -> list[tuple[str, str]]:
    return [(term.code, f"{term.code} – {term.name}" if term.name != term.code else term.code)
            for term in codes]


class LeadForm(forms.Form):
    """Manual entry by a manager: the lead fields of DESIGN.md §8."""

    company_name = forms.CharField(label=_("Company"), max_length=200)
    external_id = forms.CharField(label=_("External id"), max_length=100, required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    employees = forms.IntegerField(label=_("Employees"), min_value=0, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES, initial="DE")
    postal_code = forms.CharField(label=_("Postal code"), max_length=12, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    deal_value = forms.DecimalField(label=_("Deal value"), min_value=0, max_digits=14,
                                    decimal_places=2, required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    competencies = forms.MultipleChoiceField(label=_("Competencies"), required=False)
    certifications = forms.MultipleChoiceField(label=_("Certifications"), required=False)
    products = forms.MultipleChoiceField(label=_("Products"), required=False)
    language = forms.CharField(label=_("Language"), max_length=8, required=False)
    source = forms.CharField(label=_("Source"), max_length=100, required=False)
    campaign = forms.CharField(label=_("Campaign"), max_length=100, required=False)
    cost = forms.DecimalField(label=_("Lead cost"), min_value=0, max_digits=12,
                              decimal_places=2, required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=50, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(
        attrs={"rows": 3}))

    def __init__(self, *args, terms, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [("", "—")] + _code_choices(terms.get("industries", []))
        for name in ("competencies", "certifications", "products"):
            self.fields[name].choices = _code_choices(terms.get(name, []))
        self.fields["currency"].initial = currency

    def lead_data(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items()
                if value not in (None, "", [])}


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"),
                           help_text=_("First line: column names. Comma or semicolon separated."))


class PublicLeadForm(forms.Form):
    """The tenant's public form ("request a test drive")."""

    company_name = forms.CharField(label=_("Company"), max_length=200)
    contact_name = forms.CharField(label=_("Your name"), max_length=200)
    contact_email = forms.EmailField(label=_("E-mail"))
    contact_phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=12)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES, initial="DE")
    products = forms.ChoiceField(label=_("Product of interest"), required=False)
    employees = forms.IntegerField(label=_("Employees"), min_value=0, required=False)
    notes = forms.CharField(label=_("Message"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    consent = forms.BooleanField(label=_("I agree to be contacted about my request."))
    # Honeypot: hidden from people by CSS (.hp-field), filled by bots.
    website = forms.CharField(label=_("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        if products:
            self.fields["products"].choices = [("", "—")] + [(p.code, p.name) for p in products]
        else:
            del self.fields["products"]

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website"))

    def lead_data(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items()
                if name != "website" and value not in (None, "")}
        if data.get("products"):
            data["products"] = [data["products"]]
        return data
