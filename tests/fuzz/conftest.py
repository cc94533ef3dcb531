"""Fuzz harnesses (hypothesis): each target runs for ``SSJ_FUZZ_SECONDS`` seconds (default 3; CI runs them
for a minute each in their own step), after replaying its committed seed corpus in ``corpus/<target>/``."""

import os
import resource
import time
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"


def fuzz_seconds() -> float:
    return float(os.environ.get("SSJ_FUZZ_SECONDS", "3"))


def corpus(target: str) -> list[bytes]:
    return [path.read_bytes() for path in sorted((CORPUS / target).iterdir()) if path.is_file()]


def run_for(seconds: float, campaign) -> int:
    """Call ``campaign`` (a @given test with a small max_examples) again and again for ``seconds``."""
    deadline = time.monotonic() + seconds
    rounds = 0
    while True:
        campaign()
        rounds += 1
        if time.monotonic() >= deadline:
            return rounds


class RssGuard:
    """``rss_guard(limit_mib)`` fails the test if this process's peak RSS grew by more than ``limit_mib`` MiB
    since the test began, or since ``rss_guard.start()``: a test whose first steps load code and caches that
    every later request shares (the first page a process renders) starts the guard after them, so that the
    figure does not depend on how much the tests before it happened to load."""

    def __init__(self):
        self.start()

    def start(self) -> None:
        self.before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def __call__(self, limit_mib: int) -> None:
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.before) / 1024
        assert grown < limit_mib, f"peak memory grew by {grown:.0f} MiB"


@pytest.fixture
def rss_guard():
    return RssGuard()
