from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

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
