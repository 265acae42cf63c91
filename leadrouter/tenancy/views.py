"""Landing and tenant switching."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadrouter.tenancy.memberships import SESSION_TENANT_KEY
from leadrouter.tenancy.models import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each user to their own start page: managers to the dashboard, partners to the
    portal. A user without any membership sees a page that says so."""
    membership = request.membership
    if membership is None:
        return render(request, "tenancy/no_membership.html", status=403)
    if membership.role == Role.PARTNER:
        return redirect("portal")
    return redirect("dashboard")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if request.membership is None or not request.membership.is_staff_role:
        raise Http404
    return render(request, "tenancy/dashboard.html")


@login_required
@require_POST
def tenant_switch(request: HttpRequest) -> HttpResponse:
    """Pick which of the user's tenants the next requests run in."""
    try:
        tenant_id = int(request.POST.get("tenant", ""))
    except ValueError as exc:
        raise Http404 from exc
    if not any(m.tenant_id == tenant_id for m in request.memberships):
        raise Http404
    request.session[SESSION_TENANT_KEY] = tenant_id
    return redirect("home")


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and compose: the database answers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
