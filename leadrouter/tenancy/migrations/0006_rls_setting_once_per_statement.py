"""Row-level security: every tenant policy reads `app.tenant_id` once per statement and
compares it as a number (leadrouter/tenancy/rls.py says why)."""

from django.db import migrations

from leadrouter.tenancy.rls import CONDITION, rewrite_policies


class Migration(migrations.Migration):

    dependencies = [
        ("tenancy", "0005_user_language_preference"),
        # after every migration that gave a table its policy, so all of them are rewritten
        ("feedback", "0010_outcome_event_fewer_indexes"),
        ("matching", "0010_offer_pending_due_index"),
        ("leads", "0005_ingestion_row_level_security"),
        ("partners", "0004_partner_change_request"),
    ]

    operations = [rewrite_policies(CONDITION)]
