"""core.redis_cache: Django's Redis cache, one client per connection pool, answering without Redis."""

import logging
import os
import threading

import pytest

from core import redis_cache
from core.redis_cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL and not os.environ.get("SSJ_REQUIRE_SERVICES"), reason="REDIS_URL not set"
)
NOBODY = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


@pytest.fixture
def cache():
    backend = RedisCache(REDIS_URL or "redis://127.0.0.1:6379/14", {"KEY_PREFIX": "test-redis-cache"})
    backend.clear()
    yield backend
    backend.clear()


@needs_redis
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


@needs_redis
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


def test_without_redis_a_read_is_a_miss_and_a_write_is_dropped(caplog):
    down = RedisCache(NOBODY, {})
    with caplog.at_level(logging.WARNING, logger="core.redis_cache"):
        assert down.get("page", "default") == "default"
        assert down.get_many(["version", "page"]) == {}
        assert down.has_key("page") is False
        assert down.add("version", 1, None) is False
        assert down.set("page", b"<html>", 60) is None
        assert down.set_many({"a": 1, "b": 2}) == ["a", "b"]
        assert down.touch("page") is False and down.delete("page") is False
        down.delete_many(["a", "b"])
        down.clear()
        with pytest.raises(ValueError, match="not found"):  # as for a missing key: the caller's fallback runs
            down.incr("version")
    # Only the first call tried Redis: the others came within the pause.
    (record,) = caplog.records
    assert record.levelname == "WARNING" and "get" in record.getMessage()


def test_after_the_pause_redis_is_tried_again(caplog, monkeypatch):
    down = RedisCache(NOBODY, {})
    clock = [1000.0]
    monkeypatch.setattr(redis_cache.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.WARNING, logger="core.redis_cache"):
        down.get("a")
        clock[0] += redis_cache.PAUSE - 0.1
        down.get("a")
        clock[0] += 0.2
        down.get("a")
    assert len(caplog.records) == 2


@needs_redis
def test_it_answers_again_once_redis_is_back(cache, monkeypatch):
    cache.set("page", b"<html>", 60)
    monkeypatch.setattr(redis_cache.time, "monotonic", lambda: 0.0)
    cache._down_until = 5.0  # failed a moment ago: not asked
    assert cache.get("page") is None
    cache._down_until = -1.0  # the pause is over
    assert cache.get("page") == b"<html>"
