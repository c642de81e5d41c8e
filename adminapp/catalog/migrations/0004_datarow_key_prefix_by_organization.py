"""The key-prefix index leads with the organization (PostgreSQL only).

0002 built it on ``(dataset_id, LOWER(global_key) text_pattern_ops)``. An equality probe by
key — what every global key job does per item — can be served by it too, but only by
scanning the whole index (the key is its second column), and with statistics taken while
few rows had keys PostgreSQL picked it over the unique index: a job then read every keyed
row once per item. Led by ``organization_id`` like the unique index, either index answers a
probe in one descent; the rows list's prefix filter names the organization as well.
"""

from django.db import migrations

INDEX = "datarow_key_prefix"


def by_organization(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON catalog_datarow "
            "(organization_id, (LOWER(global_key)) text_pattern_ops) WHERE global_key IS NOT NULL"
        )


def by_dataset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON catalog_datarow "
            "(dataset_id, (LOWER(global_key)) text_pattern_ops) WHERE global_key IS NOT NULL"
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_datarow_org_space_without_fk_constraint")]

    operations = [migrations.RunPython(by_organization, by_dataset, elidable=False)]
