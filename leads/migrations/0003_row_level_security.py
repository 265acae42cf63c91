from django.db import migrations

from leadrouter.tenancy.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_initial")]

    operations = [enable_rls("leads_lead")]
