"""Shared fixtures. Personas (healthchecks style), all in bureau ``jianan`` unless said otherwise:

alice (team lead), bob (inspector, linked to inspector ZF001), carol (registry staff),
dave (auditor), erin (system admin), frank (second team lead), and mallory (team lead of another bureau).
"""

import os
from datetime import datetime

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.backends.signals import connection_created
from django.test import Client
from django.utils import timezone, translation

from core import public_cache
from core.calendar_seed import seed_calendar
from core.enums import Role
from core.models import CalendarYear
from enterprises.data.industries import INDUSTRIES
from enterprises.models import Division, Industry
from enterprises.reference import load_reference_data
from tests.browser.fixtures import browser, page, phone_page  # noqa: F401 - one chromium per session, for every directory
from tests.factories import BureauFactory, InspectorFactory, MembershipFactory, UserFactory
from tests.smtp import smtp  # noqa: F401 - a real SMTP server on loopback, for the e-mail tests


def _allow_test_flush(sender, connection, **kwargs):
    """Let pytest-django flush the audit table between transactional tests on PostgreSQL."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET ssj.test_flush = 'on'")


connection_created.connect(_allow_test_flush)

# A fast hasher for the tests' thousands of users; tests/core/test_login.py uses the real ones.
settings.PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "core.hashers.BureauArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# The append-only trigger function of the test database only (a database migrated normally has no escape,
# core/migrations/0003): TRUNCATE passes when the session set ssj.test_flush, as pytest-django's flush does.
TEST_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('ssj.test_flush', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as migrated, with the flush escape in its append-only trigger function."""
    with django_db_blocker.unblock():
        for alias in connections:
            connection = connections[alias]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(TEST_APPEND_ONLY)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def audit_anchor_file(settings, tmp_path_factory):
    """Anchors go to a file of the test session, never to the checkout's var/."""
    settings.AUDIT_ANCHOR_FILE = str(tmp_path_factory.getbasetemp() / "audit-anchors.jsonl")
    return settings.AUDIT_ANCHOR_FILE


@pytest.fixture(autouse=True)
def open_data_root(settings, tmp_path_factory):
    """The prebuilt open-data files of a test go to a directory of its own, never to the checkout's var/."""
    settings.OPEN_DATA_ROOT = tmp_path_factory.mktemp("open-data")
    return settings.OPEN_DATA_ROOT


@pytest.fixture(autouse=True)
def media_files(settings, tmp_path_factory):
    """Uploaded files (the demo's signed paper records too) go to a directory of the test session, never to
    the checkout's var/; tests that look at the files set their own directory per test."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts from an empty cache: in CI the cache is a Redis database that all tests share."""
    cache.clear()
    public_cache._bump_pending.clear()
    public_cache._request.version = None


@pytest.fixture(autouse=True)
def reference_data_after_flush(request):
    """Divisions, industries and the holiday calendar come from data migrations; a transactional test's
    flush removes them, so every later transactional test loads them again (one count query when present)."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    if Industry.objects.count() < len(INDUSTRIES):
        load_reference_data(Division, Industry)
    if not CalendarYear.objects.filter(year=2026).exists():
        seed_calendar(apps.get_model("core", "CalendarYear"), apps.get_model("core", "CalendarDay"))


@pytest.fixture
def without_2027(db):
    """2027's holiday notice not loaded, whatever the holiday library knows by the time the tests run."""
    from core.models import CalendarDay

    CalendarDay.objects.filter(date__year=2027).delete()
    CalendarYear.objects.filter(year=2027).delete()


@pytest.fixture
def bureau(db):
    return BureauFactory(code="jianan", name="许昌市生态环境局建安分局", short_name="建环")


@pytest.fixture
def other_bureau(db):
    return BureauFactory(code="yanling", name="许昌市生态环境局鄢陵分局", short_name="鄢环", division_code="411024")


def _member(username, bureau, *roles, **user_fields):
    user = UserFactory(username=username, **user_fields)
    for role in roles:
        MembershipFactory(user=user, bureau=bureau, role=role)
    return user


