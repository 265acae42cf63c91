from django.db import migrations

from leadrouter.tenancy.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_initial")]

    operations = [enable_rls("partners_taxonomyterm", "partners_partner", "partners_partnerterritory", "partners_partnerindustry", "partners_partnercompetency", "partners_partnercertification", "partners_partnerproduct")]
