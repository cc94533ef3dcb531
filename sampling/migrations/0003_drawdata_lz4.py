"""On PostgreSQL, compress the draw's large text columns with lz4 where the server has it.

A province draw writes about 15 MB of JSON text here; pglz, the default, spends a second compressing it,
lz4 a fraction of that. Nothing changes elsewhere or on a server built without lz4.
"""

from django.db import migrations

COLUMNS = ("pool_json", "member_ids", "exclusions", "inspectors", "staffing", "result")


def _set_compression(schema_editor, method: str) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'", [method]
        )
        row = cursor.fetchone()
        if not (row and row[0]):
            return
        changes = ", ".join(f"ALTER COLUMN {schema_editor.quote_name(c)} SET COMPRESSION {method}" for c in COLUMNS)
        cursor.execute(f"ALTER TABLE sampling_drawdata {changes}")


def forwards(apps, schema_editor):
    _set_compression(schema_editor, "lz4")


def backwards(apps, schema_editor):
    _set_compression(schema_editor, "pglz")


class Migration(migrations.Migration):
    dependencies = [("sampling", "0002_drawdata_json_as_text")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