@pytest.fixture
def alice(bureau):
    return _member("alice", bureau, Role.TEAM_LEAD, first_name="张组长")


@pytest.fixture
def frank(bureau):
    return _member("frank", bureau, Role.TEAM_LEAD, first_name="李组长")


@pytest.fixture
def bob(bureau):
    user = _member("bob", bureau, Role.INSPECTOR, first_name="王检查")
    InspectorFactory(bureau=bureau, code="ZF001", name="王检查", user=user)
    return user


@pytest.fixture
def carol(bureau):
    return _member("carol", bureau, Role.REGISTRY_STAFF, first_name="赵名录")


@pytest.fixture
def dave(bureau):
    return _member("dave", bureau, Role.AUDITOR, first_name="钱审计")


@pytest.fixture
def erin(bureau):
    return _member("erin", bureau, Role.ADMIN, first_name="孙管理", is_staff=True)


@pytest.fixture
def mallory(other_bureau):
    return _member(
        "mallory", other_bureau, Role.TEAM_LEAD, Role.REGISTRY_STAFF, Role.AUDITOR, Role.ADMIN, first_name="外局"
    )


@pytest.fixture
def client_for():
    """client_for(user) -> a test client logged in as user."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def restore_language_and_timezone():
    """A test that switches the language or the current time zone does not leave it switched for the next."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


# --- what was skipped, and how to get it ------------------------------------------------------------------

# (words in a skip reason, what is missing, how to get it)
SKIP_GROUPS = [
    ("REDIS_URL", "Redis", "start redis-server and set REDIS_URL=redis://127.0.0.1:6379/15"),
    (
        "PostgreSQL",
        "PostgreSQL",
        "set DATABASE_URL=postgres://USER@127.0.0.1:5432/ssj_test (a server you may create databases on)",
    ),
    (
        "postgresql",
        "PostgreSQL",
        "set DATABASE_URL=postgres://USER@127.0.0.1:5432/ssj_test (a server you may create databases on)",
    ),
    ("chromium", "chromium (browser tests)", "apt-get install chromium"),
    ("poppler", "poppler-utils (PDF tests)", "apt-get install poppler-utils"),
]


def _skip_group(reason: str) -> tuple[str, str]:
    for words, what, how in SKIP_GROUPS:
        if words in reason:
            return what, how
    return "other", reason


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line per missing service or program at the end of the run, naming how many tests it skipped."""
    groups: dict[tuple[str, str], int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
        key = _skip_group(reason)
        groups[key] = groups.get(key, 0) + 1
    if not groups:
        return
    terminalreporter.section("skipped, and how to run them")
    for (what, how), count in sorted(groups.items()):
        terminalreporter.write_line(f"{count} test(s) need {what}: {how}")
    if os.environ.get("SSJ_REQUIRE_SERVICES"):
        terminalreporter.write_line("SSJ_REQUIRE_SERVICES is set (CI): a skipped test fails the run.")


def pytest_sessionfinish(session, exitstatus):
    """In CI (SSJ_REQUIRE_SERVICES set) nothing may skip: every service and program is there."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("SSJ_REQUIRE_SERVICES") and skipped and session.exitstatus == 0:
        session.exitstatus = 1


# --- the whole run at another time: SSJ_TEST_CLOCK=2026-12-31T23:30:00+08:00 python3 dev.py test tests/core … ----

_clock = None


def pytest_configure(config):
    """With SSJ_TEST_CLOCK set, "now" starts at that moment and ticks on (tests that travel in time still do)."""
    global _clock  # noqa: PLW0603 - one clock for the session
    moment = os.environ.get("SSJ_TEST_CLOCK")
    if moment:
        _clock = time_machine.travel(datetime.fromisoformat(moment), tick=True)
        _clock.start()


def pytest_unconfigure(config):
    if _clock is not None:
        _clock.stop()


def pytest_report_header(config):
    moment = os.environ.get("SSJ_TEST_CLOCK")
    return f"clock: {moment} (SSJ_TEST_CLOCK)" if moment else None
