from django.db import migrations

from leadrouter.tenancy.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("matching", "0002_initial")]

    operations = [enable_rls("matching_routingpolicy", "matching_routingdecision", "matching_offer")]
