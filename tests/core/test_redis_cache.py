"""core.redis_cache: Django's Redis cache, one client per connection pool."""

import os
import threading

import pytest

from core.redis_cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL and not os.environ.get("SSJ_REQUIRE_SERVICES"), reason="REDIS_URL not set"
)


@pytest.fixture
def cache():
    backend = RedisCache(REDIS_URL or "redis://127.0.0.1:6379/14", {"KEY_PREFIX": "test-redis-cache"})
    backend.clear()
    yield backend
    backend.clear()


def test_it_behaves_as_djangos_backend(cache):
    assert cache.get("missing") is None
    cache.set("page", (17, b"<html>", [("Content-Type", "text/html")]), 60)
    assert cache.get("page") == (17, b"<html>", [("Content-Type", "text/html")])
    assert cache.add("version", 1, None) and not cache.add("version", 2, None)
    assert cache.incr("version") == 2
    assert cache.get_many(["version", "page", "missing"]) == {
        "version": 2,
        "page": (17, b"<html>", [("Content-Type", "text/html")]),
    }
    cache.delete("page")
    assert cache.get("page") is None


def test_one_client_serves_every_call_and_thread(cache):
    first = cache._cache.get_client("a")
    assert cache._cache.get_client("b", write=True) is first
    seen = []

    def work(n):
        cache.set(f"k{n}", n)
        seen.append(cache.get(f"k{n}"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(8))
    assert cache._cache.get_client("c") is first
