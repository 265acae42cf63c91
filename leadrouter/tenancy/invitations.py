"""Inviting people into a tenant: a one-time link, valid 72 hours, that sets a password.

The token is made when the e-mail is sent (in the Celery task) and exists only in that
e-mail; the database keeps its SHA-256 hash (like API keys: 256 random bits need no slow
hash). Sending again makes a new token and so invalidates the old link. Accepting marks the
invitation used under a row lock, so a link works exactly once.
"""

import hashlib
import secrets
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.models import Invitation, Membership, Role, Tenant
from leadrouter.tenancy.scoping import all_tenants, tenant_scope
from leadrouter.tenancy.tasks_base import TenantTask

INVITATION_VALID_FOR = timedelta(hours=72)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(*, tenant: Tenant, actor, email: str, role: str,
                      partner=None) -> Invitation:
    """Invite `email` into `tenant` as `role` and send the link (after commit).

    An earlier open invitation for the same address is revoked, so only the newest link works.
    """
    email = email.strip().lower()
    if role not in Role.values:
        raise DomainError(_("Unknown role."), code="invalid", status_code=400,
                          fields={"role": [_("Choose admin, manager or partner.")]})
    if (role == Role.PARTNER) != (partner is not None):
        raise DomainError(_("A partner user needs a partner; other roles have none."),
                          code="invalid", status_code=400,
                          fields={"partner": [_("A partner user needs a partner.")]})
    with transaction.atomic():
        if Membership.objects.filter(user__email__iexact=email).exists():
            raise DomainError(_("%(email)s is already a member.") % {"email": email},
                              code="invalid", status_code=400,
                              fields={"email": [_("This person is already a member.")]})
        now = timezone.now()
        Invitation.objects.filter(email=email, accepted_at__isnull=True,
                                  revoked_at__isnull=True).update(revoked_at=now)
        invitation = Invitation.objects.create(
            tenant=tenant, email=email, role=role, partner=partner,
            invited_by=actor if getattr(actor, "pk", None) else None)
        audit_record(tenant=tenant, actor=actor, action="invitation.create", target=invitation,
                     data={"email": email, "role": role,
                           "partner": partner.pk if partner is not None else None})
        invitation_send_task.delay_on_commit(tenant.pk, invitation.pk)
    return invitation


def invitation_send(*, invitation: Invitation) -> bool:
    """Make a fresh token, valid 72 h from now, and e-mail the link. False if the invitation
    was used or revoked meanwhile (nothing sent)."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update(of=("self",)).select_related(
            "tenant", "partner", "invited_by").filter(pk=invitation.pk).first()
        if invitation is None or invitation.accepted_at or invitation.revoked_at:
            return False
        now = timezone.now()
        invitation.token_hash = _hash(token)
        invitation.sent_at = now
        invitation.expires_at = now + INVITATION_VALID_FOR
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
        # Sent inside the transaction: if the mail server refuses, the token is not stored
        # and the retried task makes another one.
        _send_email(invitation, token)
    return True


def _send_email(invitation: Invitation, token: str) -> None:
    tenant = invitation.tenant
    context = {
        "invitation": invitation, "tenant": tenant, "partner": invitation.partner,
        "inviter": invitation.invited_by,
        "role": invitation.get_role_display(),
        "url": settings.SITE_URL.rstrip("/") + reverse("invitation-accept", args=[token]),
        "valid_hours": int(INVITATION_VALID_FOR.total_seconds() // 3600),
    }
    with translation.override(tenant.locale or settings.LANGUAGE_CODE):
        context["role"] = invitation.get_role_display()
        subject = _("You are invited to %(tenant)s on LeadRouter") % {"tenant": tenant.name}
        text = render_to_string("emails/invitation.txt", context)
        html = render_to_string("emails/invitation.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL,
                                     [invitation.email])
    message.attach_alternative(html, "text/html")
    message.send()


@shared_task(base=TenantTask, name="tenancy.invitation_send")
def invitation_send_task(tenant_id: int, invitation_id: int) -> bool:
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        return False
    return invitation_send(invitation=invitation)


def invitation_revoke(*, invitation: Invitation, actor) -> None:
    """Make the link useless. Idempotent."""
    with transaction.atomic():
        if invitation.accepted_at is None and invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit_record(tenant=invitation.tenant_id, actor=actor, action="invitation.revoke",
                         target=invitation, data={"email": invitation.email})


def invitation_find(token: str) -> Invitation | None:
    """The invitation behind a link, used or not, or None.

    Crosses tenants on purpose: the person following the link is not logged in (or is
    logged in elsewhere), so only the token can tell which tenant it belongs to.
    """
    if not token or len(token) > 100:
        return None
    with all_tenants():
        return (Invitation.objects.select_related("tenant", "partner")
                .filter(token_hash=_hash(token)).first())


def invitation_existing_user(invitation: Invitation):
    """The account that already uses the invited address and has a password, or None.

    Users are not tenant-owned; this needs no scope.
    """
    User = get_user_model()
    user = User.objects.filter(username=invitation.email).first()
    if user is not None and user.has_usable_password():
        return user
    return None


def invitation_accept(*, invitation: Invitation, password: str):
    """Use the invitation: create (or join with) the account and add the membership.

    A new account gets `password`; an existing account must prove itself with its current
    password, so a link cannot take over someone's login. Runs in the invitation's tenant
    scope (the accepting visitor has none of their own). Returns the user.
    """
    User = get_user_model()
    with tenant_scope(invitation.tenant_id), transaction.atomic():
        locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
        if locked is None or not locked.is_open or not locked.token_hash:
            raise DomainError(_("This invitation link is no longer valid."), code="gone",
                              status_code=410)
        user = User.objects.select_for_update().filter(username=locked.email).first()
        if user is not None and user.has_usable_password():
            if not user.check_password(password):
                raise DomainError(_("The password is wrong."), code="invalid",
                                  status_code=400,
                                  fields={"password1": [_("The password is wrong.")]})
        else:
            if user is None:
                user = User(username=locked.email, email=locked.email)
            user.set_password(password)
            user.save()
        if Membership.objects.filter(user=user).exists():
            raise DomainError(_("You are already a member of %(tenant)s.")
                              % {"tenant": invitation.tenant.name}, code="conflict")
        membership = Membership.objects.create(tenant_id=locked.tenant_id, user=user,
                                               role=locked.role, partner_id=locked.partner_id)
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        audit_record(tenant=locked.tenant_id, actor=user, action="invitation.accept",
                     target=membership, data={"email": locked.email, "role": locked.role})
    return user
