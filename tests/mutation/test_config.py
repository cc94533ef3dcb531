"""The mutation run copies only the packages named in pyproject.toml: a new app left out breaks every run."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_app_of_the_project_is_copied_for_the_mutation_run():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    apps = sorted(p.parent.name for p in ROOT.glob("*/apps.py"))
    assert sorted(set(apps) - set(config["source_paths"])) == []


def test_a_mutant_is_named_by_its_function_or_its_class_and_method():
    """mutmut 3 names x_function__mutmut_N and xǁClassǁmethod__mutmut_N; the equivalents file says Class.method."""
    from tests.mutation.run import describe_mutant

    diff = "--- a\n+++ b\n-    return a\n+    return b\n"
    function = describe_mutant("sampling/quota.py", "sampling.quota.x_tier_quota__mutmut_3", diff)
    method = describe_mutant("sampling/quota.py", "sampling.quota.xǁQuotaRulesǁcoverage__mutmut_2", diff)
    assert (function.function, function.removed, function.added) == ("tier_quota", ("return a",), ("return b",))
    assert method.function == "QuotaRules.coverage"


def test_the_documents_the_mapped_tests_read_are_copied_for_the_mutation_run():
    """tests/core/test_audit_vectors.py reads its known answers from docs/audit-chain.md: without docs/ in the
    copy, core/audit.py's run stops at mutmut's first (stats) session."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    assert "docs" in config["also_copy"]
    assert (ROOT / "docs" / "audit-chain.md").is_file()
