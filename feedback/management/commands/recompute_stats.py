"""Rebuild partner statistics, tiers and rule actions from the outcome events."""

from django.core.management.base import BaseCommand, CommandError

from leadrouter.tenancy.models import Tenant
from leadrouter.tenancy.scoping import all_tenants, tenant_scope


class Command(BaseCommand):
    help = "Recompute partner statistics and tiers from outcome events (all tenants or one)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="the tenant's slug (default: every tenant)")

    def handle(self, *args, tenant=None, **options):
        from feedback.services import feedback_recompute

        # Cross-tenant by design: a management command picks the tenants to work on.
        with all_tenants():
            tenants = Tenant.objects.order_by("id")
            if tenant:
                tenants = tenants.filter(slug=tenant)
            tenants = list(tenants.values_list("id", "slug"))
        if tenant and not tenants:
            raise CommandError(f"No tenant with slug {tenant!r}.")
        for tenant_id, slug in tenants:
            with tenant_scope(tenant_id):
                result = feedback_recompute(tenant_id=tenant_id)
            self.stdout.write(f"{slug}: {result['stats_rows']} statistics rows, "
                              f"{result['tiers_changed']} computed tiers changed, "
                              f"{result['actions']} rule actions")
