from django.db import migrations

from leadrouter.tenancy.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("feedback", "0004_initial")]

    operations = [enable_rls("feedback_outcomeevent")]
