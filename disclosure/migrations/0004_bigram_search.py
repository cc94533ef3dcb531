"""On PostgreSQL: a bigram column and index for public searches of exactly two characters.

pg_trgm cannot serve ``LIKE '%化工%'``: a two-character word has no trigram, so PostgreSQL either walks
``pub_recent`` until it has found a page (fast for common words, a scan of the whole table for rare
ones: 88 ms on 200,000 rows) or scans the table. ``name_bigrams`` (a stored generated column, kept by
PostgreSQL itself) is the set of the lower-cased name's two-character substrings: its GIN index finds the
rows holding a rare bigram directly (0.04 ms), its element statistics tell the planner a rare bigram from
a common one (for which walking ``pub_recent`` is quicker), and reading it costs nothing per row.
:meth:`disclosure.models.PublicationQuerySet.search` uses it for two-character searches on PostgreSQL.
SQLite has neither the column nor the index (the operations do nothing there); Django's model does not
know the column, so nothing else reads or writes it.
"""

from django.db import migrations

CREATE = [
    """
    CREATE OR REPLACE FUNCTION ssj_bigrams(name text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(lower(name), i, 2)), '{}')
        FROM generate_series(1, char_length(name) - 1) AS i
    $$
    """,
    """
    ALTER TABLE disclosure_publication
        ADD COLUMN IF NOT EXISTS name_bigrams text[] GENERATED ALWAYS AS (ssj_bigrams(enterprise_name)) STORED
    """,
    "CREATE INDEX IF NOT EXISTS pub_name_bigrams ON disclosure_publication USING gin (name_bigrams)",
    "ANALYZE disclosure_publication",
]
DROP = [
    "DROP INDEX IF EXISTS pub_name_bigrams",
    "ALTER TABLE disclosure_publication DROP COLUMN IF EXISTS name_bigrams",
    "DROP FUNCTION IF EXISTS ssj_bigrams(text)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0003_public_filter_indexes")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
