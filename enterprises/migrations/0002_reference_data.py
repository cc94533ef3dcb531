from django.db import migrations


def load(apps, schema_editor):
    from enterprises.reference import load_reference_data

    load_reference_data(apps.get_model("enterprises", "Division"), apps.get_model("enterprises", "Industry"))


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
