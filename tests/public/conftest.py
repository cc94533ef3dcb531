import pytest
from django.apps import apps
from django.core.cache import cache

from core.calendar_seed import seed_calendar
from core.models import CalendarYear

from .world import build_world


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """The public pages cache under a version number: start every test from an empty cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def calendar_loaded(db):
    if not CalendarYear.objects.filter(year=2026).exists():
        seed_calendar(apps.get_model("core", "CalendarYear"), apps.get_model("core", "CalendarDay"))


@pytest.fixture
def world(bureau, other_bureau):
    return build_world(bureau, other_bureau)
