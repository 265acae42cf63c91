"""API v1: a partner's change requests (partners/onboarding.py, DESIGN.md §8).

A partner's own system (partner-scoped key) asks for changes to the routing part of its
profile and lists its requests; the tenant's key (the manager's integration) lists them and
approves or rejects. Approval goes through `onboarding.partner_change_approve`, the same
service as the pending-changes page, so routing sees a change only once it is approved.
Another tenant's partner, or another partner's request, is 404.
"""

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leadrouter.api_errors import ApiErrorOutput, DomainError
from partners import onboarding, selectors
from partners.api import (
    CertificationSerializer,
    CompetencySerializer,
    ListPagination,
    PartnerInput,
    ProductSerializer,
    TerritorySerializer,
)
from partners.models import ChangeStatus, Partner, PartnerChangeRequest, PartnerStatus

# --- serializers ----------------------------------------------------------------------------


class ChangeRequestSubmit(PartnerInput):
    """What a partner may ask for: the routing fields (wait for approval) and the contact
    e-mail (applies at once). Fields of the partner's profile not sent stay as they are."""

    external_id = name = status = capacity = level = country = postal_code = city = None

    def validate(self, attrs: dict) -> dict:
        # Silently dropping e.g. `capacity` would let a client believe it was changed.
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: [gettext(
                "Not part of a change request; capacity and status change at once with "
                "PATCH /partners/{id}/.")] for name in unknown})
        if not attrs:
            raise serializers.ValidationError(gettext("Send at least one field to change."))
        return attrs


class RequestedProfile(serializers.Serializer):
    """The requested values, in the partner API's shape; only the fields asked for."""

    employees = serializers.IntegerField(required=False)
    deal_value_min = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    deal_value_max = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                              required=False)
    languages = serializers.ListField(child=serializers.CharField(), required=False)
    territories = TerritorySerializer(many=True, required=False)
    industries = serializers.ListField(child=serializers.CharField(), required=False)
    competencies = CompetencySerializer(many=True, required=False)
    certifications = CertificationSerializer(many=True, required=False)
    products = ProductSerializer(many=True, required=False)

    def to_representation(self, instance: dict) -> dict:
        # DRF fills a nullable field that is absent with None; here absent means "not asked".
        return {name: value for name, value in super().to_representation(instance).items()
                if name in instance}


class ChangeRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    partner = serializers.IntegerField(source="partner_id")
    status = serializers.ChoiceField(choices=ChangeStatus.choices)
    requested = RequestedProfile(source="data")
    requested_by = serializers.EmailField(source="requested_by.email", allow_null=True,
                                          help_text="the partner user, if any")
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.EmailField(source="decided_by.email", allow_null=True,
                                        help_text="the manager; null when decided by API key")
    note = serializers.CharField(help_text="the manager's note to the partner")


class DecisionInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="",
                                 help_text="shown to the partner")


# --- lookups --------------------------------------------------------------------------------

def _partner(request: Request, partner_id: int) -> Partner:
    """The partner if the key may see it (a partner key: only its own), else 404."""
    return selectors.get_partner_for_user(partner_id=partner_id, api_key=request.auth)


def _change(request: Request, partner_id: int, change_id: int) -> PartnerChangeRequest:
    partner = _partner(request, partner_id)
    change = (PartnerChangeRequest.objects.select_related("partner", "requested_by",
                                                          "decided_by")
              .filter(pk=change_id, partner=partner).first())
    if change is None:
        raise NotFound(gettext("No such change request."))
    return change


def _tenant_key_only(request: Request) -> None:
    if request.auth.partner_id:
        raise PermissionDenied(gettext("Only the tenant's API key can decide on a change "
                                       "request; a partner-scoped key may submit and read."))


_STATUS_FILTER = OpenApiParameter("status", str, enum=ChangeStatus.values,
                                  description="only requests in this state")
_ERRORS = {400: ApiErrorOutput, 403: ApiErrorOutput, 404: ApiErrorOutput, 409: ApiErrorOutput}


# --- views ----------------------------------------------------------------------------------

