"""pytest plugin for the mutation runs (tests/mutation/run.py): every pytest session gets its own copy of an
already migrated SQLite test database, so that a mutant's run does not spend ten seconds on migrations.

mutmut forks one process per mutant and runs pytest inside it; two run at once. Each copy is named after the
process id and removed when the session ends. The template is built once per run by tests/mutation/run.py.

mutmut hands a mutant's tests over in no particular order (a set) and stops at the first failure (-x): the
property tests (hypothesis), each worth many example tests in time, run last, so that a mutant an example test
kills does not wait for them first. The verdicts do not change, only the time.

Each session also freezes the garbage collector's view of what the fork inherited (gc.freeze): Django, pytest,
hypothesis and playwright already loaded are never freed in a child that lives for one mutant, and without the
freeze every full collection (pytest ends each session with two) walks them all — half a session's time.
"""

import gc
import os
import shutil
from pathlib import Path

import pytest

TEMPLATE_ENV = "SSJ_MUTATION_DB_TEMPLATE"


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    template = os.environ.get(TEMPLATE_ENV)
    if not template:
        return
    gc.freeze()
    from django.conf import settings

    copy = Path(template).with_name(f"test-{os.getpid()}.sqlite3")
    shutil.copyfile(template, copy)
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(copy)
    config._ssj_mutation_db = copy


def pytest_collection_modifyitems(session, config, items):
    if not os.environ.get(TEMPLATE_ENV):
        return
    from hypothesis import is_hypothesis_test

    items.sort(key=lambda item: is_hypothesis_test(getattr(item, "obj", None)))  # stable: the rest keep their order


def pytest_unconfigure(config):
    copy = getattr(config, "_ssj_mutation_db", None)
    if copy is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
