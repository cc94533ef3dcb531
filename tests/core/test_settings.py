import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "SSJ_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-production-secret-for-tests-0123456789-abcdefghijkl",
    "ALLOWED_HOSTS": "ssj.example.gov.cn",
    "DATABASE_URL": "postgres://ssj@127.0.0.1:5432/ssj",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args, env_overrides=None, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SSJ_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE", *drop}}
    env.update(env_overrides or {})
    for key in drop:
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without(missing):
    result = manage("check", env_overrides={k: v for k, v in PROD_ENV.items() if k != missing}, drop=(missing,))
    assert result.returncode != 0
    assert f"{missing} is required in production" in result.stderr


def test_production_refuses_debug():
    result = manage("check", env_overrides={**PROD_ENV, "DEBUG": "1"})
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("file-secret-" + "y" * 50 + "\n")
    env = {**{k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"}, "SECRET_KEY_FILE": str(secret)}
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        env_overrides=env,
        drop=("SECRET_KEY",),
    )
    assert result.stdout.strip().endswith("file-secret-" + "y" * 50)


def test_embedded_default_is_sqlite_with_inline_jobs():
    code = "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.JOBS_INLINE, s.DEBUG)"
    result = manage("shell", "-c", code, drop=("DATABASE_URL", "REDIS_URL"))
    assert result.stdout.strip().splitlines()[-1] == "django.db.backends.sqlite3 True True"


def test_database_url_builds_postgresql_with_pool_and_health_checks():
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['HOST'], d['CONN_HEALTH_CHECKS'], 'pool' in d['OPTIONS'], s.RQ_QUEUES['default']['URL'])"
    )
    result = manage(
        "shell",
        "-c",
        code,
        env_overrides={
            "DATABASE_URL": "postgres://u@db.internal:5432/ssj",
            "REDIS_URL": "redis://cache.internal:6379/2",
        },
    )
    assert result.stdout.strip().splitlines()[-1] == (
        "django.db.backends.postgresql ssj db.internal True True redis://cache.internal:6379/2"
    )


def test_defaults_are_chinese_and_shanghai_time():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert "django.contrib.auth.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE


def test_sessions_expire_when_idle():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE == 1800
