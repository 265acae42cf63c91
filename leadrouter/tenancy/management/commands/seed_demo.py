"""The demo tenant: people to log in as, and (as the apps grow) a realistic channel."""

from django.core.management.base import BaseCommand
from django.db import transaction

from leadrouter.tenancy.models import Role, Tenant
from leadrouter.tenancy.scoping import tenant_scope
from leadrouter.tenancy.services import user_create_in_tenant

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-pass-2026"
DEMO_PEOPLE = [
    ("admin@demo.leadrouter.local", Role.ADMIN),
    ("manager@demo.leadrouter.local", Role.MANAGER),
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo tenant and print its logins. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not print logins")

    def handle(self, *args, quiet_logins=False, **options):
        with transaction.atomic():
            tenant, _ = Tenant.objects.get_or_create(
                slug=DEMO_SLUG,
                defaults={"name": "Demo Maschinenbau GmbH", "timezone": "Europe/Berlin",
                          "currency": "EUR"},
            )
            logins = []
            with tenant_scope(tenant):
                for email, role in DEMO_PEOPLE:
                    user_create_in_tenant(tenant=tenant, email=email, role=role,
                                          password=DEMO_PASSWORD)
                    logins.append((email, role))
        if not quiet_logins:
            self.stdout.write(self.style.SUCCESS(f"Demo tenant '{tenant.slug}' is ready."))
            for email, role in logins:
                self.stdout.write(f"  {role:<8} {email}  password: {DEMO_PASSWORD}")
