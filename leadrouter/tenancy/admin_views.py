"""Tenant administration pages: settings, users and invitations, API keys. Admins only;
everyone else (managers, partner users, other tenants) gets 404. The invitation link's
page is the one public view here."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from feedback.tenant_settings import feedback_settings_get
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.admin_selectors import api_keys_list, invitations_pending, members_list
from leadrouter.tenancy.admin_services import (
    membership_remove,
    membership_role_change,
    tenant_api_key_create,
    tenant_api_key_revoke,
    tenant_settings_update,
)
from leadrouter.tenancy.forms import (
    ApiKeyForm,
    InvitationAcceptForm,
    InvitationForm,
    RoleChangeForm,
    TenantSettingsForm,
)
from leadrouter.tenancy.invitations import (
    invitation_accept,
    invitation_create,
    invitation_existing_user,
    invitation_find,
    invitation_revoke,
)
from leadrouter.tenancy.memberships import SESSION_TENANT_KEY
from leadrouter.tenancy.models import ApiKey, Invitation, Membership, Role
from partners.models import Partner


def _require_admin(request: HttpRequest) -> None:
    membership = request.membership
    if membership is None or membership.role != Role.ADMIN:
        raise Http404


def _get_membership_for_admin(request: HttpRequest, membership_id: int) -> Membership:
    _require_admin(request)
    membership = Membership.objects.select_related("user").filter(pk=membership_id).first()
    if membership is None:
        raise Http404
    return membership


def _get_api_key_for_admin(request: HttpRequest, api_key_id: int) -> ApiKey:
    _require_admin(request)
    api_key = ApiKey.objects.filter(pk=api_key_id).first()
    if api_key is None:
        raise Http404
    return api_key


def _get_invitation_for_admin(request: HttpRequest, invitation_id: int) -> Invitation:
    _require_admin(request)
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation


def _form_errors_from(form, exc: DomainError) -> None:
    """Put a service's per-field problems on the form (or a general error)."""
    if not exc.fields:
        form.add_error(None, exc.message)
    for field, problems in exc.fields.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


def _flash_error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


# --- settings -------------------------------------------------------------------------------
@login_required
def tenant_settings(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    tenant = request.tenant
    if request.method == "POST":
        form = TenantSettingsForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                changed = tenant_settings_update(tenant=tenant, actor=request.user,
                                                 changes=form.cleaned_changes())
            except DomainError as exc:
                _form_errors_from(form, exc)
            else:
                messages.success(request, _("Settings saved.") if changed
                                 else _("Nothing changed."))
                return redirect("tenant-settings")
    else:
        form = TenantSettingsForm(initial=TenantSettingsForm.initial_from(
            tenant, feedback_settings_get(tenant=tenant)))
    return render(request, "tenancy/admin_settings.html", {"form": form, "tenant": tenant})


# --- users and invitations ------------------------------------------------------------------
def _partners():
    return Partner.objects.order_by("name")


@login_required
def tenant_users(request: HttpRequest) -> HttpResponse:
    """The tenant's people and open invitations; POST invites someone."""
    _require_admin(request)
    partners = list(_partners())
    form = InvitationForm(request.POST or None, partners=_partners())
    if request.method == "POST" and form.is_valid():
        try:
            invitation_create(tenant=request.tenant, actor=request.user,
                              email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                              partner=form.cleaned_data["partner"])
        except DomainError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s. The link is valid for "
                                        "72 hours.") % {"email": form.cleaned_data["email"]})
            return redirect("tenant-users")
    return render(request, "tenancy/admin_users.html", {
        "members": members_list(),
        "invitations": invitations_pending(),
        "partners": partners,
        "roles": Role.choices,
        "form": form,
    })


@login_required
@require_POST
def tenant_user_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _get_membership_for_admin(request, membership_id)
    form = RoleChangeForm(request.POST, partners=_partners())
    if not form.is_valid():
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
        return redirect("tenant-users")
    try:
        membership_role_change(membership=membership, actor=request.user,
                               role=form.cleaned_data["role"],
                               partner=form.cleaned_data["partner"])
    except DomainError as exc:
        _flash_error(request, exc)
        return redirect("tenant-users")
    messages.success(request, _("%(email)s is now %(role)s.") % {
        "email": membership.user.email, "role": membership.get_role_display()})
    if membership.user_id == request.user.pk and membership.role != Role.ADMIN:
        return redirect("home")  # no longer allowed here
    return redirect("tenant-users")


@login_required
@require_POST
def tenant_user_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _get_membership_for_admin(request, membership_id)
    try:
        membership_remove(membership=membership, actor=request.user)
    except DomainError as exc:
        _flash_error(request, exc)
        return redirect("tenant-users")
    messages.success(request, _("%(email)s no longer has access.") % {
        "email": membership.user.email})
    if membership.user_id == request.user.pk:
        return redirect("home")
    return redirect("tenant-users")


@login_required
@require_POST
def tenant_invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = _get_invitation_for_admin(request, invitation_id)
    invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, _("The invitation for %(email)s was withdrawn.") % {
        "email": invitation.email})
    return redirect("tenant-users")


@never_cache
def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation e-mail: choose a password (or confirm yours), join,
    and be logged in."""
    invitation = invitation_find(token)
    if invitation is None:
        return render(request, "tenancy/admin_invitation_invalid.html", status=404)
    if not invitation.is_open:
        return render(request, "tenancy/admin_invitation_invalid.html", status=410)
    existing_user = invitation_existing_user(invitation)
    User = get_user_model()
    form = InvitationAcceptForm(
        request.POST or None, existing_user=existing_user, email=invitation.email,
        user_for_validation=existing_user or User(username=invitation.email,
                                                  email=invitation.email))
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(invitation=invitation,
                                     password=form.cleaned_data["password1"])
        except DomainError as exc:
            if exc.status_code == 410:
                return render(request, "tenancy/admin_invitation_invalid.html", status=410)
            _form_errors_from(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_TENANT_KEY] = invitation.tenant_id
            messages.success(request, _("Welcome to %(tenant)s.") % {
                "tenant": invitation.tenant.name})
            return redirect("home")
    return render(request, "tenancy/admin_invitation_accept.html", {
        "invitation": invitation, "form": form, "existing_user": existing_user,
    })


# --- API keys -------------------------------------------------------------------------------
@login_required
@never_cache
def tenant_api_keys(request: HttpRequest) -> HttpResponse:
    """List and create API keys. A new key's secret is rendered into this one response
    only (no redirect, no session), and the response is not cached."""
    _require_admin(request)
    form = ApiKeyForm(request.POST or None, partners=_partners())
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = tenant_api_key_create(tenant=request.tenant, actor=request.user,
                                           name=form.cleaned_data["name"],
                                           partner=form.cleaned_data["partner"])
        except DomainError as exc:
            _form_errors_from(form, exc)
        else:
            form = ApiKeyForm(partners=_partners())
    return render(request, "tenancy/admin_api_keys.html", {
        "api_keys": api_keys_list(), "form": form, "issued": issued,
    })


@login_required
@require_POST
def tenant_api_key_revoke_view(request: HttpRequest, api_key_id: int) -> HttpResponse:
    api_key = _get_api_key_for_admin(request, api_key_id)
    tenant_api_key_revoke(api_key=api_key, actor=request.user)
    messages.success(request, _("Key %(name)s (%(prefix)s…) revoked.") % {
        "name": api_key.name, "prefix": api_key.prefix})
    return redirect("tenant-api-keys")
