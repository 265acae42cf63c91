import secrets

from django.db import migrations, models

import leadrouter.tenancy.models


def fill_form_keys(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    for tenant in Tenant.objects.filter(form_key__isnull=True):
        tenant.form_key = secrets.token_urlsafe(12)
        tenant.save(update_fields=["form_key"])


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_row_level_security")]

    operations = [
        migrations.AddField("tenant", "locale", models.CharField(default="en", max_length=8)),
        migrations.AddField("tenant", "auto_create_terms", models.BooleanField(
            default=False, help_text="create unknown taxonomy codes instead of refusing them")),
        migrations.AddField("tenant", "duplicate_window_days",
                            models.PositiveIntegerField(default=30)),
        migrations.AddField("tenant", "form_key", models.CharField(max_length=32, null=True)),
        migrations.RunPython(fill_form_keys, migrations.RunPython.noop),
        migrations.AlterField("tenant", "form_key", models.CharField(
            default=leadrouter.tenancy.models._new_form_key, max_length=32, unique=True)),
    ]
