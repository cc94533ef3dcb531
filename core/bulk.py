"""Fast bulk writes of many rows: draws (entries, inspection tasks, team members), registry imports, audit entries.

On PostgreSQL rows go in with ``COPY … FROM STDIN`` from plain tuples, and ids, when the caller needs
them, are taken from the table's sequence beforehand; updates go through a temporary table joined by an
``UPDATE … FROM``. A province draw's ~90,000 rows or a 50,000-row import take a second or two, where
``bulk_create``/``bulk_update`` spend tens of seconds building model instances and SQL. Elsewhere
(SQLite) the ORM's ``bulk_create``/``bulk_update`` in batches. Both paths write the same values.

An insert must give every concrete column but the primary key (:func:`columns` lists them), so a field
added to a model later cannot be silently left empty.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

BATCH = 2000


def columns(model) -> tuple[str, ...]:
    """The attribute names (``bureau_id``…) an insert into ``model`` must give: every concrete field but the key."""
    return tuple(f.attname for f in model._meta.concrete_fields if not f.primary_key)


def _check_fields(model, fields: Sequence[str]) -> None:
    expected = set(columns(model))
    given = set(fields)
    if given != expected:
        raise ValueError(
            f"{model.__name__}: rows must give exactly {sorted(expected)}; "
            f"missing {sorted(expected - given)}, unknown {sorted(given - expected)}"
        )


def _fields_by_attname(model, names: Iterable[str]) -> list[models.Field]:
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return [by_attname[name] for name in names]


def _use_copy() -> bool:
    return connection.vendor == "postgresql"


def insert(model, fields: Sequence[str], rows: list[tuple]) -> None:
    """Insert ``rows``, tuples of the values of ``fields`` (attribute names, e.g. ``draw_id``)."""
    _check_fields(model, fields)
    if not rows:
        return
    if _use_copy():
        _copy(model, _fields_by_attname(model, fields), rows)
    else:
        model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=BATCH)


def insert_returning_ids(model, fields: Sequence[str], rows: list[tuple]) -> list[int]:
    """:func:`insert`, returning the new rows' ids in the order of ``rows``."""
    _check_fields(model, fields)
    if not rows:
        return []
    if not _use_copy():
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=BATCH)
        return [obj.pk for obj in objects]
    pk = model._meta.pk
    with connection.cursor() as cursor:
        # The sequence is looked up once: ``nextval(pg_get_serial_sequence(…))`` in the select list looked it up
        # for every row (a province approval's 13,354 ids took 130 ms that way, 20 ms this way).
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, pk.column])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, len(rows)])
        ids = [row[0] for row in cursor.fetchall()]
    _copy(
        model,
        [pk, *_fields_by_attname(model, fields)],
        [(pk_value, *row) for pk_value, row in zip(ids, rows, strict=True)],
    )
    return ids


def insert_large(model, values: dict) -> None:
    """Insert one row whose values run to megabytes (a draw's frozen pool), ``values`` by attribute name.

    On PostgreSQL the values travel as parameters bound by the server: Django's cursors bind on the client,
    quoting the megabytes into the text of the statement, which the server then parses (a province pool's
    14 MB took 250 ms of this process and 200 ms of the server that way, 30 and 50 ms this way).
    """
    if not _use_copy():
        model.objects.create(**values)
        return
    fields = _fields_by_attname(model, values)
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    _execute_bound(
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({', '.join(['%s'] * len(fields))})",  # noqa: S608 - quoted identifiers
        [f.get_db_prep_save(value, connection) for f, value in zip(fields, values.values(), strict=True)],
    )


def update_large(model, pk, values: dict) -> None:
    """Write ``values`` (by attribute name) to the row ``pk`` of ``model``, bound by the server as
    :func:`insert_large` (a province draw's result is 4 MB)."""
    if not _use_copy():
        model._base_manager.filter(pk=pk).update(**values)
        return
    fields = _fields_by_attname(model, values)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    _execute_bound(
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s",  # noqa: S608
        [*(f.get_db_prep_save(value, connection) for f, value in zip(fields, values.values(), strict=True)), pk],
    )


def _execute_bound(sql: str, params: list) -> None:
    import psycopg  # noqa: PLC0415 - PostgreSQL only

    connection.ensure_connection()
    # Errors as Django's (IntegrityError…), as the ORM would raise them.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)


def update_rows(model, objects: list, names: Iterable[str]) -> None:
    """Write the fields ``names`` (names or attribute names) of the instances ``objects``, matched by key."""
    if not objects:
        return
    wanted = set(names)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and (f.attname in wanted or f.name in wanted)]
    if not _use_copy():
        model.objects.bulk_update(objects, [f.name for f in fields], batch_size=BATCH // 2)
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    temp = quote(f"ssj_update_{uuid.uuid4().hex[:12]}")
    pk = quote(model._meta.pk.column)
    quoted = [quote(f.column) for f in fields]
    selected = ", ".join([pk, *quoted])
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {selected} FROM {table} WITH NO DATA"  # noqa: S608 - quoted identifiers
        )
        values = ([obj.pk, *(getattr(obj, f.attname) for f in fields)] for obj in objects)
        _copy_into(cursor, temp, [model._meta.pk, *fields], values)
        assignments = ", ".join(f"{column} = t.{column}" for column in quoted)
        cursor.execute(f"UPDATE {table} AS e SET {assignments} FROM {temp} AS t WHERE e.{pk} = t.{pk}")  # noqa: S608
        cursor.execute(f"DROP TABLE {temp}")


def _copy(model, fields: Sequence[models.Field], rows) -> None:
    with connection.cursor() as cursor:
        _copy_into(cursor, connection.ops.quote_name(model._meta.db_table), fields, rows)


def _copy_into(cursor, table: str, fields: Sequence[models.Field], rows) -> None:
    """COPY ``rows`` (values of ``fields``, in order) into ``table``; JSON fields go in as JSON text."""
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    as_json = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            values = row
            if as_json:
                values = list(row)
                for i in as_json:
                    values[i] = json.dumps(values[i], cls=DjangoJSONEncoder, ensure_ascii=False)
            copy.write_row(values)
