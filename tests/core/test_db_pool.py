"""The pool's check of a connection it hands out (core/db_pool.py): no round trip unless the server spoke."""

import os
import socket

import psycopg
import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

from core import db_pool


class Resting:
    """What the check reads of a psycopg connection: ``closed`` and the socket's ``fileno()``."""

    def __init__(self, sock, closed=False):
        self.sock, self.closed = sock, closed

    def fileno(self):
        return self.sock.fileno()


@pytest.fixture
def full_checks(monkeypatch):
    calls = []

    def full_check(conn):
        calls.append(conn)
        raise psycopg.OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(full_check))
    return calls


def test_a_quiet_connection_is_handed_out_without_a_query(full_checks):
    ours, server = socket.socketpair()
    with ours, server:
        db_pool.check_connection(Resting(ours))
    assert full_checks == []


def test_a_connection_the_server_spoke_on_is_checked_with_a_query(full_checks):
    ours, server = socket.socketpair()
    with ours, server:
        server.sendall(b"E")  # PostgreSQL's error message as it ends a session
        conn = Resting(ours)
        with pytest.raises(psycopg.OperationalError, match="administrator command"):
            db_pool.check_connection(conn)
    assert full_checks == [conn]


def test_a_connection_the_server_closed_is_checked_with_a_query(full_checks):
    ours, server = socket.socketpair()
    with ours:
        server.close()  # the end of the stream is readable too
        conn = Resting(ours)
        with pytest.raises(psycopg.OperationalError):
            db_pool.check_connection(conn)
    assert full_checks == [conn]


def test_a_closed_connection_is_refused(full_checks):
    ours, server = socket.socketpair()
    with ours, server, pytest.raises(ConnectionError):
        db_pool.check_connection(Resting(ours, closed=True))
    assert full_checks == []


postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL (DATABASE_URL)"
)


@postgresql
@pytest.mark.django_db(transaction=True)
def test_the_pool_checks_with_the_quick_check_and_replaces_a_terminated_connection():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        first = cursor.fetchone()[0]
    assert connection.pool._check is db_pool.check_connection
    connection.close()  # back to the pool, where the administrator ends it
    with psycopg.connect(**_params(), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [first]).fetchone() == (True,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        second = cursor.fetchone()[0]
    assert second != first


def _params() -> dict:
    params = connection.get_connection_params()
    for name in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(name, None)
    return params
