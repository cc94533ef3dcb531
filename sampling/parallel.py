"""The team step of a large draw on every CPU: the same result as one process, sooner.

``ssj-draw-1`` gives each selected enterprise a SHA-256 ticket per inspector of the pool: a province draw
(13,000 enterprises, 350 inspectors) needs 4.6 million of them, 2 to 4 s of one CPython core. The
tickets of one enterprise do not depend on another's, so :func:`team_windows` splits the enterprises
among worker processes that each return, per enterprise, the few inspectors first in ticket order
(:func:`sampling.algorithm.team_windows`); the sequential part (exclusions, workload caps, and the rare
enterprise that needs its whole pool sorted) stays in :func:`sampling.algorithm.assign_teams`, so the
teams are exactly those of a single process.

The workers come from a ``forkserver`` (started once per process, preloading only the standard-library
module :mod:`sampling.algorithm`): nothing of Django, its database connections or a web server's threads
is forked. As multiprocessing does, each worker imports the process's main script again as
``__mp_main__``: cheap for ``manage.py`` and gunicorn, whose work sits under ``if __name__ == "__main__"``
(a script that sets Django up at import, like the benchmarks, must do the same). Small draws (a county's:
a few thousand tickets) never leave the process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import repeat

from django.conf import settings

from . import algorithm

logger = logging.getLogger(__name__)

# Below this many tickets, starting processes costs more than it saves.
MIN_TICKETS = 500_000
CHUNKS_PER_PROCESS = 4


def processes() -> int:
    """Worker processes for a large draw: ``DRAW_PROCESSES`` (environment), else the CPUs this process may use."""
    configured = getattr(settings, "DRAW_PROCESSES", None)
    if configured:
        return max(1, int(configured))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sampling.algorithm"])
    return context


def team_windows(
    seed: str, enterprises: list[str], pool: list[str], window: int, *, workers: int | None = None
) -> list[list[bytes]]:
    """:func:`sampling.algorithm.team_windows`, split among ``workers`` processes when the draw is large.

    If the processes cannot be started or one dies (``BrokenProcessPool``: e.g. the main script of the
    process fails when a worker imports it again, as multiprocessing does), the windows are computed here:
    slower, never wrong, never stuck.
    """
    workers = processes() if workers is None else workers
    if workers < 2 or len(enterprises) * len(pool) < MIN_TICKETS:
        return algorithm.team_windows(seed, enterprises, pool, window)
    parts = min(len(enterprises), workers * CHUNKS_PER_PROCESS)
    size = -(-len(enterprises) // parts)
    chunks = [enterprises[start : start + size] for start in range(0, len(enterprises), size)]
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as executor:
            results = list(executor.map(algorithm.team_windows, repeat(seed), chunks, repeat(pool), repeat(window)))
    except (BrokenProcessPool, OSError):
        logger.exception("The team step's worker processes failed: computing it in this process")
        return algorithm.team_windows(seed, enterprises, pool, window)
    return [window_of_one for part in results for window_of_one in part]
