"""Reads of the tenant administration pages. All run inside the request's tenant scope."""

from django.db.models import F, QuerySet

from leadrouter.tenancy.models import ApiKey, Invitation, Membership


def members_list() -> QuerySet[Membership]:
    """The tenant's people with what the users page shows: e-mail, role, partner, last login."""
    return Membership.objects.select_related("user", "partner").order_by("user__email")


def invitations_pending() -> QuerySet[Invitation]:
    """Invitations not yet used or revoked (expired ones included, marked by the page)."""
    return (Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
            .select_related("partner").order_by("-created_at"))


def api_keys_list() -> QuerySet[ApiKey]:
    """Active keys first, newest first."""
    return ApiKey.objects.select_related("partner").order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at")
