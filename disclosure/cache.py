"""A version number for what the public site shows: bumped after every publication commits.

Public pages cache what is costly but changes only with a publication (the bureau and year
choices of the search form, a draw's replay) under keys that include this version.
"""

from django.core.cache import cache

VERSION_KEY = "disclosure:public-version"
TIMEOUT = 24 * 3600


def public_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = 1
        cache.add(VERSION_KEY, version, None)
    return version


def bump_public_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set (or evicted)
        cache.set(VERSION_KEY, 2, None)


def cached(name: str, compute, timeout: int = TIMEOUT):
    """``compute()`` cached under ``name`` for the current public version."""
    key = f"disclosure:{public_version()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value
