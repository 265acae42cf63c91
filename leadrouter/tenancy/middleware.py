"""Opens the tenant scope for the whole request, template rendering included."""

from collections.abc import Callable
from contextlib import nullcontext

from django.http import HttpRequest, HttpResponse

from leadrouter.tenancy.api_keys import api_key_authenticate
from leadrouter.tenancy.memberships import (
    SESSION_TENANT_KEY,
    membership_pick,
    memberships_for_user,
)
from leadrouter.tenancy.scoping import all_tenants, tenant_scope


class TenantScopeMiddleware:
    """Resolves the tenant of a request and runs the rest of it inside that tenant's scope.

    - API requests (`Authorization: Bearer <key>`): the key names the tenant (and partner).
    - Browser requests: the logged-in user's membership; with several, the one picked in
      the session (see the tenant switcher).
    - Staff in the Django admin work across tenants.
    Anything else runs with no scope, so touching tenant data there raises.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None
        request.membership = None
        request.memberships = []
        request.api_key = None
        request.api_key_invalid = False

        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            api_key = api_key_authenticate(authorization.removeprefix("Bearer ").strip())
            if api_key is None:
                request.api_key_invalid = True
            else:
                request.api_key = api_key
                request.tenant = api_key.tenant
        elif request.user.is_authenticated:
            request.memberships = memberships_for_user(request.user)
            membership = membership_pick(
                request.memberships, request.session.get(SESSION_TENANT_KEY)
            )
            if membership is not None:
                request.membership = membership
                request.tenant = membership.tenant

        if request.path.startswith("/admin/") and request.user.is_authenticated \
                and request.user.is_staff:
            context = all_tenants()
        elif request.tenant is not None:
            context = tenant_scope(request.tenant)
        else:
            context = nullcontext()
        with context:
            return self.get_response(request)
