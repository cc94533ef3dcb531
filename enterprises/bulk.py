"""Fast bulk writes of registry rows for the spreadsheet import.

On PostgreSQL, rows go in with ``COPY … FROM STDIN`` (inserts) and through a temporary table joined by
an ``UPDATE … FROM`` (updates): 50,000 rows in a few seconds, where ``bulk_create``/``bulk_update`` take
tens of seconds. Elsewhere (SQLite), the ORM's ``bulk_create``/``bulk_update`` in batches. Both paths
write the same values: the model's concrete fields by attribute name, so a new model field is picked up
without touching this module (its default must be a plain value).
"""

import json
import uuid
from operator import itemgetter

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

BATCH = 2000


def _concrete(model, names=None):
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if names is not None:
        wanted = set(names)
        fields = [f for f in fields if f.attname in wanted or f.name in wanted]
    return fields


def _use_copy() -> bool:
    return connection.vendor == "postgresql"


def insert_rows(model, rows: list[dict]) -> None:
    """Insert ``rows`` (attribute name → value, every concrete field present)."""
    if not rows:
        return
    fields = _concrete(model)
    if not _use_copy():
        model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    attnames = [f.attname for f in fields]
    as_json = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    pick = itemgetter(*attnames) if len(attnames) > 1 else (lambda row: (row[attnames[0]],))
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = pick(row)
            if as_json:
                values = list(values)
                for i in as_json:
                    values[i] = json.dumps(values[i], cls=DjangoJSONEncoder, ensure_ascii=False)
            copy.write_row(values)


def update_rows(model, objects: list, names) -> None:
    """Write the fields ``names`` of the model instances ``objects`` (matched by primary key)."""
    if not objects:
        return
    fields = _concrete(model, names)
    if not _use_copy():
        model.objects.bulk_update(objects, [f.name for f in fields], batch_size=BATCH // 2)
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    temp = quote(f"ssj_update_{uuid.uuid4().hex[:12]}")
    pk = quote(model._meta.pk.column)
    columns = [quote(f.column) for f in fields]
    with connection.cursor() as cursor:
        selected = ", ".join([pk, *columns])
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {selected} FROM {table} WITH NO DATA"  # noqa: S608 - quoted identifiers
        )
        with cursor.copy(f"COPY {temp} ({selected}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row([obj.pk, *(getattr(obj, f.attname) for f in fields)])
        assignments = ", ".join(f"{column} = t.{column}" for column in columns)
        cursor.execute(f"UPDATE {table} AS e SET {assignments} FROM {temp} AS t WHERE e.{pk} = t.{pk}")  # noqa: S608
        cursor.execute(f"DROP TABLE {temp}")
