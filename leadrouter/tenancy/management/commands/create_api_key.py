from django.core.management.base import BaseCommand, CommandError

from leadrouter.tenancy.api_keys import api_key_create
from leadrouter.tenancy.models import Tenant
from leadrouter.tenancy.scoping import tenant_scope
from partners.selectors import partner_by_reference


class Command(BaseCommand):
    help = "Create an API key for a tenant (or one of its partners). Prints the key once."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--partner", help="partner id or external_id: a partner-scoped key")

    def handle(self, *args, tenant, name, partner, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(f"No tenant with slug '{tenant}'.")
        with tenant_scope(tenant_obj):
            partner_obj = None
            if partner:
                partner_obj = partner_by_reference(partner)
                if partner_obj is None:
                    raise CommandError(f"No partner '{partner}' in this tenant.")
            issued = api_key_create(tenant=tenant_obj, name=name, partner=partner_obj)
        self.stdout.write(self.style.SUCCESS(
            f"API key '{name}' created. It is shown only now; store it safely:"
        ))
        self.stdout.write(issued.plain_key)
