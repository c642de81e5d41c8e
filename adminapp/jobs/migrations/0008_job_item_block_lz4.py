"""Packed outcomes compressed with LZ4 on PostgreSQL.

A block's ``items`` (a thousand outcomes, ~100 KB of JSON text) is compressed as it is
stored; PostgreSQL's default, pglz, spent ~0.7 s per million outcomes doing it (issue 9's
bench), LZ4 ~0.1 s, for blocks ~30% larger. A server built without LZ4 keeps pglz; SQLite
stores the text as it is.
"""

from django.db import migrations, transaction
from django.db.utils import DatabaseError


def _compression(method: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute(
                    f"ALTER TABLE jobs_jobitemblock ALTER COLUMN items SET COMPRESSION {method}"
                )
        except DatabaseError:  # built without LZ4: the default stands
            pass

    return run


class Migration(migrations.Migration):
    dependencies = [("jobs", "0007_job_item_block")]

    operations = [migrations.RunPython(_compression("lz4"), _compression("pglz"))]
