"""API v1 of the matching app: the tenant's routing policy."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leadrouter.api_errors import ApiErrorOutput
from matching.models import RoutingPolicy
from matching.policy import PolicyChanges, policy_current, policy_update


class RoutingPolicyOutput(serializers.ModelSerializer):
    class Meta:
        model = RoutingPolicy
        fields = ["id", "version", "created_at", "created_by", "weights", "hard_rules",
                  "fit_exponent", "prior_strength", "half_life_days", "exploration",
                  "exploration_rate", "exploration_min_closed", "use_performance",
                  "tier_multipliers", "mode", "broadcast_count", "accept_sla_hours",
                  "reminder_fraction", "max_attempts"]


def _require_tenant_key(request: Request) -> None:
    # The policy is the tenant's business: a partner-scoped key does not see it at all.
    if getattr(request.auth, "partner_id", None):
        raise Http404


class RoutingPolicyView(APIView):
    # JSON only: a form body cannot carry the nested weights and tier multipliers.
    parser_classes = [JSONParser]
    """The tenant's current routing policy. A PUT saves the given settings as a new version
    (decisions keep pointing to the version they used); omitted settings stay as they are,
    `weights` and `tier_multipliers` are merged key by key."""

    @extend_schema(operation_id="routing_policy_retrieve", responses=RoutingPolicyOutput)
    def get(self, request: Request) -> Response:
        _require_tenant_key(request)
        return Response(RoutingPolicyOutput(policy_current(tenant=request.auth.tenant)).data)

    @extend_schema(
        operation_id="routing_policy_update", request=PolicyChanges,
        responses={200: RoutingPolicyOutput,
                   400: OpenApiResponse(ApiErrorOutput, description="invalid settings")})
    def put(self, request: Request) -> Response:
        _require_tenant_key(request)
        policy = policy_update(tenant=request.auth.tenant, actor=request.user,
                               changes=request.data)
        return Response(RoutingPolicyOutput(policy).data)
