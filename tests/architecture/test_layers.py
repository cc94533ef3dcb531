"""The structure the code promises (docs/CONVENTIONS.md): imports point one way, and each status column
has one writer.

Apps sit in layers — core ← enterprises ← inspectors ← sampling ← inspections ← followup ← disclosure ← demo — and
a module imports only from its own layer or below. Sampling reaches the inspection tasks above it only
through what the inspections app registers in :mod:`sampling.tasks`.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["core", "enterprises", "inspectors", "sampling", "inspections", "followup", "disclosure", "demo"]
RANK = {app: i for i, app in enumerate(LAYERS)}


def app_modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """(top-level package of this project, line) of every absolute import in ``path``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return {(name, line) for name, line in found if name in RANK}


@pytest.mark.parametrize("app", LAYERS)
def test_app_imports_only_its_own_layer_or_below(app):
    upward = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in app_modules(app)
        for name, line in sorted(imported_apps(path))
        if RANK[name] > RANK[app]
    ]
    assert upward == []


def test_the_import_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from inspections.models import InspectionTask\nimport core.audit\n")
    assert imported_apps(module) == {("inspections", 1), ("core", 2)}


# --- one writer per status column -----------------------------------------------------------------------

# The one module that may write each model's status column (a compare-and-swap UPDATE or a save of it).
STATUS_WRITERS = {
    "InspectionTask": "inspections/transitions.py",
    "Draw": "sampling/draws.py",
    "Plan": "sampling/plans.py",
    "Job": "core/jobs.py",
    "Enterprise": "enterprises/services.py",
    "SubstitutionRequest": "inspections/substitutions.py",
    "Rectification": "followup/services.py",
    "Case": "followup/services.py",
    "Transfer": "followup/services.py",
    "Objection": "inspections/objections.py",
}


def _root_name(node) -> str | None:
    """``Draw`` for ``Draw.objects.filter(...).update``; None when the chain does not start at a name."""
    while isinstance(node, ast.Call | ast.Attribute):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def status_writes(path: Path) -> list[tuple[str, int]]:
    """(model or variable, line) of each ``….update(status=…)`` and ``….save(update_fields=[…"status"…])``."""
    writes = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        keywords = {k.arg: k.value for k in node.keywords}
        if node.func.attr == "update" and "status" in keywords:
            writes.append((_root_name(node.func.value) or "?", node.lineno))
        elif node.func.attr == "save" and isinstance(keywords.get("update_fields"), ast.List | ast.Tuple):
            names = {e.value for e in keywords["update_fields"].elts if isinstance(e, ast.Constant)}
            if "status" in names:
                writes.append((_root_name(node.func.value) or "?", node.lineno))
    return writes


def test_each_status_column_has_one_writer():
    found: dict[str, set[str]] = {}
    for app in LAYERS:
        for path in app_modules(app):
            for name, _line in status_writes(path):
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    # Instances saved with their status: plan_set_status's plan, draw_execute's draw, the job runner's job,
    # enterprise_change_status's enterprise.
    aliases = {"plan": "Plan", "draw": "Draw", "job": "Job", "current": "Enterprise"}
    by_model: dict[str, set[str]] = {}
    for name, files in found.items():
        by_model.setdefault(aliases.get(name, name), set()).update(files)
    for model, writer in STATUS_WRITERS.items():
        assert by_model.get(model) == {writer}, f"{model}.status is written by {sorted(by_model.get(model, []))}"
    unexpected = {m: sorted(f) for m, f in by_model.items() if m not in STATUS_WRITERS}
    assert unexpected == {}


def test_no_raw_sql_writes_a_status():
    hits = [
        f"{path.relative_to(ROOT)}"
        for app in LAYERS
        for path in app_modules(app)
        if "SET status" in path.read_text() or 'SET "status"' in path.read_text()
    ]
    assert hits == []


def test_the_writer_check_sees_a_status_update_and_a_status_save(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "InspectionTask.objects.filter(pk=1).update(status='published')\n"
        "task.save(update_fields=['status'])\n"
        "task.save(update_fields=['notes'])\n"
    )
    assert status_writes(module) == [("InspectionTask", 1), ("task", 2)]
