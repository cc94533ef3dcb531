"""A version number for what the public site shows: bumped after every change that the public pages show.

Public pages cache what is costly but changes only with a publication, a plan put in force or closed, or
a draw approved (the bureau and year choices of the search form, a draw's replay, a page of results)
under keys that include this version; a bump makes every such entry unreachable at once.

Costs per request, with the cache in Redis: the version is read once per request (the first
:func:`public_version` of a request asks the cache, later ones in the same request reuse it: the memo is
dropped when a request starts), and the small values that every search page needs (``local=True``:
bureau and year choices, counts) are also kept in the process's memory for their version. Whole pages
(:func:`current_page`, :func:`store_page`, used by ``disclosure.middleware``) are stored with the version
they were made for, so that the version and the page are read in one round trip. A bump that does not
reach the cache (Redis unavailable) is tried again by the same process at each request until it takes.
"""

import threading
import time

from django.core.cache import cache
from django.core.signals import request_started

VERSION_KEY = "disclosure:public-version"
TIMEOUT = 24 * 3600
LOCAL_MAX = 256  # small values kept per process (for the current version only)

_request = threading.local()  # the version read during the current request, per thread
_local_values: dict[str, tuple[int, float, object]] = {}  # name -> (version, expires at, value)
_local_lock = threading.Lock()
# Set when a bump did not reach the cache (Redis unavailable: core.redis_cache drops the write); every
# request of this process then tries it again before reading the version, until it takes.
_bump_pending = threading.Event()
# Called after every bump (registered by the apps that keep files built from what the public site shows:
# ``disclosure.opendata.build_soon``, from ``DisclosureConfig.ready``). Each must be cheap and never raise.
_after_bump: list = []


def on_public_change(func) -> None:
    """Register ``func()`` to run after every bump of the public version (once per function)."""
    if func not in _after_bump:
        _after_bump.append(func)


def _forget_version(**kwargs) -> None:
    _request.version = None
    if _bump_pending.is_set():  # a change made while the cache was unavailable: tell it now
        bump_public_version()


request_started.connect(_forget_version, dispatch_uid="disclosure-public-version")


def _fresh_version() -> int:
    """A version no earlier one can equal (microseconds since 1970): after the cache is emptied, values
    kept in processes' memory for an old version are never taken for the new one's."""
    return time.time_ns() // 1000


def public_version() -> int:
    version = getattr(_request, "version", None)
    if version is not None:
        return version
    version = cache.get(VERSION_KEY)
    if version is None:
        version = _first_version()
    _request.version = version
    return version


def _first_version() -> int:
    """The version of a cache that holds none (the first writer wins)."""
    fresh = _fresh_version()
    return fresh if cache.add(VERSION_KEY, fresh, None) else (cache.get(VERSION_KEY) or fresh)


def bump_public_version() -> None:
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:  # not set (evicted, or the cache was emptied), or the cache is unavailable
        version = _fresh_version()
        cache.set(VERSION_KEY, version, None)
    if (cache.get(VERSION_KEY) or 0) >= version:  # versions only grow: a later bump elsewhere is as good
        _bump_pending.clear()
    else:
        _bump_pending.set()
    _request.version = None
    with _local_lock:
        _local_values.clear()
    for func in _after_bump:
        func()


def cached(name: str, compute, timeout: int = TIMEOUT, *, local: bool = False):
    """``compute()`` cached under ``name`` for the current public version (``timeout`` 0: not cached).

    ``local``: also keep the value in this process's memory until the version changes or ``timeout``
    passes (for small values every page needs).
    """
    if not timeout:
        return compute()
    version = public_version()
    if local:
        found = _local_values.get(name)
        if found is not None and found[0] == version and found[1] > time.monotonic():
            return found[2]
    key = f"disclosure:{version}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    if local:
        with _local_lock:
            if len(_local_values) >= LOCAL_MAX:
                _local_values.clear()
            _local_values[name] = (version, time.monotonic() + timeout, value)
    return value


def _page_key(name: str) -> str:
    return f"disclosure:page:{name}"


def current_page(name: str):
    """The value :func:`store_page` kept under ``name`` for the current public version, else None.

    One cache round trip: the version and the page are read together (the page is stored with the version
    it was made for, not under it), and the version is kept for the rest of the request.
    """
    found = cache.get_many([VERSION_KEY, _page_key(name)])
    version = found.get(VERSION_KEY)
    if version is None:  # the empty cache gets its first version: nothing stored before can be current
        _request.version = _first_version()
        return None
    _request.version = version
    entry = found.get(_page_key(name))
    if entry is not None and entry[0] == version:
        return entry[1]
    return None


def store_page(name: str, value, timeout: int) -> None:
    """Keep ``value`` under ``name`` for the version read during this request (a later bump hides it)."""
    cache.set(_page_key(name), (public_version(), value), timeout)
