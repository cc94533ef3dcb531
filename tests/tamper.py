"""Changing rows as the schema owner could: behind the services, with the tables' own triggers disabled."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def triggers_disabled(*tables):
    """On PostgreSQL, disable the user triggers of ``tables`` for the block (the owner's privilege)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses while deferred checks are pending
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
