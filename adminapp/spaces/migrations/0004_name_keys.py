"""Names compared by their key (NFKC + casefold), the same on PostgreSQL and SQLite: a
``name_key`` column on spaces and custom roles, unique where the lower-cased name was, and
the trigram index that serves name search moved from ``UPPER(name)`` to it."""

from django.db import migrations, models
from django.db.models import Q

from adminapp.core.validation import name_key

OLD_INDEX = "space_name_trgm"
INDEX = "space_name_key_trgm"


def fill_keys(apps, schema_editor):
    for model in ("Space", "SpaceRole"):
        Model = apps.get_model("spaces", model)
        for row in Model.objects.only("id", "name").iterator():
            Model.objects.filter(id=row.id).update(name_key=name_key(row.name))


def swap_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON spaces_space USING gin (name_key gin_trgm_ops)"
        )


def swap_index_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON spaces_space "
            "USING gin ((UPPER(name)) gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("spaces", "0003_membership_role_restrict")]

    operations = [
        migrations.AddField(
            model_name="space",
            name="name_key",
            field=models.CharField(default="", max_length=800),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="spacerole",
            name="name_key",
            field=models.CharField(default="", max_length=800),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="space", name="space_name_unique_ci"),
        migrations.RemoveConstraint(model_name="spacerole", name="space_role_name_unique_ci"),
        migrations.AddConstraint(
            model_name="space",
            constraint=models.UniqueConstraint(
                condition=Q(deleted_at__isnull=True),
                fields=("organization", "name_key"),
                name="space_name_key_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="spacerole",
            constraint=models.UniqueConstraint(
                fields=("organization", "name_key"), name="space_role_name_key_unique"
            ),
        ),
        migrations.RunPython(swap_index, swap_index_back, elidable=False),
    ]
