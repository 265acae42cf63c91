"""Build the dashboard's rollup again from the outcome events (all tenants or one)."""

from django.core.management.base import BaseCommand

from leadrouter.tenancy.commands import command_tenants
from leadrouter.tenancy.scoping import tenant_scope


class Command(BaseCommand):
    help = ("Rebuild the dashboard's rollup of outcome events (feedback.rollup) from scratch; "
            "with --advance only bring it up to date, as the hourly task does.")

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="the tenant's slug (default: every tenant)")
        parser.add_argument("--advance", action="store_true",
                            help="only add what is new since the last run")

    def handle(self, *args, tenant=None, advance=False, **options):
        from feedback.rollup import rollup_advance, rollup_rebuild

        tenants = command_tenants(tenant)
        run = rollup_advance if advance else rollup_rebuild
        for tenant_id, slug in tenants:
            with tenant_scope(tenant_id):
                result = run(tenant_id=tenant_id)
            self.stdout.write(f"{slug}: {result['days']} days rebuilt, through "
                              f"{result['through_day']}, events recorded before "
                              f"{result['settled_before']:%Y-%m-%d %H:%M %Z}")
