"""The mutation run copies only the packages named in pyproject.toml: a new app left out breaks every run."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_app_of_the_project_is_copied_for_the_mutation_run():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    apps = sorted(p.parent.name for p in ROOT.glob("*/apps.py"))
    assert sorted(set(apps) - set(config["source_paths"])) == []
