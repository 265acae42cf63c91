from django.db import migrations

from leadrouter.tenancy.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("matching", "0004_webhooks")]

    operations = [enable_rls("matching_webhook", "matching_webhookdelivery")]
