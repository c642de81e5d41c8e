from django.db import migrations, models

from adminapp.core.validation import name_key


def fill_keys(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    for org in Organization.objects.only("id", "name").iterator():
        Organization.objects.filter(id=org.id).update(name_key=name_key(org.name))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="name_key",
            field=models.CharField(default="", max_length=800),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="organization", name="org_name_unique_ci"),
        migrations.AddConstraint(
            model_name="organization",
            constraint=models.UniqueConstraint(fields=("name_key",), name="org_name_key_unique"),
        ),
    ]
