#!/usr/bin/env python3
"""One-command developer entry point (standard library only).

    python3 dev.py up      # create .venv, install, migrate, load demo data, serve on 127.0.0.1:8000
    python3 dev.py test    # the whole test suite (extra arguments go to pytest)
    python3 dev.py setup   # only create/refresh .venv (used by CI)
    python3 dev.py messages [APP ...]  # update and compile the zh_Hans translations
    python3 dev.py mutation [--all | MODULE ...]  # mutation testing of the core (docs/mutation-testing.md)

Without DATABASE_URL / REDIS_URL everything runs embedded: SQLite in var/, jobs inline, no Redis.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".requirements.sha256"
REQUIREMENTS = [ROOT / "requirements.txt", ROOT / "requirements-dev.txt"]


def run(*args: str, **kwargs) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True, **kwargs)


def ensure_env() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11 or newer is required")
    if not PY.exists():
        print("creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in REQUIREMENTS)).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        run(str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(str(PY), "-m", "pip", "install", "--quiet", "-r", str(ROOT / "requirements-dev.txt"))
        STAMP.write_text(digest)
    (ROOT / "var" / "static").mkdir(parents=True, exist_ok=True)


def up(args: list[str]) -> None:
    ensure_env()
    run(str(PY), "manage.py", "migrate", "--no-input")
    run(str(PY), "manage.py", "seed_demo")
    addr = args[0] if args else "127.0.0.1:8000"
    print(f"\nServing on http://{addr}/  (demo accounts: see README.md)\n", flush=True)
    run(str(PY), "manage.py", "runserver", addr)


def test(args: list[str]) -> None:
    ensure_env()
    result = subprocess.run([str(PY), "-m", "pytest", *args], cwd=ROOT, check=False)
    sys.exit(result.returncode)


def mutation(args: list[str]) -> None:
    ensure_env()
    result = subprocess.run([str(PY), "-m", "tests.mutation.run", *args], cwd=ROOT, check=False)
    sys.exit(result.returncode)


APPS_WITH_LOCALE = ["enterprises", "inspectors", "sampling", "inspections", "followup", "disclosure"]


def messages(args: list[str]) -> None:
    """Update the zh_Hans .po files (all, or only the named apps; "project" = templates/, core, config) and compile."""
    ensure_env()
    targets = args or ["project", *APPS_WITH_LOCALE]
    manage = str(ROOT / "manage.py")
    for target in targets:
        if target == "project":
            ignores = [f"--ignore={app}/*" for app in APPS_WITH_LOCALE]
            run(
                str(PY),
                manage,
                "makemessages",
                "-l",
                "zh_Hans",
                "--no-location",
                "--ignore=.venv/*",
                "--ignore=var/*",
                "--ignore=tests/*",
                "--ignore=bench/*",
                *ignores,
            )
            run(str(PY), manage, "compilemessages", "-l", "zh_Hans", "--ignore=.venv")
        else:
            (ROOT / target / "locale").mkdir(exist_ok=True)
            subprocess.run(
                [str(PY), manage, "makemessages", "-l", "zh_Hans", "--no-location"], cwd=ROOT / target, check=True
            )
            subprocess.run([str(PY), manage, "compilemessages", "-l", "zh_Hans"], cwd=ROOT / target, check=True)


def main() -> None:
    command, *rest = sys.argv[1:] or ["up"]
    commands = {"up": up, "test": test, "setup": lambda _args: ensure_env(), "messages": messages, "mutation": mutation}
    if command not in commands:
        sys.exit(f"usage: python3 dev.py [{'|'.join(commands)}] [args]")
    try:
        commands[command](rest)
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
