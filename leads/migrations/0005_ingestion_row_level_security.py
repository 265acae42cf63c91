from django.db import migrations

from leadrouter.tenancy.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_idempotency_records_and_import_jobs")]

    operations = [enable_rls("leads_idempotencyrecord", "leads_importjob")]
