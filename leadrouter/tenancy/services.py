"""Writes of the tenancy core: tenants and the people in them."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.utils.translation import gettext

from leadrouter.tenancy.models import Membership, Role, Tenant
from leadrouter.tenancy.scoping import tenant_scope


def tenant_create(*, slug: str, name: str, timezone: str = "Europe/Berlin",
                  currency: str = "EUR") -> Tenant:
    """Create a tenant. The slug is its stable, URL-safe identifier."""
    validate_slug(slug)
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError(gettext("A tenant with slug '%(slug)s' already exists.")
                              % {"slug": slug})
    return Tenant.objects.create(slug=slug, name=name, timezone=timezone, currency=currency)


def user_create_in_tenant(*, tenant: Tenant, email: str, role: str, password: str | None = None,
                          partner=None, first_name: str = "", last_name: str = "") -> Membership:
    """Create (or reuse) the user with `email` and give them `role` in `tenant`.

    A partner user must name its partner; other roles must not.
    """
    email = email.strip().lower()
    validate_email(email)
    if role not in Role.values:
        raise ValidationError(gettext("Unknown role '%(role)s'. Choose one of: %(values)s.")
                              % {"role": role, "values": ", ".join(Role.values)})
    if role == Role.PARTNER and partner is None:
        raise ValidationError(gettext("A partner user needs a partner."))
    if role != Role.PARTNER and partner is not None:
        raise ValidationError(gettext("Only partner users belong to a partner."))
    User = get_user_model()
    with transaction.atomic(), tenant_scope(tenant):
        user, created = User.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": first_name,
                                      "last_name": last_name},
        )
        if created or password:
            _set_password(user, password)
        membership, _ = Membership.objects.update_or_create(
            tenant=tenant, user=user, defaults={"role": role, "partner": partner}
        )
    return membership


def _set_password(user: AbstractBaseUser, password: str | None) -> None:
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
