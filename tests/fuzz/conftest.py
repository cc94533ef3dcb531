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


@pytest.fixture
def rss_guard():
    """Fails the test if this process's peak RSS grew by more than the given number of MiB during it."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def check(limit_mib: int):
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert grown < limit_mib, f"peak memory grew by {grown:.0f} MiB"

    return check
