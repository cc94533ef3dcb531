"""Fast inserts of the many rows a large draw writes (entries, inspection tasks, team members, items).

On PostgreSQL rows go in with ``COPY … FROM STDIN`` from plain tuples, and ids, when the caller needs
them, are taken from the table's sequence beforehand: a province draw's ~90,000 rows in well under a
second, where ``bulk_create`` spends seconds building model instances and SQL. Elsewhere (SQLite) the
ORM's ``bulk_create``. Both paths write the same values; every concrete column must be given, so a
field added to a model later cannot be silently left empty.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

BATCH = 2000


def _check_fields(model, fields: Sequence[str]) -> None:
    expected = {f.attname for f in model._meta.concrete_fields if not f.primary_key}
    given = set(fields)
    if given != expected:
        raise ValueError(
            f"{model.__name__}: rows must give exactly {sorted(expected)}; "
            f"missing {sorted(expected - given)}, unknown {sorted(given - expected)}"
        )


def _attname_columns(model, fields: Sequence[str]) -> list[str]:
    return [next(f.column for f in model._meta.concrete_fields if f.attname == name) for name in fields]


def insert(model, fields: Sequence[str], rows: list[tuple]) -> None:
    """Insert ``rows``, tuples of the values of ``fields`` (attribute names, e.g. ``draw_id``)."""
    _check_fields(model, fields)
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy_columns(model, _attname_columns(model, fields), rows)
    else:
        model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=BATCH)


def insert_returning_ids(model, fields: Sequence[str], rows: list[tuple]) -> list[int]:
    """:func:`insert`, returning the new rows' ids in the order of ``rows``."""
    _check_fields(model, fields)
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=BATCH)
        return [obj.pk for obj in objects]
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, len(rows)]
        )
        ids = [row[0] for row in cursor.fetchall()]
    _copy_columns(
        model,
        [pk, *_attname_columns(model, fields)],
        [(pk_value, *row) for pk_value, row in zip(ids, rows, strict=True)],
    )
    return ids


def _copy_columns(model, columns: Sequence[str], rows) -> None:
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
