from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from leadrouter.tenancy.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant (a manufacturer)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--timezone", default="Europe/Berlin")
        parser.add_argument("--currency", default="EUR")

    def handle(self, *args, slug, name, timezone, currency, **options):
        try:
            tenant = tenant_create(slug=slug, name=name, timezone=timezone, currency=currency)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created tenant '{tenant.slug}' ({tenant.name})."))
