#!/usr/bin/env python3
"""Benchmark: 30 staff logging in at the same moment, beside 30 bare GETs of /healthz in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ssj_bench_login \\
        .venv/bin/python bench/bench_login.py [--users 30] [--rounds 3] [--workers 4] [--threads 2] [--port 8119]

Migrates the database, creates (or resets) ``--users`` accounts ``bench-login-NN`` with a PBKDF2 hash, as
accounts made before Argon2id came first, and starts gunicorn as deployed (docs/deployment.md: 4 workers ×
2 threads, ``SSJ_ENV=production``, a random SECRET_KEY, plain http on loopback with the
``X-Forwarded-Proto: https`` header nginx sets). Each client first GETs /login/ (its CSRF cookie and token);
then all of them POST the login form at once (a barrier releases the threads together). Round 1 is the first
login after the upgrade: PBKDF2 verified, then rehashed with Argon2id and saved. The later rounds log in
with those Argon2id hashes. Before each round of logins, and after the last, the same number of clients GET
/healthz at once. It prints p50/p95/max of each, and whether the target holds: 30 logins at once with a
p95 ≤ 3 s (issue 19).
"""

import argparse
import http.client
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if not os.environ.get("DATABASE_URL"):
    sys.exit("DATABASE_URL is required (a PostgreSQL database of its own, e.g. ssj_bench_login)")

import django  # noqa: E402 - after the environment above

django.setup()

from axes.models import AccessAttempt  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402

PASSWORD = "bench-login-horse-battery"
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def prepare_users(count: int) -> list[str]:
    """``count`` active accounts with a PBKDF2 hash of PASSWORD (created or reset)."""
    pbkdf2 = make_password(PASSWORD, hasher="pbkdf2_sha256")
    names = [f"bench-login-{i:02d}" for i in range(1, count + 1)]
    user_model = get_user_model()
    for name in names:
        user_model.objects.update_or_create(username=name, defaults={"password": pbkdf2, "is_active": True})
    AccessAttempt.objects.filter(username__in=names).delete()
    return names


def server_env(args, static_root: Path) -> dict:
    env = dict(os.environ)
    env.update(
        SSJ_ENV="production",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=args.host,
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
    )
    return env


def request(args, method: str, path: str, *, body: bytes = b"", headers=None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(args.host, args.port, timeout=120)
    try:
        all_headers = {"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans", **(headers or {})}
        connection.request(method, path, body=body or None, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def start_server(args, env: dict, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "config.wsgi:application", "--bind", f"{args.host}:{args.port}"]
    command += ["--workers", str(args.workers), "--threads", str(args.threads), "--timeout", "120"]
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if request(args, "GET", "/healthz")[0] == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {log}")
        time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz within 30 s")


def login_form(args) -> tuple[str, str]:
    """(csrftoken cookie, form token) of a fresh GET /login/."""
    status, headers, body = request(args, "GET", "/login/")
    assert status == 200, status
    cookie = next(
        value.split(";", 1)[0].split("=", 1)[1]
        for name, value in headers
        if name.lower() == "set-cookie" and value.startswith("csrftoken=")
    )
    return cookie, CSRF_TOKEN.search(body).group(1).decode()


def at_once(count: int, work) -> list[float]:
    """Run ``work(i)`` in ``count`` threads released together; the seconds each took."""
    barrier = threading.Barrier(count)
    times = [0.0] * count
    failures = []

    def run(i):
        barrier.wait()
        start = time.perf_counter()
        try:
            work(i)
        except Exception as exc:  # reported below, the run goes on
            failures.append(f"{i}: {exc!r}")
        times[i] = time.perf_counter() - start

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        print("   failures:", *failures[:5], sep="\n   ")
    return times


def logins(args, names: list[str]) -> list[float]:
    forms = [login_form(args) for _ in names]
    origin = f"https://{args.host}:{args.port}"

    def post(i):
        cookie, token = forms[i]
        body = urlencode({"username": names[i], "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Origin": origin,
            "Referer": f"{origin}/login/",
        }
        status, response_headers, _ = request(args, "POST", "/login/", body=body, headers=headers)
        location = {k.lower(): v for k, v in response_headers}.get("location", "")
        if status != 302 or "login" in location:
            raise RuntimeError(f"login of {names[i]} answered {status} → {location!r}")

    return at_once(len(names), post)


def healthz(args, count: int) -> list[float]:
    def get(i):
        status = request(args, "GET", "/healthz")[0]
        if status != 200:
            raise RuntimeError(f"/healthz answered {status}")

    return at_once(count, get)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def show(label: str, times: list[float]) -> None:
    p50, p95 = statistics.median(times), percentile(times, 0.95)
    print(
        f"   {label:<46} n={len(times):3d}  p50 {p50 * 1000:7.0f} ms  p95 {p95 * 1000:7.0f} ms  "
        f"max {max(times) * 1000:7.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8119)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    names = prepare_users(args.users)
    with tempfile.TemporaryDirectory(prefix="bench-login-") as tmp:
        env = server_env(args, Path(tmp) / "static")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity=0"], env=env, cwd=ROOT, check=True
        )
        print(
            f"gunicorn {args.workers} workers × {args.threads} threads, "
            f"{os.cpu_count()} CPUs (shared), {args.users} users"
        )
        server = start_server(args, env, Path(tmp) / "gunicorn.log")
        try:
            all_logins, all_bare = [], []
            for round_no in range(1, args.rounds + 1):
                bare = healthz(args, args.users)
                kind = "PBKDF2 → Argon2id" if round_no == 1 else "Argon2id"
                times = logins(args, names)
                print(f"round {round_no}:")
                show(f"GET /healthz ×{args.users} at once", bare)
                show(f"POST /login/ ×{args.users} at once ({kind})", times)
                all_bare += bare
                all_logins += times if round_no > 1 else []
            all_bare += healthz(args, args.users)
            print("all rounds:")
            show("GET /healthz", all_bare)
            if all_logins:
                show("POST /login/ (Argon2id rounds)", all_logins)
                p95 = percentile(all_logins, 0.95)
                print(f"target: logins p95 ≤ 3000 ms: {'met' if p95 <= 3 else 'MISSED'} ({p95 * 1000:.0f} ms)")
            upgraded = get_user_model().objects.filter(username__in=names, password__startswith="argon2$").count()
            print(f"hashes upgraded to Argon2id: {upgraded}/{len(names)}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
