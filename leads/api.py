"""API v1 for leads (DESIGN.md §8): create, bulk create, list, read."""

from datetime import UTC, timedelta

import django_filters
from django import forms
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leadrouter.api_errors import ApiErrorBody, ApiErrorOutput, DomainError
from leadrouter.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from leads.models import GeocodeStatus, Lead, LeadChannel, LeadStatus
from leads.selectors import lead_get_for_api, lead_latest_decision, leads_for_api
from leads.services import BULK_MAX_ITEMS, IngestStatus, lead_ingest, leads_ingest_bulk
from matching.models import OfferStatus
from matching.selectors import contact_visible_to

PII_FIELDS = ("contact_name", "contact_email", "contact_phone")


# ------------------------------------------------------------------------------ serializers

class LeadInput(serializers.Serializer):
    """A lead as a CRM sends it. Validated by the ingestion service (leads.validation)."""

    external_id = serializers.CharField(max_length=100, required=False, allow_null=True,
                                        help_text="your id; sending it again returns the "
                                                  "existing lead")
    company_name = serializers.CharField(max_length=200)
    industry = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                     help_text="industry code of the tenant's taxonomy")
    employees = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    country = serializers.CharField(min_length=2, max_length=2, help_text="ISO 3166-1 alpha-2")
    postal_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    deal_value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0,
                                          required=False, allow_null=True)
    currency = serializers.CharField(min_length=3, max_length=3, required=False,
                                     help_text="ISO 4217; the tenant's currency if omitted")
    competencies = serializers.ListField(child=serializers.CharField(max_length=40),
                                         required=False, help_text="competency codes")
    certifications = serializers.ListField(child=serializers.CharField(max_length=40),
                                           required=False, help_text="certification codes")
    products = serializers.ListField(child=serializers.CharField(max_length=40),
                                     required=False, help_text="product codes")
    language = serializers.CharField(max_length=8, required=False, allow_blank=True,
                                     help_text="ISO 639-1, e.g. de")
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0,
                                    required=False, allow_null=True,
                                    help_text="what the lead cost (for ROMI)")
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    consent = serializers.BooleanField(required=False,
                                       help_text="the contact agreed to be contacted")


class SharedFieldsOutput(serializers.Serializer):
    """An output serializer that renders with one bound set of its fields, built once per
    class. DRF deep-copies every declared field for each serializer instance it builds
    (≈ 0.6 ms for a lead); a list page would build one per lead, per offer list and per
    decision. Plain fields render statelessly, so sharing them is safe; method fields need
    their own instance and are left to the subclass."""

    @classmethod
    def _shared_fields(cls) -> list:
        fields = cls.__dict__.get("_fields_built")  # per class: not a parent's set
        if fields is None:
            fields = [field for field in cls().fields.values()
                      if not isinstance(field, serializers.SerializerMethodField)]
            cls._fields_built = fields
        return fields

    def to_representation(self, instance) -> dict:
        data = {}
        for field in self._shared_fields():
            value = field.get_attribute(instance)
            data[field.field_name] = None if value is None else field.to_representation(value)
        return data


class LeadOfferOutput(SharedFieldsOutput):
    id = serializers.IntegerField()
    partner = serializers.IntegerField(source="partner_id")
    status = serializers.ChoiceField(choices=OfferStatus.choices)
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    offered_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class LeadCandidateOutput(serializers.Serializer):
    partner = serializers.IntegerField()
    score = serializers.FloatField()
    criteria = serializers.DictField(child=serializers.FloatField(allow_null=True),
                                     help_text="criterion → value in [0, 1]")

    def to_representation(self, candidate: dict) -> dict:
        # The fields above, rendered directly: a page of 50 leads has ~500 candidates with
        # ~10 criteria each, and field-by-field rendering was a third of the list's time.
        return {"partner": int(candidate["partner"]), "score": float(candidate["score"]),
                "criteria": {str(name): None if value is None else float(value)
                             for name, value in candidate.get("criteria", {}).items()}}


class LeadDecisionOutput(SharedFieldsOutput):
    policy_version = serializers.IntegerField(source="policy.version")
    created_at = serializers.DateTimeField()
    eligible_count = serializers.IntegerField()
    candidates = LeadCandidateOutput(many=True)
    excluded = serializers.DictField(child=serializers.IntegerField(),
                                     help_text="reason → number of partners excluded")


