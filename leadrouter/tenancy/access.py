"""Who may open a page: decorators for the HTML views, by role in the current tenant.

Anonymous visitors go to the login page; a signed-in person without the role gets 404, never
403, like a foreign object (DESIGN.md §4).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from leadrouter.tenancy.models import Role


def _role_required(allowed: Callable) -> Callable[[Callable], Callable]:
    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.membership is None or not allowed(request.membership):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Admins and managers of the current tenant.
manager_required = _role_required(lambda membership: membership.is_staff_role)

# A partner user (who always belongs to one partner: request.membership.partner_id).
partner_user_required = _role_required(
    lambda membership: membership.role == Role.PARTNER and membership.partner_id is not None)
