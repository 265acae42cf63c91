"""The demo tenant: people to log in as, and a realistic channel with a year of history."""

from django.core.management.base import BaseCommand

from leadrouter.demo.seed import DEMO_API_KEY_NAME, DEMO_PASSWORD, HISTORY_LEADS, demo_seed


class Command(BaseCommand):
    help = ("Create the demo tenant (partners in DE/AT/CH, a year of leads and outcomes) and "
            "print its logins. Safe to run again: it never duplicates data.")

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not print logins")
        parser.add_argument("--history-leads", type=int, default=HISTORY_LEADS,
                            help="historic leads to generate on the first run")

    def handle(self, *args, quiet_logins=False, history_leads=HISTORY_LEADS, **options):
        report = demo_seed(history_leads=history_leads)
        tenant = report.tenant
        if report.created:
            # The history was written in bulk: derive statistics, tiers and rule actions
            # from it, as the nightly job would, so the dashboard is live on first start.
            from feedback.services import feedback_recompute
            from leadrouter.tenancy.scoping import tenant_scope

            with tenant_scope(tenant):
                feedback_recompute(tenant_id=tenant.pk)
        if report.created:
            self.stdout.write(self.style.SUCCESS(
                f"Demo tenant '{tenant.slug}' created: {report.partners} partners, "
                f"{report.leads} leads."))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Demo tenant '{tenant.slug}' is ready ({report.partners} partners, "
                f"{report.leads} leads; nothing duplicated)."))
        if report.pending_offers_added and not report.created:
            self.stdout.write(f"  {report.pending_offers_added} fresh offers added for the "
                              "demo partner users.")
        if not quiet_logins:
            for email, role, partner in report.logins:
                suffix = f"  ({partner})" if partner else ""
                self.stdout.write(f"  {role:<8} {email}  password: {DEMO_PASSWORD}{suffix}")
        if report.api_key:
            self.stdout.write(f"API key '{DEMO_API_KEY_NAME}' (shown only now; store it):")
            self.stdout.write(f"  {report.api_key}")
        else:
            self.stdout.write(
                f"API key '{DEMO_API_KEY_NAME}' exists (its secret was shown when it was "
                f"created). For a new one: manage.py create_api_key --tenant {tenant.slug} "
                "--name 'Demo CRM 2'")
