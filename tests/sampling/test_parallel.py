"""The team step split among processes (sampling.parallel) gives exactly the single-process teams."""

import random
from concurrent.futures.process import BrokenProcessPool

import pytest

from sampling import algorithm, parallel


def _draw(enterprises: int, inspectors: int, seed: int):
    rng = random.Random(seed)
    selected = [f"91410000MA{n:08d}" for n in range(enterprises)]
    pool = [f"ZF{n:03d}" for n in range(inspectors)]
    exclusions = {(e, rng.choice(pool)) for e in rng.sample(selected, enterprises // 3)}
    return selected, pool, exclusions


@pytest.mark.parametrize(("enterprises", "inspectors", "cap"), [(400, 60, 30), (300, 14, 44)])
def test_parallel_windows_give_the_same_teams(monkeypatch, enterprises, inspectors, cap):
    """The second case has a pool barely larger than the window and a tight cap: many enterprises fall
    back to sorting their whole pool, as in a single process."""
    monkeypatch.setattr(parallel, "MIN_TICKETS", 0)
    selected, pool, exclusions = _draw(enterprises, inspectors, seed=enterprises)
    seed = "5f" * 32
    windows = parallel.team_windows(seed, selected, pool, algorithm.team_window(2), workers=2)
    assert len(windows) == len(selected)
    assert windows == algorithm.team_windows(seed, selected, pool, algorithm.team_window(2))
    expected = algorithm.assign_teams(seed, selected, pool, 2, cap, exclusions)
    assert algorithm.assign_teams(seed, selected, pool, 2, cap, exclusions, windows) == expected


def test_a_replay_with_parallel_windows_equals_the_plain_replay(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_TICKETS", 0)
    selected, pool, exclusions = _draw(200, 20, seed=3)
    record = {
        "algorithm": "ssj-draw-1",
        "seed": "ab" * 32,
        "strata": [{"label": "2026Q4/key", "count": 150, "members": [{"id": e, "weight": 1} for e in selected]}],
        "inspectors": {
            "pool": pool,
            "team_size": 2,
            "max_per_inspector": 16,
            "exclusions": sorted([e, code] for e, code in exclusions),
        },
    }
    assert algorithm.replay(record, parallel.team_windows) == algorithm.replay(record)


def test_small_draws_stay_in_the_process(monkeypatch):
    def no_processes():
        raise AssertionError("a county draw must not start processes")

    monkeypatch.setattr(parallel, "_context", no_processes)
    selected, pool, _ = _draw(137, 35, seed=4)
    assert parallel.team_windows("cd" * 32, selected, pool, 10, workers=2) == algorithm.team_windows(
        "cd" * 32, selected, pool, 10
    )


def test_an_unstaffable_enterprise_is_named_with_parallel_windows(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_TICKETS", 0)
    selected, pool, _ = _draw(40, 12, seed=5)
    windows = parallel.team_windows("ef" * 32, selected, pool, algorithm.team_window(2), workers=2)
    barred = {(selected[7], code) for code in pool[1:]}  # only one inspector left for the eighth enterprise
    with pytest.raises(algorithm.UnstaffableError) as error:
        algorithm.assign_teams("ef" * 32, selected, pool, 2, 40, barred, windows)
    assert (error.value.enterprise_id, error.value.found, error.value.needed) == (selected[7], 1, 2)


def test_broken_worker_processes_fall_back_to_this_process(monkeypatch):
    class Broken:
        def __init__(self, **kwargs):
            raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(parallel, "MIN_TICKETS", 0)
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", Broken)
    selected, pool, _ = _draw(50, 12, seed=6)
    assert parallel.team_windows("01" * 32, selected, pool, 10, workers=2) == algorithm.team_windows(
        "01" * 32, selected, pool, 10
    )
