"""API endpoints of the tenancy core."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class WhoAmIOutput(serializers.Serializer):
    tenant = serializers.SlugField(help_text="slug of the key's tenant")
    tenant_name = serializers.CharField()
    key_name = serializers.CharField()
    key_prefix = serializers.CharField()
    scope = serializers.ChoiceField(choices=["tenant", "partner"])
    partner = serializers.IntegerField(allow_null=True)


class WhoAmIView(APIView):
    """Which tenant (and partner) the calling key acts for: a first call for integrators."""

    @extend_schema(responses=WhoAmIOutput, operation_id="whoami")
    def get(self, request: Request) -> Response:
        api_key = request.auth
        return Response(WhoAmIOutput({
            "tenant": api_key.tenant.slug,
            "tenant_name": api_key.tenant.name,
            "key_name": api_key.name,
            "key_prefix": api_key.prefix,
            "scope": api_key.scope,
            "partner": api_key.partner_id,
        }).data)
