"""API v1: partner profiles and the tenant's taxonomy (DESIGN.md §8).

A partner-scoped key sees only its own partner (others are 404), may not create partners,
and may change only what a partner user may change in the portal.
"""

from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# The shared error shape's schema (leadrouter.api_errors); to move there with the lead's merge.
from leadrouter.api_errors import ApiErrorOutput
from partners import selectors, services
from partners.models import Partner, PartnerLevel, PartnerStatus, TermKind
from partners.profile_rules import SCALAR_FIELDS

# What a partner's own system may change about its partner (the same as the portal).
PARTNER_KEY_FIELDS = {"capacity", "notification_email", "status"}


class ListPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- serializers ----------------------------------------------------------------------------

class TerritorySerializer(serializers.Serializer):
    country = serializers.CharField(min_length=2, max_length=2,
                                    help_text="ISO 3166-1 alpha-2, e.g. DE")
    postal_prefixes = serializers.ListField(
        child=serializers.CharField(max_length=12), default=list,
        help_text="postal codes starting with one of these; empty: the whole country")
    radius_km = serializers.IntegerField(min_value=1, max_value=2000, allow_null=True,
                                         default=None,
                                         help_text="instead of prefixes: km around the partner")


class CompetencySerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    level = serializers.IntegerField(min_value=1, max_value=3, default=1)


class CertificationSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    valid_until = serializers.DateField(allow_null=True, default=None)


class ProductSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    available = serializers.BooleanField(default=True)


class PartnerInput(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200)
    status = serializers.ChoiceField(choices=PartnerStatus.choices, required=False)
    employees = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    capacity = serializers.IntegerField(min_value=0, max_value=100_000, required=False,
                                        help_text="max open leads at once")
    deal_value_min = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0,
                                              required=False)
    deal_value_max = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0,
                                              allow_null=True, required=False)
    level = serializers.ChoiceField(choices=PartnerLevel.choices, required=False)
    country = serializers.CharField(min_length=2, max_length=2, help_text="ISO 3166-1 alpha-2")
    postal_code = serializers.CharField(max_length=12, allow_blank=True, required=False)
    city = serializers.CharField(max_length=100, allow_blank=True, required=False)
    territories = TerritorySerializer(many=True, required=False)
    industries = serializers.ListField(child=serializers.CharField(max_length=40),
                                       required=False, help_text="industry codes")
    competencies = CompetencySerializer(many=True, required=False)
    certifications = CertificationSerializer(many=True, required=False)
    products = ProductSerializer(many=True, required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=3),
                                      required=False, help_text="ISO 639-1 codes")
    notification_email = serializers.EmailField(allow_blank=True, required=False)


class PartnerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=PartnerStatus.choices)
    employees = serializers.IntegerField()
    capacity = serializers.IntegerField()
    deal_value_min = serializers.DecimalField(max_digits=14, decimal_places=2)
    deal_value_max = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    level = serializers.ChoiceField(choices=PartnerLevel.choices)
    country = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    territories = TerritorySerializer(many=True)
    industries = serializers.ListField(child=serializers.CharField())
    competencies = CompetencySerializer(many=True)
    certifications = CertificationSerializer(many=True)
    products = ProductSerializer(many=True)
    languages = serializers.ListField(child=serializers.CharField())
    notification_email = serializers.CharField()


def partner_payload(partner: Partner) -> dict:
    """The API form of a partner loaded with `selectors.partner_with_profile`."""
    payload = {field: getattr(partner, field) for field in SCALAR_FIELDS}
    payload["id"] = partner.pk
    payload["territories"] = [
        {"country": t.country, "postal_prefixes": t.postal_prefixes, "radius_km": t.radius_km}
        for t in partner.territories.all()
    ]
    payload["industries"] = sorted(i.term.code for i in partner.industries.all())
    payload["competencies"] = sorted(
        ({"code": c.term.code, "level": c.level} for c in partner.competencies.all()),
        key=lambda item: item["code"])
    payload["certifications"] = sorted(
        ({"code": c.term.code, "valid_until": c.valid_until}
         for c in partner.certifications.all()), key=lambda item: item["code"])
    payload["products"] = sorted(
        ({"code": p.term.code, "available": p.available} for p in partner.products.all()),
        key=lambda item: item["code"])
    return PartnerOutput(payload).data


