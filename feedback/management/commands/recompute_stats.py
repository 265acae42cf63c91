"""Rebuild partner statistics, tiers and rule actions from the outcome events."""

from django.core.management.base import BaseCommand

from leadrouter.tenancy.commands import command_tenants
from leadrouter.tenancy.scoping import tenant_scope


class Command(BaseCommand):
    help = "Recompute partner statistics and tiers from outcome events (all tenants or one)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="the tenant's slug (default: every tenant)")

    def handle(self, *args, tenant=None, **options):
        from feedback.services import feedback_recompute

        tenants = command_tenants(tenant)
        for tenant_id, slug in tenants:
            with tenant_scope(tenant_id):
                result = feedback_recompute(tenant_id=tenant_id)
            self.stdout.write(f"{slug}: {result['stats_rows']} statistics rows, "
                              f"{result['tiers_changed']} computed tiers changed, "
                              f"{result['actions']} rule actions")
