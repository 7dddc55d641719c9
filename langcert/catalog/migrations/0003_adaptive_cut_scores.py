from django.db import migrations


def load(apps, schema_editor):
    from langcert.catalog.loading import load_reference_catalogue

    load_reference_catalogue(
        apps.get_model("catalog", "Language"),
        apps.get_model("catalog", "Exam"),
        apps.get_model("catalog", "JobLevelBand"),
        apps.get_model("catalog", "JobRole"),
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_reference_catalogue")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