class ChangeRequestListView(APIView):
    pagination_class = ListPagination
    parser_classes = [JSONParser]  # nested lists do not survive a form body

    @extend_schema(operation_id="partner_change_requests_list", parameters=[_STATUS_FILTER],
                   responses={200: ChangeRequestOutput(many=True), 400: ApiErrorOutput,
                              404: ApiErrorOutput})
    def get(self, request: Request, id: int) -> Response:  # noqa: A002 (the API's path name)
        """The partner's change requests, newest first."""
        partner = _partner(request, id)
        changes = (PartnerChangeRequest.objects.filter(partner=partner)
                   .select_related("requested_by", "decided_by").order_by("-created_at", "-pk"))
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in ChangeStatus.values:
                message = gettext("Choose one of: %(values)s.") % {
                    "values": ", ".join(ChangeStatus.values)}
                raise DomainError(message, code="invalid", status_code=400,
                                  fields={"status": [message]})
            changes = changes.filter(status=wanted)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(changes, request, view=self)
        return paginator.get_paginated_response(ChangeRequestOutput(page, many=True).data)

    @extend_schema(operation_id="partner_change_requests_submit", request=ChangeRequestSubmit,
                   responses={201: ChangeRequestOutput, 204: None, **_ERRORS})
    def post(self, request: Request, id: int) -> Response:  # noqa: A002
        """A partner-scoped key asks for changes to its own profile. The routing fields
        that differ from the profile become the partner's one pending request (replacing an
        earlier pending one): 201. The contact e-mail applies at once. Nothing left to
        approve (the profile is already as asked; a pending request is withdrawn): 204."""
        partner = _partner(request, id)
        if not request.auth.partner_id:
            raise PermissionDenied(gettext(
                "Only the partner's own key asks for changes; the tenant's key changes the "
                "profile directly with PATCH /partners/{id}/."))
        if partner.status == PartnerStatus.OFFBOARDED:
            raise DomainError(gettext("This partner is offboarded; its profile no longer "
                                      "changes."), code="offboarded", status_code=409)
        # Partial: a field not sent is not asked for (no defaults filled in).
        serializer = ChangeRequestSubmit(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        pending = onboarding.partner_change_submit(partner=partner, actor=request.user,
                                                   data=dict(serializer.validated_data))
        if pending is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ChangeRequestOutput(_change(request, id, pending.pk)).data,
                        status=status.HTTP_201_CREATED)


class ChangeRequestDetailView(APIView):
    @extend_schema(operation_id="partner_change_requests_retrieve",
                   responses={200: ChangeRequestOutput, 404: ApiErrorOutput})
    def get(self, request: Request, id: int, change_id: int) -> Response:  # noqa: A002
        return Response(ChangeRequestOutput(_change(request, id, change_id)).data)


class ChangeRequestApproveView(APIView):
    parser_classes = [JSONParser]
    @extend_schema(operation_id="partner_change_requests_approve", request=DecisionInput,
                   responses={200: ChangeRequestOutput, **_ERRORS})
    def post(self, request: Request, id: int, change_id: int) -> Response:  # noqa: A002
        """Apply a pending request to the profile (routing sees it from now on). 409 when
        already decided; 400 when it no longer fits the profile (it stays pending)."""
        return _decide(request, id, change_id, onboarding.partner_change_approve)


class ChangeRequestRejectView(APIView):
    parser_classes = [JSONParser]
    @extend_schema(operation_id="partner_change_requests_reject", request=DecisionInput,
                   responses={200: ChangeRequestOutput, **_ERRORS})
    def post(self, request: Request, id: int, change_id: int) -> Response:  # noqa: A002
        """Refuse a pending request; the profile stays as it is. 409 when already decided."""
        return _decide(request, id, change_id, onboarding.partner_change_reject)


def _decide(request: Request, partner_id: int, change_id: int, service) -> Response:
    change = _change(request, partner_id, change_id)
    _tenant_key_only(request)
    serializer = DecisionInput(data=request.data)
    serializer.is_valid(raise_exception=True)
    service(change=change, actor=request.user, note=serializer.validated_data["note"])
    return Response(ChangeRequestOutput(_change(request, partner_id, change_id)).data)
