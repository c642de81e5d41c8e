"""An index for the data rows' key prefix filter (PostgreSQL only).

``LOWER(global_key) LIKE 'abc%'`` can use a btree only with ``text_pattern_ops`` when the
database's collation is not "C"; the unique index of 0001 serves exact lookups. SQLite has no
operator classes, so there this does nothing and the filter walks the dataset's keyed rows.
Not declared on the model for the same reason as the spaces' trigram index.

It also drops the ``varchar_pattern_ops`` copy of the primary key Django builds for every
string primary key on PostgreSQL: nothing searches row ids by prefix, and each index is paid
for on millions of inserts.
"""

from django.db import migrations

INDEX = "datarow_key_prefix"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_datarow "
            "(dataset_id, (LOWER(global_key)) text_pattern_ops) WHERE global_key IS NOT NULL"
        )
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_datarow' "
                "AND indexname LIKE 'catalog_datarow_id_%%_like'"
            )
            for (name,) in cursor.fetchall():
                schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