class LeadOutput(SharedFieldsOutput):
    """A lead as read back. Contact fields are null for a partner key whose partner has not
    accepted the lead; `decision` is null for partner keys and before routing.
    (A plain Serializer, not a ModelSerializer: building the model field mapping on every
    response cost more than the rest of the create request's Python.)"""

    id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    company_name = serializers.CharField()
    industry = serializers.CharField()
    employees = serializers.IntegerField(allow_null=True)
    country = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    geocode_status = serializers.ChoiceField(choices=GeocodeStatus.choices)
    deal_value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    competencies = serializers.ListField(child=serializers.CharField())
    certifications = serializers.ListField(child=serializers.CharField())
    products = serializers.ListField(child=serializers.CharField())
    language = serializers.CharField()
    source = serializers.CharField()
    campaign = serializers.CharField()
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    contact_name = serializers.CharField(allow_null=True)
    contact_email = serializers.CharField(allow_null=True)
    contact_phone = serializers.CharField(allow_null=True)
    notes = serializers.CharField()
    consent = serializers.BooleanField()
    status = serializers.ChoiceField(choices=LeadStatus.choices)
    status_reason = serializers.CharField()
    assigned_partner = serializers.IntegerField(source="assigned_partner_id", allow_null=True)
    duplicate_of = serializers.IntegerField(source="duplicate_of_id", allow_null=True,
                                            help_text="an earlier lead with the same contact "
                                                      "e-mail and company (possible duplicate)")
    channel = serializers.ChoiceField(choices=LeadChannel.choices)
    received_at = serializers.DateTimeField()
    routed_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    offers = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()

    @extend_schema_field(LeadOfferOutput(many=True))
    def get_offers(self, lead: Lead) -> list:
        output = LeadOfferOutput()
        return [output.to_representation(offer) for offer in getattr(lead, "offer_list", [])]

    @extend_schema_field(LeadDecisionOutput(allow_null=True))
    def get_decision(self, lead: Lead) -> dict | None:
        decision = lead_latest_decision(lead)
        if decision is None:
            return None
        return LeadDecisionOutput().to_representation(decision)

    def to_representation(self, lead: Lead) -> dict:
        data = super().to_representation(lead)
        data["offers"] = self.get_offers(lead)
        data["decision"] = self.get_decision(lead)
        partner_id = self.context.get("partner_id")
        if partner_id is not None and not contact_visible_to(lead=lead, partner_id=partner_id):
            for name in PII_FIELDS:
                data[name] = None
        return data


class LeadBulkInput(serializers.Serializer):
    leads = LeadInput(many=True, help_text=f"at most {BULK_MAX_ITEMS} leads")


class LeadBulkItemResult(serializers.Serializer):
    index = serializers.IntegerField(help_text="position of the item in `leads`")
    status = serializers.ChoiceField(choices=["created", "existing", "error"])
    id = serializers.IntegerField(allow_null=True)
    external_id = serializers.CharField(allow_null=True)
    duplicate_of = serializers.IntegerField(allow_null=True)
    error = ApiErrorBody(allow_null=True)


class LeadBulkOutput(serializers.Serializer):
    results = LeadBulkItemResult(many=True)


def _partner_id(request: Request) -> int | None:
    return request.auth.partner_id


def _tenant_key_only(request: Request) -> None:
    # Partner keys read their own leads; pushing leads is the CRM's (a tenant key's) job.
    if _partner_id(request) is not None:
        raise DomainError(gettext("A partner key cannot create leads; use a tenant key."),
                          code="permission_denied", status_code=403)


def _read(lead: Lead, request: Request) -> dict:
    return LeadOutput(lead, context={"partner_id": _partner_id(request)}).data


# ----------------------------------------------------------------------------------- views

