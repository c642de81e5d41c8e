"""Trigram index for case-insensitive substring search on space names (PostgreSQL only).

``name__icontains`` compiles to ``UPPER(name::text) LIKE UPPER('%…%')`` on PostgreSQL, which a
GIN index with ``gin_trgm_ops`` on ``UPPER(name)`` serves. SQLite has neither the extension
nor GIN, so there both operations do nothing and the filter scans the org's spaces (fine at
demo scale). The index is deliberately not declared on the model: declared there, Django
would also try to build it on SQLite. (Raw SQL rather than ``GinIndex(OpClass(...))``, which
needs ``django.contrib.postgres`` in INSTALLED_APPS to render the operator class.)
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "space_name_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON spaces_space "
            "USING gin ((UPPER(name)) gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("spaces", "0001_initial")]

    operations = [
        TrigramExtension(),  # a no-op on databases other than PostgreSQL
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
