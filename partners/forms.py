"""Dashboard and portal forms. They parse input into the API's data shape; the rules
themselves live in partners.services (so forms, API and imports agree)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from leadrouter.api_errors import DomainError
from partners import selectors
from partners.models import PartnerLevel, PartnerStatus, TermKind

_EMPTY = [("", "—")]


def split_list(text: str) -> list[str]:
    """"de, en; fr" → ["de", "en", "fr"]: what a comma-separated form field holds."""
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def all_valid(form, formsets: dict) -> bool:
    """The profile form and every nested formset valid (each validated, so all show errors)."""
    results = [form.is_valid()] + [formset.is_valid() for formset in formsets.values()]
    return all(results)


def show_domain_error(form, exc: DomainError) -> None:
    """Put a service's per-field problems on the form (fields it lacks go on top)."""
    for field, problems in (exc.fields or {}).items():
        target = field if field in form.fields else None
        if field == "until" and "vacation_until" in form.fields:
            target = "vacation_until"
        for problem in problems:
            label = "" if target else f"{field}: "
            form.add_error(target, f"{label}{problem}")
    if not exc.fields:
        form.add_error(None, exc.message)


class PartnerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": _("Name, ID or city")}))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=_EMPTY + PartnerStatus.choices)
    level = forms.ChoiceField(label=_("Level"), required=False,
                              choices=_EMPTY + PartnerLevel.choices)
    country = forms.CharField(label=_("Territory country"), required=False, max_length=2,
                              widget=forms.TextInput(attrs={"placeholder": "DE"}))
    postal_prefix = forms.CharField(label=_("Postal code"), required=False, max_length=12)
    competency = forms.ChoiceField(label=_("Competency"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competency"].choices = _EMPTY + selectors.term_choices(
            kind=TermKind.COMPETENCY)


class PartnerForm(forms.Form):
    external_id = forms.CharField(label=_("External ID"), max_length=100)
    name = forms.CharField(label=_("Name"), max_length=200)
    employees = forms.IntegerField(label=_("Employees"), min_value=0, initial=1)
    capacity = forms.IntegerField(label=_("Capacity (open leads at once)"), min_value=0,
                                  initial=10)
    deal_value_min = forms.DecimalField(label=_("Deal value from"), min_value=0,
                                        max_digits=14, decimal_places=2, initial=0)
    deal_value_max = forms.DecimalField(label=_("Deal value up to"), min_value=0,
                                        max_digits=14, decimal_places=2, required=False)
    level = forms.ChoiceField(label=_("Partner level"), choices=PartnerLevel.choices,
                              initial=PartnerLevel.REGISTERED)
    country = forms.CharField(label=_("Country"), min_length=2, max_length=2, initial="DE")
    postal_code = forms.CharField(label=_("Postal code"), max_length=12, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    languages = forms.CharField(label=_("Languages"), required=False,
                                help_text=_("ISO codes, comma-separated, e.g. de, en"))
    notification_email = forms.EmailField(label=_("Notification e-mail"), required=False)

    def profile_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["languages"] = split_list(data["languages"])
        return data


class TerritoryForm(forms.Form):
    country = forms.CharField(label=_("Country"), min_length=2, max_length=2)
    postal_prefixes = forms.CharField(label=_("Postal prefixes"), required=False,
                                      help_text=_("comma-separated; empty: whole country"))
    radius_km = forms.IntegerField(label=_("or radius (km)"), min_value=1, max_value=2000,
                                   required=False)

    def item(self) -> dict:
        return {"country": self.cleaned_data["country"],
                "postal_prefixes": split_list(self.cleaned_data["postal_prefixes"]),
                "radius_km": self.cleaned_data["radius_km"]}


class _TermForm(forms.Form):
    kind = ""
    code = forms.ChoiceField(label=_("Code"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = _EMPTY + selectors.term_choices(kind=self.kind)


class IndustryForm(_TermForm):
    kind = TermKind.INDUSTRY

    def item(self) -> str:
        return self.cleaned_data["code"]


class CompetencyForm(_TermForm):
    kind = TermKind.COMPETENCY
    level = forms.TypedChoiceField(label=_("Level"), coerce=int, initial=1,
                                   choices=[(1, "1"), (2, "2"), (3, "3")])

    def item(self) -> dict:
        return {"code": self.cleaned_data["code"], "level": self.cleaned_data["level"]}


class CertificationForm(_TermForm):
    kind = TermKind.CERTIFICATION
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))

    def item(self) -> dict:
        return {"code": self.cleaned_data["code"],
                "valid_until": self.cleaned_data["valid_until"]}


class ProductForm(_TermForm):
    kind = TermKind.PRODUCT
    available = forms.BooleanField(label=_("Available"), required=False, initial=True)

    def item(self) -> dict:
        return {"code": self.cleaned_data["code"], "available": self.cleaned_data["available"]}


# (field in the API shape, form, heading) of the nested lists, in page order.
NESTED_FORMS = (
    ("territories", TerritoryForm, _("Territories")),
    ("industries", IndustryForm, _("Industries")),
    ("competencies", CompetencyForm, _("Competencies")),
    ("certifications", CertificationForm, _("Certifications")),
    ("products", ProductForm, _("Products")),
)


def nested_formsets(data=None, initial: dict | None = None) -> dict[str, forms.BaseFormSet]:
    """One formset per nested list, with two blank rows to add entries (no JavaScript)."""
    formsets = {}
    for field, form_class, heading in NESTED_FORMS:
        formset_class = forms.formset_factory(form_class, extra=2, can_delete=True)
        formset = formset_class(data=data, initial=(initial or {}).get(field), prefix=field)
        formset.heading = heading
        formsets[field] = formset
    return formsets


def nested_data(formsets: dict[str, forms.BaseFormSet]) -> dict:
    """The nested lists in the API shape from valid formsets (blank and deleted rows out)."""
    data = {}
    for field, formset in formsets.items():
        data[field] = [
            form.item() for form in formset.forms
            if form.has_changed() and not form.cleaned_data.get("DELETE")
        ]
    return data


def nested_initial(partner) -> dict:
    """The partner's nested lists as formset initial data."""
    return {
        "territories": [{"country": t.country, "postal_prefixes": ", ".join(t.postal_prefixes),
                         "radius_km": t.radius_km} for t in partner.territories.all()],
        "industries": [{"code": i.term.code} for i in partner.industries.all()],
        "competencies": [{"code": c.term.code, "level": c.level}
                         for c in partner.competencies.all()],
        "certifications": [{"code": c.term.code, "valid_until": c.valid_until}
                           for c in partner.certifications.all()],
        "products": [{"code": p.term.code, "available": p.available}
                     for p in partner.products.all()],
    }


def partner_initial(partner) -> dict:
    initial = {field: getattr(partner, field) for field in PartnerForm.base_fields}
    initial["languages"] = ", ".join(partner.languages)
    return initial


class PauseForm(forms.Form):
    until = forms.DateField(label=_("Paused until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("empty: until resumed"))


class PortalProfileForm(forms.Form):
    capacity = forms.IntegerField(label=_("Capacity (open leads at once)"), min_value=0,
                                  max_value=100_000)
    notification_email = forms.EmailField(label=_("E-mail for new offers"), required=False)
    on_vacation = forms.BooleanField(label=_("Pause: send me no offers"), required=False)
    vacation_until = forms.DateField(label=_("Paused until"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}),
                                     help_text=_("empty: until I resume"))
