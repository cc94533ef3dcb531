"""The restore drill of docs/deployment.md §6, run for real: pg_dump the database, restore it into a new one,
verify the audit chain there and replay a draw from the restored data with the standard-library verifier."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from sampling.enums import DrawStatus
from sampling.models import Draw

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("SSJ_REQUIRE_SERVICES") and not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]


def run(*args, env=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=300, **kwargs)


def test_a_backup_restores_verifies_its_audit_chain_and_replays_a_draw(tmp_path, settings):
    assert shutil.which("pg_dump") and shutil.which("pg_restore")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", enterprises=300, inspectors=12)
    draw = Draw.objects.filter(status=DrawStatus.APPROVED).order_by("pk").first()
    assert draw is not None

    db = connection.settings_dict
    server = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    dump = tmp_path / "ssj.dump"
    restored = f"{db['NAME']}_restore"
    run("pg_dump", *server, "-Fc", "-d", db["NAME"], "-f", str(dump))
    run("dropdb", *server, "--if-exists", restored)
    run("createdb", *server, restored)
    try:
        run("pg_restore", *server, "-d", restored, "--no-owner", str(dump))
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{restored}"
        manage = [sys.executable, "manage.py"]
        run(*manage, "migrate", "--check", env=env)
        audit = run(*manage, "verify_audit", env=env)
        assert "intact" in audit.stdout + audit.stderr

        record = run(*manage, "draw_record", draw.number, env=env).stdout
        (tmp_path / "record.json").write_text(record, encoding="utf-8")
        replay = run(sys.executable, "-m", "sampling.verify", str(tmp_path / "record.json")).stdout
        stored = run(*manage, "draw_record", draw.number, "--result", env=env).stdout
        assert json.loads(replay) == json.loads(stored)
        assert draw.number in record and len(replay) > 100
    finally:
        run("dropdb", *server, "--if-exists", restored)