class TermInput(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    level = serializers.IntegerField(min_value=1, max_value=3, required=False, allow_null=True,
                                     help_text="certifications only: 1 (basic) to 3 (expert)")


class TermOutput(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField(
        required=False, allow_null=True,
        help_text="present for certifications only: 1 (basic) to 3 (expert)")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.kind != TermKind.CERTIFICATION:
            data.pop("level", None)
        return data


# --- views ----------------------------------------------------------------------------------

_LIST_PARAMETERS = [
    OpenApiParameter("search", str, description="name, external_id or city contains"),
    OpenApiParameter("status", str, enum=PartnerStatus.values),
    OpenApiParameter("level", str, enum=PartnerLevel.values),
    OpenApiParameter("country", str, description="has a territory in this country"),
    OpenApiParameter("postal_prefix", str,
                     description="with `country`: the territory covers postal codes starting so"),
    OpenApiParameter("competency", str, description="holds this competency code"),
]


class PartnerListView(APIView):
    pagination_class = ListPagination

    @extend_schema(operation_id="partners_list", parameters=_LIST_PARAMETERS,
                   responses={200: PartnerOutput(many=True)})
    def get(self, request: Request) -> Response:
        """The tenant's partners (a partner-scoped key: only its own)."""
        params = request.query_params
        partners = selectors.partner_list(
            partners=selectors.partners_visible(api_key=request.auth),
            search=params.get("search", ""), status=params.get("status", ""),
            level=params.get("level", ""), country=params.get("country", ""),
            postal_prefix=params.get("postal_prefix", ""),
            competency=params.get("competency", ""),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.partner_with_profile(partners), request,
                                           view=self)
        return paginator.get_paginated_response([partner_payload(p) for p in page])

    @extend_schema(operation_id="partners_create", request=PartnerInput,
                   responses={201: PartnerOutput, 400: ApiErrorOutput, 403: ApiErrorOutput,
                              409: ApiErrorOutput})
    def post(self, request: Request) -> Response:
        """Create a partner. Unknown taxonomy codes: 400 `unknown_code` (or created, if the
        tenant allows it); an external_id in use: 409 `duplicate`."""
        if request.auth.partner_id:
            raise PermissionDenied(gettext("A partner-scoped key cannot create partners."))
        serializer = PartnerInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        partner = services.partner_create(tenant=request.auth.tenant, actor=request.user,
                                          data=serializer.validated_data)
        return Response(_reload(partner, request), status=status.HTTP_201_CREATED)


class PartnerDetailView(APIView):
    @extend_schema(operation_id="partners_retrieve",
                   responses={200: PartnerOutput, 404: ApiErrorOutput})
    def get(self, request: Request, id: int) -> Response:  # noqa: A002 (the API's path name)
        partner_id = id
        partner = selectors.get_partner_for_user(partner_id=partner_id, api_key=request.auth,
                                                 profile=True)
        return Response(partner_payload(partner))

    @extend_schema(operation_id="partners_partial_update", request=PartnerInput(partial=True),
                   responses={200: PartnerOutput, 400: ApiErrorOutput, 403: ApiErrorOutput,
                              404: ApiErrorOutput, 409: ApiErrorOutput})
    def patch(self, request: Request, id: int) -> Response:  # noqa: A002
        partner_id = id
        """Change the fields sent; a nested list sent replaces the current one. A
        partner-scoped key may change only capacity, notification_email and status."""
        partner = selectors.get_partner_for_user(partner_id=partner_id, api_key=request.auth)
        serializer = PartnerInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if request.auth.partner_id:
            refused = sorted(set(data) - PARTNER_KEY_FIELDS)
            if refused or data.get("status") == PartnerStatus.OFFBOARDED:
                raise PermissionDenied(
                    gettext("A partner-scoped key may change only capacity, "
                            "notification_email and status (active or paused)."))
        partner = services.partner_update(partner=partner, actor=request.user, data=data)
        return Response(_reload(partner, request))


def _reload(partner: Partner, request: Request) -> dict:
    partner = selectors.get_partner_for_user(partner_id=partner.pk, api_key=request.auth,
                                             profile=True)
    return partner_payload(partner)


_KIND_PARAMETER = OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH,
                                   enum=TermKind.values)


def _kind_or_404(kind: str) -> str:
    if kind not in TermKind.values:
        raise NotFound(gettext("No taxonomy '%(kind)s'. Use one of: %(values)s.")
                       % {"kind": kind, "values": ", ".join(TermKind.values)})
    return kind


class TaxonomyView(APIView):
    pagination_class = ListPagination

    @extend_schema(operation_id="taxonomy_list", parameters=[_KIND_PARAMETER],
                   responses={200: TermOutput(many=True), 404: ApiErrorOutput})
    def get(self, request: Request, kind: str) -> Response:
        """The tenant's codes of one kind, `{code, name}` (+ `level` for certifications)."""
        terms = selectors.term_list(kind=_kind_or_404(kind))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(terms, request, view=self)
        return paginator.get_paginated_response(TermOutput(page, many=True).data)

    @extend_schema(operation_id="taxonomy_create", parameters=[_KIND_PARAMETER],
                   request=TermInput,
                   responses={201: TermOutput, 400: ApiErrorOutput, 403: ApiErrorOutput,
                              404: ApiErrorOutput, 409: ApiErrorOutput})
    def post(self, request: Request, kind: str) -> Response:
        """Add a code; an existing code is 409 `duplicate`."""
        kind = _kind_or_404(kind)
        if request.auth.partner_id:
            raise PermissionDenied(gettext("A partner-scoped key cannot change the taxonomy."))
        serializer = TermInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        term = services.term_create(tenant=request.auth.tenant, actor=request.user, kind=kind,
                                    code=data["code"], name=data.get("name", ""),
                                    level=data.get("level"))
        return Response(TermOutput(term).data, status=status.HTTP_201_CREATED)
