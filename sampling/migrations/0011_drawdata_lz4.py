"""A draw's frozen documents (the pool, member ids, exclusions, inspectors, staffing, result: megabytes for a
province) are compressed with LZ4 rather than PostgreSQL's default pglz, where the server supports it.

pglz compressed a province's 14 MB of them at about 100 MB/s when the draw was saved, and decompressed them
at every read: the audit digests read them back, the ceremony reads the pool, and the trigger that refuses
changes to the frozen columns compares them (old and new) when the result is written. LZ4 does both several
times faster for about the same size on disk. Rows already stored keep their compression; the values are
unchanged either way.
"""

from django.db import migrations

COLUMNS = ("pool_json", "member_ids", "exclusions", "inspectors", "staffing", "result")


def _lz4_supported(cursor) -> bool:
    cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
    row = cursor.fetchone()
    return bool(row and row[0])


def _set_compression(schema_editor, method: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _lz4_supported(cursor):
            return
    for column in COLUMNS:
        schema_editor.execute(f"ALTER TABLE sampling_drawdata ALTER COLUMN {column} SET COMPRESSION {method}")


def use_lz4(apps, schema_editor):
    _set_compression(schema_editor, "lz4")


def use_default(apps, schema_editor):
    _set_compression(schema_editor, "DEFAULT")


class Migration(migrations.Migration):
    dependencies = [("sampling", "0010_drawchange_checks")]

    operations = [migrations.RunPython(use_lz4, use_default)]
