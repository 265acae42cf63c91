"""Which tenants a logged-in user may act in, and as what."""

from django.contrib.auth.models import AbstractBaseUser

from leadrouter.tenancy.models import Membership
from leadrouter.tenancy.scoping import all_tenants

SESSION_TENANT_KEY = "tenant_id"


def memberships_for_user(user: AbstractBaseUser) -> list[Membership]:
    """All of the user's memberships, across tenants (needed before any scope exists)."""
    with all_tenants():
        return list(
            Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")
        )


def membership_pick(memberships: list[Membership], tenant_id: int | None) -> Membership | None:
    """The membership for the tenant chosen in the session, else the first one."""
    for membership in memberships:
        if membership.tenant_id == tenant_id:
            return membership
    return memberships[0] if memberships else None
