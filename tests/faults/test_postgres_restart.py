"""PostgreSQL restarted under a running server: the next request succeeds (CONN_HEALTH_CHECKS + pool)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("SSJ_REQUIRE_SERVICES") and not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:  # loopback only
        return response.status


def start_server(port: int) -> subprocess.Popen:
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            assert get(url) == 200
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_next_request_after_database_connections_are_dropped_succeeds():
    db = connection.settings_dict
    port = free_port()
    server = start_server(port)
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        wait_until_up(url)
        # What a restart looks like to the server: every connection to the database is cut
        # (all but this test's own).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            own_pid = cursor.fetchone()[0]
        admin = psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True)
        with admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid() AND pid <> %s",
                [db["NAME"], own_pid],
            ).fetchone()[0]
        assert killed >= 1
        assert get(url) == 200
        assert get(url) == 200
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.skipif(
    not os.environ.get("SSJ_FAULT_RESTART_POSTGRES"),
    reason="restarts the PostgreSQL server itself: only where nothing else uses it (CI sets SSJ_FAULT_RESTART_POSTGRES=1)",
)
def test_next_request_after_a_real_postgres_restart_succeeds():
    version = sorted(os.listdir("/etc/postgresql"))[0]
    cluster = os.environ.get("SSJ_PG_CLUSTER", "main")
    port = free_port()
    server = start_server(port)
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        wait_until_up(url)
        connection.close()
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"], check=True, timeout=60
        )
        subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", str(connection.settings_dict["PORT"] or 5432), "-t", "30"],
            check=True,
            timeout=40,
        )
        assert get(url) == 200  # the first request after the restart, on the server's stale connection
        assert get(url) == 200
    finally:
        server.terminate()
        server.wait(10)
        connection.close()  # this test's own connection died with the server: the teardown reconnects