class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number in the database's range (a decimal or 3.4e38 is a 400 naming
    the parameter, not a failed query)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class LeadFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LeadStatus.choices)
    partner = IdFilter(field_name="assigned_partner_id",
                                          help_text="assigned partner id")
    updated_since = django_filters.IsoDateTimeFilter(method="filter_updated_since",
                                                     help_text="ISO 8601 date-time")

    def filter_updated_since(self, queryset, name, value):
        offset = value.utcoffset()
        # Real time zones lie within ±14 h; PostgreSQL refuses anything past ±15:59.
        if offset is not None and abs(offset) > timedelta(hours=14):
            raise serializers.ValidationError(
                {"updated_since": ["The time-zone offset must lie within ±14:00."]})
        return queryset.filter(updated_at__gte=value.astimezone(UTC))

    class Meta:
        model = Lead
        fields = ["status", "partner", "updated_since"]


class LeadCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class LeadListCreateView(generics.ListAPIView):
    """`GET /leads/` (list) and `POST /leads/` (create one lead, which routes it)."""

    serializer_class = LeadOutput
    filterset_class = LeadFilter
    pagination_class = LeadCursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request key
            return Lead.objects.none()
        return leads_for_api(partner_id=_partner_id(self.request))

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "partner_id": _partner_id(self.request)}

    @extend_schema(operation_id="leads_list", responses={200: LeadOutput(many=True),
                                                        400: ApiErrorOutput})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="leads_create", request=LeadInput, parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: LeadOutput, 200: LeadOutput, 400: ApiErrorOutput, 403: ApiErrorOutput,
                   409: ApiErrorOutput},
        description="Create a lead; it is routed right after. The same `external_id` again "
                    "returns the existing lead with 200.",
        examples=[OpenApiExample("test drive", request_only=True, value={
            "external_id": "CRM-1001", "company_name": "Kunde GmbH", "country": "DE",
            "postal_code": "80331", "city": "München", "deal_value": "25000.00",
            "products": ["EV-SUV"], "contact_name": "Erika Mustermann",
            "contact_email": "erika@kunde.example"})],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _tenant_key_only(request)
        lead, created = lead_ingest(tenant=request.auth.tenant, actor=request.user,
                                    data=request.data, channel=LeadChannel.API)
        if created:
            lead.offer_list, lead.decision_list = [], []  # nothing routed yet: no queries
        else:
            lead = lead_get_for_api(lead_id=lead.pk, partner_id=None)
        return Response(_read(lead, request),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class LeadBulkView(APIView):
    """`POST /leads/bulk/`: up to 1,000 leads, a result per item."""

    @extend_schema(
        operation_id="leads_bulk_create", request=LeadBulkInput,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: LeadBulkOutput, 400: ApiErrorOutput, 403: ApiErrorOutput,
                   409: ApiErrorOutput},
        description="One bad item does not sink the rest: each item gets `created`, `existing` "
                    "(known `external_id`) or `error` with a message per field.",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _tenant_key_only(request)
        items = request.data.get("leads") if isinstance(request.data, dict) else None
        if not isinstance(items, list):
            raise serializers.ValidationError({"leads": [gettext("Send a list of leads.")]})
        if len(items) > BULK_MAX_ITEMS:
            raise serializers.ValidationError(
                {"leads": [gettext("At most %(max)d leads per request; got %(n)d.")
                           % {"max": BULK_MAX_ITEMS, "n": len(items)}]})
        results = leads_ingest_bulk(tenant=request.auth.tenant, actor=request.user,
                                    items=items, channel=LeadChannel.BULK)
        return Response({"results": [_bulk_result(result) for result in results]})


def _bulk_result(result) -> dict:
    lead = result.lead
    error = None
    if result.status == IngestStatus.ERROR:
        error = {"code": "invalid", "message": gettext("Invalid input in: %(names)s.")
                 % {"names": ", ".join(result.errors)},
                 "fields": result.errors}
    return {
        "index": result.index, "status": result.status,
        "id": lead.pk if lead else None,
        "external_id": lead.external_id if lead else None,
        "duplicate_of": lead.duplicate_of_id if lead else None,
        "error": error,
    }


class LeadDetailView(APIView):
    """`GET /leads/{id}/`."""

    @extend_schema(operation_id="leads_retrieve", responses={200: LeadOutput, 404: ApiErrorOutput})
    def get(self, request: Request, id: int) -> Response:  # noqa: A002 (the API's path name)
        lead_id = id
        lead = lead_get_for_api(lead_id=lead_id, partner_id=_partner_id(request))
        return Response(_read(lead, request))
