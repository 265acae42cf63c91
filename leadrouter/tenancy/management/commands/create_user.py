import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from leadrouter.tenancy.models import Role, Tenant
from leadrouter.tenancy.scoping import tenant_scope
from leadrouter.tenancy.services import user_create_in_tenant
from partners.selectors import partner_by_reference


class Command(BaseCommand):
    help = "Create a user in a tenant with a role (admin, manager or partner)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="omit to generate one")
        parser.add_argument("--partner", help="partner id or external_id (role partner)")

    def handle(self, *args, tenant, email, role, password, partner, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(f"No tenant with slug '{tenant}'.")
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        with tenant_scope(tenant_obj):
            partner_obj = partner_by_reference(partner) if partner else None
            if partner and partner_obj is None:
                raise CommandError(f"No partner '{partner}' in this tenant.")
            try:
                membership = user_create_in_tenant(
                    tenant=tenant_obj, email=email, role=role, password=password,
                    partner=partner_obj,
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"User {membership.user.email} is {role} in '{tenant_obj.slug}'."
        ))
        if generated:
            self.stdout.write(f"Password: {password}")

