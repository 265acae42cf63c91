"""What the per-tenant management commands share."""

from django.core.management.base import CommandError

from leadrouter.tenancy.models import Tenant
from leadrouter.tenancy.scoping import all_tenants


def command_tenants(slug: str | None) -> list[tuple[int, str]]:
    """(id, slug) of the tenant named by `--tenant`, or of every tenant; a clear error for
    an unknown slug."""
    # Cross-tenant by design: a management command picks the tenants to work on.
    with all_tenants():
        tenants = Tenant.objects.order_by("id")
        if slug:
            tenants = tenants.filter(slug=slug)
        tenants = list(tenants.values_list("id", "slug"))
    if slug and not tenants:
        raise CommandError(f"No tenant with slug {slug!r}.")
    return tenants
