"""On PostgreSQL: a trigram index for the public search by a part of an enterprise's name.

``LIKE '%…%'`` cannot use a B-tree; pg_trgm's GIN index serves it for search words of three
characters or more (Chinese characters count as letters under a UTF-8 locale). SQLite has no such
index type: there the operations do nothing, and the search stays a scan of one narrow table.
``pg_trgm`` is a trusted extension (PostgreSQL ≥ 13): the database owner may create it.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS pub_name_trgm ON disclosure_publication USING gin (enterprise_name gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS pub_name_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
