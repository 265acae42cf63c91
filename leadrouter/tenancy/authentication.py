"""DRF authentication by API key.

The key is resolved once, by TenantScopeMiddleware, which also opens the tenant scope for
the request; this class hands DRF what the middleware found.
"""

from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from leadrouter.tenancy.models import ApiKey


class ApiKeyPrincipal:
    """What `request.user` is for an API call: the key, its tenant and optional partner."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.tenant = api_key.tenant
        self.partner_id = api_key.partner_id

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        django_request = request._request
        if getattr(django_request, "api_key_invalid", False):
            raise exceptions.AuthenticationFailed(gettext("Invalid or revoked API key."))
        api_key = getattr(django_request, "api_key", None)
        if api_key is None:
            return None
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when no credentials were sent.
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "leadrouter.tenancy.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": gettext("An API key created in the dashboard or with `create_api_key`."),
        }
