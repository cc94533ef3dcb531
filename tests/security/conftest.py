from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from inspections import objections

from .world import build_world


@pytest.fixture(autouse=True)
def fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2026, 2, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        yield


@pytest.fixture
def world(frozen, bureau, other_bureau, alice, frank, bob, carol, dave, erin, mallory):
    return build_world(
        bureau, other_bureau, alice=alice, frank=frank, bob=bob, carol=carol, dave=dave, erin=erin, mallory=mallory
    )


@pytest.fixture
def no_objection_rate_limit(monkeypatch):
    """The matrix posts the objection form once per persona and state from one address with one token: beyond
    the filing rate limit (tested in tests/inspections/test_objection_no_contact.py), which would answer 429 to
    the later personas."""
    monkeypatch.setattr(objections, "FILINGS_PER_TOKEN", 10**6)
    monkeypatch.setattr(objections, "FILINGS_PER_ADDRESS", 10**6)
