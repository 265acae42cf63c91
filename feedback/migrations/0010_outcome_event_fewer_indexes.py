"""Outcome events: no FK constraint to the tenant and the offer, no index on offer_id, on
tenant_id alone or on (tenant, lead, occurred_at) (the lead's events use lead_id's index):
three index entries and two foreign-key checks less per event (see OutcomeEvent)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0009_outcome_rollup'),
        ('matching', '0010_offer_pending_due_index'),
        ('tenancy', '0005_user_language_preference'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='outcomeevent',
            name='feedback_ou_tenant__af488d_idx',
        ),
        migrations.AlterField(
            model_name='outcomeevent',
            name='offer',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='matching.offer'),
        ),
        migrations.AlterField(
            model_name='outcomeevent',
            name='tenant',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant'),
        ),
    ]
