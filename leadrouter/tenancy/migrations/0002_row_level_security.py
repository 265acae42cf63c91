from django.db import migrations

from leadrouter.tenancy.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [enable_rls("tenancy_membership", "tenancy_apikey", "tenancy_auditevent")]
