from django.db import migrations

from leadrouter.tenancy.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("feedback", "0006_partner_stats_tiers_rules")]

    operations = [enable_rls("feedback_tenantfeedbacksettings", "feedback_partnerstats",
                             "feedback_partnertier", "feedback_tierchange",
                             "feedback_ruleaction")]
