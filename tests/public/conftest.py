import pytest
from django.core.cache import cache

from core import public_cache

from .world import build_world


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """The public pages cache under a version number: start every test from an empty cache."""
    cache.clear()
    public_cache._bump_pending.clear()
    yield
    cache.clear()
    public_cache._bump_pending.clear()  # a test with Redis down leaves no bump to retry


@pytest.fixture
def world(bureau, other_bureau):
    return build_world(bureau, other_bureau)
