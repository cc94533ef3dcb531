"""The check the psycopg pool runs on a connection before handing it out, without a round trip when healthy.

Django's pool with ``CONN_HEALTH_CHECKS`` checks every connection it hands out with psycopg's
``ConnectionPool.check_connection``: an empty query, so one more round trip with PostgreSQL on every
request that reads the database (under load, a seventh of a public page's time in Django: ``bench/
bench_load.py --timing``). A connection resting in the pool receives nothing unless the server ended it —
a restart, an administrator's ``pg_terminate_backend``, ``idle_session_timeout``: PostgreSQL then sends its
error and closes the socket. So :func:`check_connection` asks the operating system whether the socket has
anything to read (no round trip), and only then runs the empty query, which raises for a connection the
server ended: the pool discards it and hands out another before any view sees it
(``tests/faults/test_postgres_restart.py``). A connection whose peer vanished without a word (a host
powered off) is found by neither check before its query times out.

Django creates the pool with psycopg's check and offers no setting for another, so :func:`use_quick_check`
(``connection_created``, connected by ``CoreConfig.ready``) puts this one in its place at the pool's first
connection; ``CONN_HEALTH_CHECKS`` stays on, and without it the pool has no check to replace.
"""

import select

from psycopg_pool import ConnectionPool


def check_connection(conn) -> None:
    """Raise if ``conn`` is no longer usable (the pool's ``check`` callback: the pool then discards ``conn``)."""
    if conn.closed:
        raise ConnectionError("the connection is closed")
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    if poller.poll(0):  # the server said something while the connection rested: an error, or the end
        ConnectionPool.check_connection(conn)


def use_quick_check(sender, connection, **kwargs) -> None:
    pool = getattr(connection, "pool", None) if connection.vendor == "postgresql" else None
    if pool is not None and getattr(pool, "_check", None) is ConnectionPool.check_connection:
        pool._check = check_connection  # psycopg_pool keeps its check here (tests/core/test_db_pool.py)
