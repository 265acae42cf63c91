"""Offers: the sweep's due offers by a partial index (tenant, expires_at) WHERE pending
instead of (status, expires_at); the tenant FK loses its own index (every tenant-scoped query
has an index that begins with the tenant). Each new offer writes one index entry less, each
expiry two (docs/benchmarks.md, Dispatch)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0005_ingestion_row_level_security'),
        ('matching', '0009_offer_inbox_index'),
        ('partners', '0004_partner_change_request'),
        ('tenancy', '0005_user_language_preference'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='offer',
            name='matching_of_status_6c948f_idx',
        ),
        migrations.AlterField(
            model_name='offer',
            name='tenant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant'),
        ),
        migrations.AddIndex(
            model_name='offer',
            index=models.Index(condition=models.Q(('status', 'pending')), fields=['tenant', 'expires_at'], name='offer_pending_due'),
        ),
    ]
