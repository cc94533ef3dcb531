import pytest
from django.core.cache import cache

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


@pytest.fixture
def world(bureau, other_bureau):
    return build_world(bureau, other_bureau)
