from django.db import migrations


def load(apps, schema_editor):
    """Reload the shipped reference data: every GB/T 4754-2017 section and division was added."""
    from enterprises.reference import load_reference_data

    load_reference_data(apps.get_model("enterprises", "Division"), apps.get_model("enterprises", "Industry"))


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0003_tier_criteria_and_imports")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
