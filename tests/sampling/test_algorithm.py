"""Tests for the published draw algorithms ``ssj-draw-2`` and ``ssj-draw-1`` and their stand-alone verifier.

These tests are pure: no database, no Django settings.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling import algorithm as algorithm_module
from sampling.algorithm import (
    ALGORITHM,
    ALGORITHM_V1,
    ALGORITHM_V2,
    ALGORITHMS,
    DrawError,
    RecordError,
    UnstaffableError,
    assign_teams,
    candidate_order,
    canonical_json,
    derive_seed,
    make_record,
    member_key,
    nonce_hash,
    pool_hash,
    rank_stratum,
    record_checks,
    replay,
    ticket,
    validate_record,
)

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "sampling" / "vectors"
SHARED_VECTORS = Path(
    os.environ.get(
        "SSJ_DRAW_VECTORS",
        Path(__file__).resolve().parents[3] / "shared" / "draw-vectors",
    )
)
VECTOR_NAMES = sorted(p.name.removesuffix(".record.json") for p in VECTORS.glob("*.record.json"))


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_vector(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return load_json(VECTORS / f"{name}.record.json"), load_json(VECTORS / f"{name}.expected.json")


def run_verify(*args: str, python_flags: tuple[str, ...] = (), stdin: str | None = None):
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "sampling.verify", *args],
        check=False,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def small_record() -> dict[str, Any]:
    return load_vector("small-unweighted")[0]


# --------------------------------------------------------------------------- test vectors


def test_vectors_present() -> None:
    assert len(VECTOR_NAMES) >= 7
    versions = {load_json(VECTORS / f"{name}.record.json")["algorithm"] for name in VECTOR_NAMES}
    assert versions == {"ssj-draw-1", "ssj-draw-2"} == set(ALGORITHMS)
    assert ALGORITHM == "ssj-draw-2"
    assert (VECTORS / "README.md").is_file()


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_vector_replays_exactly(name: str) -> None:
    record, expected = load_vector(name)
    result = replay(record)
    assert result == expected
    # Dict order is part of the published output: teams follow selection order.
    selected = [eid for stratum in result["strata"] for eid in stratum["selected"]]
    assert list(result["teams"]) == selected


def _vector_digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != "SHA256SUMS"
    }


def test_in_repo_vectors_match_shared() -> None:
    """The in-repo copy equals the published vectors: the shared copy when it is there (a developer's
    machine), else the SHA-256 list taken from it (sampling/vectors/SHA256SUMS, as ``sha256sum`` writes it)."""
    local = _vector_digests(VECTORS)
    if SHARED_VECTORS.is_dir():
        assert local == _vector_digests(SHARED_VECTORS)
    listed = dict(reversed(line.split("  ", 1)) for line in (VECTORS / "SHA256SUMS").read_text().splitlines())
    assert local == listed


# --------------------------------------------------------------------------- known values


def test_ticket_known_value() -> None:
    expected = hashlib.sha256("s33d|重点/2021Q1|91410000000000000X|3".encode()).digest()
    assert ticket("s33d", "重点/2021Q1", "91410000000000000X", 3) == int.from_bytes(expected, "big")


def test_member_key_is_smallest_ticket() -> None:
    tickets = [ticket("s", "L", "E1", j) for j in (1, 2, 3)]
    assert member_key("s", "L", "E1", 3) == min(tickets)
    assert member_key("s", "L", "E1", 1) == tickets[0]
    for bad in (0, -1, True, "1"):
        with pytest.raises(DrawError):
            member_key("s", "L", "E1", bad)  # type: ignore[arg-type]


def test_pool_hash_known_value() -> None:
    strata = [{"members": [{"weight": 2, "id": "E1"}], "label": "重点/2026", "count": 1}]
    canonical = '[{"count":1,"label":"重点/2026","members":[{"id":"E1","weight":2}]}]'
    assert canonical_json(strata) == canonical
    assert pool_hash(strata) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_derive_seed_and_nonce_hash_known_values() -> None:
    ph = "a" * 64
    assert derive_seed(ph, "n0nce", "7 3 9 1") == (hashlib.sha256(f"{'a' * 64}|n0nce|7 3 9 1".encode()).hexdigest())
    assert nonce_hash("n0nce") == hashlib.sha256(b"n0nce").hexdigest()


def test_vector_record_pool_hash_is_stable() -> None:
    record, _ = load_vector("small-unweighted")
    text = json.dumps(record["strata"], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert pool_hash(record["strata"]) == hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- ranking


def test_rank_stratum_count_exceeds_members() -> None:
    selected, reserve = rank_stratum("s", "L", [("A", 1), ("B", 2)], 5)
    assert sorted(selected) == ["A", "B"] and reserve == []


def test_rank_stratum_count_zero() -> None:
    selected, reserve = rank_stratum("s", "L", [("A", 1), ("B", 2)], 0)
    assert selected == [] and sorted(reserve) == ["A", "B"]


member_lists = st.lists(
    st.tuples(st.text(min_size=1, max_size=12), st.integers(min_value=1, max_value=5)),
    max_size=20,
    unique_by=lambda m: m[0],
)


@settings(max_examples=100, deadline=None)
@given(
    seed=st.text(max_size=20),
    label=st.text(min_size=1, max_size=10),
    members=member_lists,
    count=st.integers(min_value=0, max_value=25),
    shuffle_seed=st.integers(),
)
def test_rank_stratum_properties(
    seed: str, label: str, members: list[tuple[str, int]], count: int, shuffle_seed: int
) -> None:
    selected, reserve = rank_stratum(seed, label, members, count)
    ids = [m[0] for m in members]
    assert len(selected) == min(count, len(members))
    assert len(set(selected)) == len(selected)
    assert sorted(selected + reserve) == sorted(ids)
    shuffled = list(members)
    random.Random(shuffle_seed).shuffle(shuffled)
    assert rank_stratum(seed, label, shuffled, count) == (selected, reserve)


def test_weights_shift_selection_frequency() -> None:
    """Key = min of w uniform draws, so P(heavy wins) = 3 / (3 + 1) = 0.75."""
    trials = 3000
    wins = 0
    for n in range(trials):
        selected, _ = rank_stratum(f"seed-{n}", "L", [("heavy", 3), ("light", 1)], 1)
        wins += selected == ["heavy"]
    assert 0.70 <= wins / trials <= 0.80


@pytest.mark.parametrize("weight", [1, 2, 5])
def test_a_weight_w_member_is_drawn_first_w_times_as_often_as_a_weight_1_member(weight: int) -> None:
    """Among one member of weight w and nine of weight 1, it comes first with probability w / (w + 9)."""
    trials = 2000
    members = [("heavy", weight)] + [(f"light{k}", 1) for k in range(9)]
    first = sum(rank_stratum(f"freq-{n}", "L", members, 1)[0] == ["heavy"] for n in range(trials))
    expected = weight / (weight + 9)
    assert abs(first / trials - expected) < 4 * (expected * (1 - expected) / trials) ** 0.5  # within 4 sigma


# --------------------------------------------------------------------------- teams


@settings(max_examples=100, deadline=None)
@given(
    algorithm=st.sampled_from(ALGORITHMS),
    seed=st.text(max_size=10),
    n_enterprises=st.integers(min_value=0, max_value=8),
    n_inspectors=st.integers(min_value=1, max_value=8),
    team_size=st.integers(min_value=1, max_value=3),
    max_per_inspector=st.integers(min_value=1, max_value=4),
    excluded=st.sets(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=10),
)
def test_assign_teams_respects_constraints(
    algorithm: str,
    seed: str,
    n_enterprises: int,
    n_inspectors: int,
    team_size: int,
    max_per_inspector: int,
    excluded: set[tuple[int, int]],
) -> None:
    enterprises = [f"E{k}" for k in range(n_enterprises)]
    pool = [f"ZF{k:03d}" for k in range(n_inspectors)]
    exclusions = {(f"E{e}", f"ZF{i:03d}") for e, i in excluded}
    try:
        teams = assign_teams(seed, enterprises, pool, team_size, max_per_inspector, exclusions, algorithm=algorithm)
    except UnstaffableError as exc:
        assert exc.enterprise_id in enterprises
        assert exc.enterprise_id in str(exc)
        return
    assert list(teams) == enterprises
    load: dict[str, int] = {}
    for enterprise, team in teams.items():
        assert len(team) == team_size == len(set(team))
        assert all(code in pool and (enterprise, code) not in exclusions for code in team)
        for code in team:
            load[code] = load.get(code, 0) + 1
    assert all(n <= max_per_inspector for n in load.values())


def test_assign_teams_v1_orders_by_team_ticket() -> None:
    pool = ["ZF001", "ZF002", "ZF003"]
    expected = sorted(pool, key=lambda c: (ticket("s", "team", "E1", c), c))[:2]
    assert assign_teams("s", ["E1"], pool, 2, 1, set(), algorithm=ALGORITHM_V1) == {"E1": expected}


def test_assign_teams_v2_takes_the_shuffle_of_the_sorted_pool() -> None:
    pool = ["ZF003", "ZF001", "ZF002"]
    expected = reference_order_v2("s", "E1", pool)[:2]
    assert assign_teams("s", ["E1"], pool, 2, 1, set()) == {"E1": expected}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_assign_teams_unstaffable_names_enterprise(algorithm: str) -> None:
    eid = "91411003664490022U"
    with pytest.raises(UnstaffableError, match=f"{eid}.*found 1 of 2") as info:
        assign_teams("s", [eid], ["ZF001"], 2, 3, set(), algorithm=algorithm)
    assert info.value.enterprise_id == eid
    assert isinstance(info.value, DrawError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_assign_teams_load_is_shared(algorithm: str) -> None:
    # One inspector, max 1 job: the second enterprise cannot be staffed.
    with pytest.raises(UnstaffableError, match="E2"):
        assign_teams("s", ["E1", "E2"], ["ZF001"], 1, 1, set(), algorithm=algorithm)


def test_assign_teams_refuses_an_unknown_algorithm() -> None:
    with pytest.raises(RecordError) as info:
        assign_teams("s", ["E1"], ["ZF001", "ZF002"], 2, 1, set(), algorithm="ssj-draw-9")
    assert str(info.value) == "algorithm 'ssj-draw-9' is unknown: this verifier replays 'ssj-draw-1' and 'ssj-draw-2'"


# --------------------------------------------------------------------------- candidate orders


def test_candidate_order_v1_is_the_ticket_order() -> None:
    pool = [f"ZF{k:03d}" for k in range(20)]
    expected = sorted(pool, key=lambda c: (ticket("seed", "team", "E1", c), c))
    assert list(candidate_order(ALGORITHM_V1, "seed", "E1", pool)) == expected


@settings(max_examples=200, deadline=None)
@given(
    seed=st.text(max_size=40),
    enterprise=st.text(alphabet=st.sampled_from("AB9|é抽\U0001f600"), min_size=1, max_size=6),
    pool=st.lists(
        st.text(alphabet=st.sampled_from("Z9é抽\U0001f600a"), min_size=1, max_size=5), max_size=30, unique=True
    ),
)
def test_candidate_order_v2_is_the_literal_fisher_yates(seed: str, enterprise: str, pool: list[str]) -> None:
    order = list(candidate_order(ALGORITHM_V2, seed, enterprise, pool))
    assert order == reference_order_v2(seed, enterprise, pool)
    assert sorted(order) == sorted(pool)


def test_candidate_order_v2_is_lazy() -> None:
    """The first candidates of a 400-inspector pool cost as many hashes, not 400."""
    pool = [f"ZF{k:03d}" for k in range(400)]
    first = candidate_order(ALGORITHM_V2, "seed", "E1", pool)
    assert [next(first) for _ in range(3)] == reference_order_v2("seed", "E1", pool)[:3]


def test_candidate_order_refuses_an_unknown_algorithm() -> None:
    with pytest.raises(RecordError, match="'ssj-draw-0' is unknown"):
        candidate_order("ssj-draw-0", "seed", "E1", ["ZF001"])


# --------------------------------------------------------------------------- equivalence with the definition

# The module computes tickets as digests with a shared hash prefix (see its comments). These reference
# functions are DESIGN §4 read literally, with integer tickets; the fast ones must agree on every input.


def reference_rank(seed: str, label: str, members: list[tuple[str, int]], count: int):
    keyed = sorted((min(ticket(seed, label, i, j) for j in range(1, w + 1)), i) for i, w in members)
    ids = [i for _key, i in keyed]
    return ids[:count], ids[count:]


def reference_order_v2(seed, e, pool):
    """DESIGN §4's ssj-draw-2 order read literally: the whole Fisher–Yates shuffle of the sorted pool."""
    p = sorted(pool)
    n = len(p)
    for k in range(n):
        r = k + ticket(seed, "team", e, k) % (n - k)
        p[k], p[r] = p[r], p[k]
    return p


def reference_teams(seed, selected, pool, team_size, max_per_inspector, exclusions, algorithm=ALGORITHM_V1):
    load = dict.fromkeys(pool, 0)
    teams = {}
    for e in selected:
        team = []
        if algorithm == ALGORITHM_V2:
            order = reference_order_v2(seed, e, pool)
        else:
            order = sorted(pool, key=lambda i: (ticket(seed, "team", e, i), i))
        for code in order:
            if len(team) < team_size and (e, code) not in exclusions and load[code] < max_per_inspector:
                team.append(code)
        if len(team) < team_size:
            raise UnstaffableError(e, len(team), team_size)
        for code in team:
            load[code] += 1
        teams[e] = team
    return teams


# Ids that stress the byte-level ordering: shared prefixes, one a prefix of another, non-ASCII, "|".
tricky_ids = st.text(alphabet=st.sampled_from("AB9|é抽\U0001f600"), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.text(max_size=80),
    label=st.text(min_size=1, max_size=30),
    members=st.lists(
        st.tuples(st.one_of(tricky_ids, st.text(min_size=1, max_size=20)), st.integers(1, 6)),
        max_size=30,
        unique_by=lambda m: m[0],
    ),
    count=st.integers(0, 35),
)
def test_rank_stratum_equals_the_literal_definition(seed, label, members, count) -> None:
    assert rank_stratum(seed, label, members, count) == reference_rank(seed, label, members, count)


@settings(max_examples=300, deadline=None)
@given(
    algorithm=st.sampled_from(ALGORITHMS),
    seed=st.text(max_size=80),
    enterprises=st.lists(st.one_of(tricky_ids, st.text(min_size=1, max_size=20)), max_size=12, unique=True),
    pool=st.lists(st.one_of(tricky_ids, st.text(min_size=1, max_size=8)), min_size=1, max_size=24, unique=True),
    team_size=st.integers(1, 4),
    max_per_inspector=st.integers(1, 5),
    data=st.data(),
)
def test_assign_teams_equals_the_literal_definition(
    algorithm, seed, enterprises, pool, team_size, max_per_inspector, data
) -> None:
    # Pools larger than the first window (team size + 8) with many exclusions force the full sort.
    pairs = [(e, i) for e in enterprises for i in pool]
    exclusions = set(data.draw(st.lists(st.sampled_from(pairs), max_size=40))) if pairs else set()
    args = (seed, enterprises, pool, team_size, max_per_inspector, exclusions)
    try:
        expected = reference_teams(*args, algorithm=algorithm)
    except UnstaffableError as exc:
        with pytest.raises(UnstaffableError) as info:
            assign_teams(*args, algorithm=algorithm)
        assert (info.value.enterprise_id, info.value.found, info.value.needed) == (
            exc.enterprise_id,
            exc.found,
            exc.needed,
        )
        return
    assert assign_teams(*args, algorithm=algorithm) == expected


def test_the_fast_path_agrees_beyond_the_first_window() -> None:
    """30 inspectors, the first ten of every enterprise's order excluded: only the full sort finds the team."""
    pool = [f"ZF{k:03d}" for k in range(30)]
    enterprises = [f"9141{k:014d}" for k in range(6)]
    exclusions = {
        (e, code) for e in enterprises for code in sorted(pool, key=lambda i: (ticket("窗口", "team", e, i), i))[:10]
    }
    teams = assign_teams("窗口", enterprises, pool, 2, 2, exclusions, algorithm=ALGORITHM_V1)
    assert teams == reference_teams("窗口", enterprises, pool, 2, 2, exclusions)
    assert all(not {(e, c) for c in team} & exclusions for e, team in teams.items())


# --------------------------------------------------------------------------- validation


def _mutate(path: list[Any], value: Any) -> dict[str, Any]:
    record = copy.deepcopy(small_record())
    target = record
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return record


_DELETE = object()
_DUP_ID = "91411034950866879N"  # members[1] of the small vector

BAD_RECORDS = [
    (
        ["algorithm"],
        "ssj-draw-0",
        "algorithm 'ssj-draw-0' is unknown: this verifier replays 'ssj-draw-1' and 'ssj-draw-2'",
    ),
    (["algorithm"], _DELETE, "algorithm is missing"),
    (["seed"], "", "seed must be a non-empty string"),
    (["strata"], [], "strata must be a non-empty list"),
    (["strata", 0, "label"], "", "strata[0].label"),
    (["strata", 0, "count"], -1, "strata[0].count must be an integer >= 0"),
    (["strata", 0, "count"], True, "strata[0].count must be an integer >= 0"),
    (["strata", 0, "count"], 2.0, "strata[0].count must be an integer >= 0"),
    (
        ["strata", 0, "members", 3, "weight"],
        0,
        "strata[0].members[3].weight must be an integer",
    ),
    (
        ["strata", 0, "members", 3, "weight"],
        "1",
        "strata[0].members[3].weight must be an integer",
    ),
    (["strata", 0, "members", 3, "id"], _DUP_ID, "strata[0].members[3].id"),
    (
        ["strata", 0, "members", 2, "id"],
        7,
        "strata[0].members[2].id must be a non-empty string",
    ),
    (["inspectors"], _DELETE, "inspectors is missing"),
    (["inspectors", "pool"], ["ZF001", "ZF001"], "inspectors.pool[1]"),
    (["inspectors", "team_size"], 0, "inspectors.team_size must be an integer >= 2"),
    (["inspectors", "max_per_inspector"], False, "inspectors.max_per_inspector"),
    (["inspectors", "exclusions"], [["E1"]], "inspectors.exclusions[0]"),
    (["inspectors", "exclusions"], _DELETE, "inspectors.exclusions is missing"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_RECORDS)
def test_validate_record_rejects(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(RecordError) as info:
        validate_record(_mutate(path, value))
    assert message in str(info.value)


def test_validate_record_rejects_duplicates_across_strata_and_labels() -> None:
    record = small_record()
    first = record["strata"][0]
    record["strata"].append(
        {
            "label": "other",
            "count": 1,
            "members": [{"id": first["members"][0]["id"], "weight": 1}],
        }
    )
    with pytest.raises(RecordError, match=r"strata\[1\]\.members\[0\]\.id .* is in two strata"):
        validate_record(record)
    record["strata"][1] = {"label": first["label"], "count": 0, "members": []}
    with pytest.raises(RecordError, match=r"strata\[1\]\.label .* duplicated"):
        validate_record(record)


def test_validate_record_rejects_non_object() -> None:
    with pytest.raises(RecordError, match="must be an object"):
        validate_record([])  # type: ignore[arg-type]


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_validate_record_accepts_vectors(name: str) -> None:
    validate_record(load_vector(name)[0])
    assert load_vector(name)[0]["algorithm"] == (ALGORITHM_V2 if name.startswith("v2-") else ALGORITHM_V1)


# --------------------------------------------------------------------------- verifier CLI


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_verify_cli_reproduces_vector(name: str) -> None:
    proc = run_verify(str(VECTORS / f"{name}.record.json"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == load_vector(name)[1]
    assert proc.stderr == ""


def test_verify_cli_reads_stdin() -> None:
    record, expected = load_vector("small-unweighted")
    proc = run_verify("-", stdin=json.dumps(record))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == expected


CLI_BAD_RECORDS = [
    (
        ["algorithm"],
        "ssj-draw-3",
        "algorithm 'ssj-draw-3' is unknown: this verifier replays 'ssj-draw-1' and 'ssj-draw-2'",
    ),
    (["strata", 0, "members", 3, "weight"], 0, "strata[0].members[3].weight"),
    (["strata", 0, "members", 3, "weight"], "1", "strata[0].members[3].weight"),
    (["strata", 0, "members", 3, "id"], _DUP_ID, "twice in strata[0]"),
    (["inspectors"], _DELETE, "inspectors is missing"),
    (["inspectors", "team_size"], 1, "inspectors.team_size must be an integer >= 2"),
    (["inspectors", "exclusions"], [["E1", "ZF999"]], "inspectors.exclusions[0] names inspector 'ZF999'"),
]


@pytest.mark.parametrize(("path", "value", "message"), CLI_BAD_RECORDS)
def test_verify_cli_rejects_malformed(tmp_path: Path, path: list[Any], value: Any, message: str) -> None:
    record_file = tmp_path / "record.json"
    record_file.write_text(json.dumps(_mutate(path, value)), encoding="utf-8")
    proc = run_verify(str(record_file))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ")
    assert message in proc.stderr


def test_verify_cli_rejects_invalid_json(tmp_path: Path) -> None:
    record_file = tmp_path / "broken.json"
    record_file.write_text('{"algorithm": "ssj-draw-1",', encoding="utf-8")
    proc = run_verify(str(record_file))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "not valid JSON" in proc.stderr


def test_verify_cli_rejects_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    proc = run_verify(str(missing))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "cannot read" in proc.stderr
    assert "nope.json" in proc.stderr


def test_verify_cli_unstaffable(tmp_path: Path) -> None:
    record = small_record()
    record["inspectors"].update(pool=["ZF001"], team_size=2, exclusions=[])
    record_file = tmp_path / "record.json"
    record_file.write_text(json.dumps(record), encoding="utf-8")
    proc = run_verify(str(record_file))
    first_selected = load_vector("small-unweighted")[1]["strata"][0]["selected"][0]
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert first_selected in proc.stderr and "found 1 of 2" in proc.stderr


# --------------------------------------------------------------------------- stdlib only


@pytest.mark.parametrize("module", ["__init__.py", "algorithm.py", "verify.py"])
def test_modules_import_only_stdlib(module: str) -> None:
    tree = ast.parse((REPO / "sampling" / module).read_text(encoding="utf-8"))
    allowed_local = {"sampling", "sampling.algorithm"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}: relative import"
            names = [node.module or ""]
        else:
            continue
        for name in names:
            if name in allowed_local:
                continue
            assert name.split(".")[0] in sys.stdlib_module_names, f"{module} imports {name}"


def test_verify_runs_without_site_packages() -> None:
    """With -S (no site-packages) Django and friends are unavailable; the verifier still works."""
    probe = subprocess.run(
        [sys.executable, "-S", "-E", "-c", "import django"],
        capture_output=True,
        check=False,
        cwd=REPO,
    )
    if probe.returncode == 0:
        pytest.skip("django importable even without site-packages; isolation not testable")
    record_path = VECTORS / "two-strata-weighted.record.json"
    proc = run_verify(str(record_path), python_flags=("-S", "-E"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == load_vector("two-strata-weighted")[1]


def test_validate_record_refuses_huge_weight():
    record = json.loads((VECTORS / "small-unweighted.record.json").read_text())
    record["strata"][0]["members"][0]["weight"] = 10**9
    with pytest.raises(RecordError, match=r"strata\[0\]\.members\[0\]\.weight must be at most 1000"):
        validate_record(record)


# --------------------------------------------------------------------------- records the rules forbid (exact messages)


def v2_record() -> dict[str, Any]:
    return load_vector("v2-small-unweighted")[0]


def _refusal(record: dict[str, Any]) -> str:
    with pytest.raises(RecordError) as info:
        replay(record)
    return str(info.value)


@pytest.mark.parametrize("make", [small_record, v2_record])
def test_refuses_a_team_below_two(make) -> None:
    record = make()
    record["inspectors"]["team_size"] = 1
    assert _refusal(record) == "inspectors.team_size must be an integer >= 2"


@pytest.mark.parametrize("value", [0, -3])
def test_refuses_max_per_inspector_below_one(value: int) -> None:
    record = v2_record()
    record["inspectors"]["max_per_inspector"] = value
    assert _refusal(record) == "inspectors.max_per_inspector must be an integer >= 1"


def test_refuses_a_pool_code_listed_twice() -> None:
    record = v2_record()
    record["inspectors"]["pool"].append("ZF003")
    assert _refusal(record) == "inspectors.pool[6] 'ZF003' is duplicated"


def test_refuses_an_enterprise_twice_in_one_stratum() -> None:
    record = v2_record()
    members = record["strata"][0]["members"]
    members.append(dict(members[2]))
    assert _refusal(record) == (
        "strata[0].members[12].id '91411063534621880T' is twice in strata[0] (also at strata[0].members[2])"
    )


def test_refuses_an_enterprise_in_two_strata() -> None:
    record = v2_record()
    record["strata"].append(
        {"label": "2021Q1/general", "count": 1, "members": [{"id": "91411063534621880T", "weight": 1}]}
    )
    assert _refusal(record) == (
        "strata[1].members[0].id '91411063534621880T' is in two strata (also at strata[0].members[2])"
    )


def test_refuses_a_count_below_zero() -> None:
    record = v2_record()
    record["strata"][0]["count"] = -1
    assert _refusal(record) == "strata[0].count must be an integer >= 0"


@pytest.mark.parametrize("make", [small_record, v2_record])
def test_accepts_a_count_of_zero(make) -> None:
    record = make()
    moved = record["strata"][0]["members"].pop()
    record["strata"].append({"label": "2021Q1/special", "count": 0, "members": [moved]})
    result = replay(record)
    assert result["strata"][1] == {"label": "2021Q1/special", "selected": [], "reserve": [moved["id"]]}
    assert len(result["teams"]) == 4


def test_refuses_an_exclusion_outside_the_pool() -> None:
    record = v2_record()
    record["inspectors"]["exclusions"].append(["91411063534621880T", "ZF099"])
    assert _refusal(record) == "inspectors.exclusions[3] names inspector 'ZF099', who is not in inspectors.pool"


@pytest.mark.parametrize("name", ["ssj-draw-3", "SSJ-DRAW-2", "", None])
def test_refuses_an_unknown_algorithm_naming_the_known(name) -> None:
    record = v2_record()
    record["algorithm"] = name
    assert _refusal(record) == f"algorithm {name!r} is unknown: this verifier replays 'ssj-draw-1' and 'ssj-draw-2'"


def test_a_v1_record_keeps_replaying_with_v1() -> None:
    record, expected = load_vector("small-unweighted")
    assert record["algorithm"] == "ssj-draw-1"
    assert replay(record) == expected
    record["algorithm"] = "ssj-draw-2"
    v2 = replay(record)
    assert v2["algorithm"] == "ssj-draw-2" and v2["strata"] == expected["strata"] and v2["teams"] != expected["teams"]


def _published(record: dict) -> dict:
    """A record with the ceremony's published facts, computed here by hand (not by the code under test)."""

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def canon(obj) -> str:
        return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    nonce, witness = "a" * 64, "12 34 56"
    pool = sha(canon(record["strata"]))
    return {
        **record,
        "nonce": nonce,
        "nonce_hash": sha(nonce),
        "pool_hash": pool,
        "inspectors_hash": sha(canon(record["inspectors"])),
        "witness_input": witness,
        "seed": sha(f"{pool}|{nonce}|{witness}"),
    }


def test_record_checks_hold_for_a_published_record_and_each_fails_alone_when_its_fact_is_tampered():
    record = _published(json.loads((VECTORS / "v2-small-unweighted.record.json").read_text()))
    assert record_checks(record) == [("nonce", True), ("pool", True), ("inspectors", True), ("seed", True)]
    tampered = {
        "nonce": {**record, "nonce": "b" * 64},
        "pool": {**record, "strata": [{**record["strata"][0], "count": record["strata"][0]["count"] + 1}]},
        "inspectors": {**record, "inspectors": {**record["inspectors"], "max_per_inspector": 99}},
        "seed": {**record, "witness_input": "65 43 21"},
    }
    for name, bad in tampered.items():
        failed = [check for check, holds in record_checks(bad) if not holds]
        # the nonce also feeds the seed, the pool too: the check named first is the one that was tampered
        assert failed[0] == name, (name, failed)


# --------------------------------------------------------------------------- exact messages and edges (mutation testing)

EXACT_BAD_RECORDS = [
    ([], "seed", "record must be an object"),
    (["algorithm"], _DELETE, "algorithm is missing"),
    (["seed"], _DELETE, "seed is missing"),
    (["seed"], "", "seed must be a non-empty string"),
    (["strata"], "x", "strata must be a list"),
    (["strata", 0], 5, "strata[0] must be an object"),
    (["strata", 0, "count"], _DELETE, "strata[0].count is missing"),
    (["strata", 0, "members"], {}, "strata[0].members must be a list"),
    (["strata", 0, "members", 1], "x", "strata[0].members[1] must be an object"),
    (["strata", 0, "members", 1, "weight"], _DELETE, "strata[0].members[1].weight is missing"),
    (["strata", 0, "members", 1, "id"], "", "strata[0].members[1].id must be a non-empty string"),
    (["strata", 0, "members", 1, "weight"], 1001, "strata[0].members[1].weight must be at most 1000"),
    (["inspectors"], [], "inspectors must be an object"),
    (["inspectors", "pool"], "ZF001", "inspectors.pool must be a list"),
    (["inspectors", "pool"], ["ZF001", ""], "inspectors.pool[1] must be a non-empty string"),
    (["inspectors", "max_per_inspector"], 0, "inspectors.max_per_inspector must be an integer >= 1"),
    (["inspectors", "exclusions"], "x", "inspectors.exclusions must be a list"),
]


@pytest.mark.parametrize(("path", "value", "message"), EXACT_BAD_RECORDS)
def test_validate_record_names_the_bad_field_exactly(path: list[Any], value: Any, message: str) -> None:
    record = [] if path == [] else _mutate(path, value)
    with pytest.raises(RecordError) as info:
        validate_record(record)
    assert str(info.value) == message


def test_validate_record_accepts_one_draw_per_inspector_and_the_largest_weight() -> None:
    record = small_record()
    record["inspectors"]["max_per_inspector"] = 1
    record["strata"][0]["members"][1]["weight"] = 1000
    validate_record(record)  # no error


def test_a_duplicate_of_the_largest_weight_is_named_as_a_duplicate() -> None:
    record = small_record()
    first = record["strata"][0]["members"][0]["id"]
    record["strata"][0]["members"][1].update(id=first, weight=1000)
    with pytest.raises(RecordError) as info:
        validate_record(record)
    assert str(info.value) == f"strata[0].members[1].id {first!r} is twice in strata[0] (also at strata[0].members[0])"


def _sha_int(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


def test_member_key_takes_the_tickets_one_to_weight_and_no_other() -> None:
    # For E9 the ticket j=0 is below j=1 and j=2 is below j=1, j=3 above j=2: a range off by one shows.
    t1, t2 = _sha_int("seed|key|E9|1"), _sha_int("seed|key|E9|2")
    assert (
        member_key("seed", "key", "E9", 1) == t1 == 0x1FD68088A9444770CC30C56805E22F25E44DCE8BF3DBF219188099D3C1B57E92
    )
    assert (
        member_key("seed", "key", "E9", 2) == t2 == 0x19C912F43E23C5A4516A7349179D01CEC4A4EDA3D0F327881FD0ADC73082D469
    )


@pytest.mark.parametrize("weight", [0, True, 1.5])
def test_member_key_refuses_a_weight_naming_the_member(weight) -> None:
    with pytest.raises(DrawError) as info:
        member_key("seed", "key", "E9", weight)
    assert str(info.value) == f"weight of E9 must be an integer >= 1, got {weight!r}"


def test_rank_stratum_refuses_a_weight_naming_the_member() -> None:
    with pytest.raises(DrawError) as info:
        rank_stratum("seed", "key", [("E1", 1), ("E2", 0)], 1)
    assert str(info.value) == "weight of E2 must be an integer >= 1, got 0"


def test_make_record_has_exactly_the_keys_replay_reads() -> None:
    record = make_record(algorithm="ssj-draw-2", seed="s", strata=[{"label": "a"}], inspectors={"pool": []})
    assert record == {"algorithm": "ssj-draw-2", "seed": "s", "strata": [{"label": "a"}], "inspectors": {"pool": []}}


def test_unstaffable_error_keeps_what_was_found_and_needed() -> None:
    error = UnstaffableError("E1", found=1, needed=2)
    assert (error.enterprise_id, error.found, error.needed, str(error)) == (
        "E1",
        1,
        2,
        "Not enough eligible inspectors for enterprise E1: found 1 of 2",
    )
    assert str(UnstaffableError("E1", found=1)) == "Not enough eligible inspectors for enterprise E1"
    assert str(UnstaffableError("E1", needed=2)) == "Not enough eligible inspectors for enterprise E1"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            ("E9", "ZF001"),
            "inspectors.exclusions[7] must be a pair [enterprise_id, inspector_code] of non-empty strings",
        ),
        (["E9", ""], "inspectors.exclusions[7] must be a pair [enterprise_id, inspector_code] of non-empty strings"),
        (["", "ZF001"], "inspectors.exclusions[7] must be a pair [enterprise_id, inspector_code] of non-empty strings"),
        ([9, "ZF001"], "inspectors.exclusions[7] must be a pair [enterprise_id, inspector_code] of non-empty strings"),
        (
            ["E9", "ZF001", "x"],
            "inspectors.exclusions[7] must be a pair [enterprise_id, inspector_code] of non-empty strings",
        ),
        (["E9", "ZZ999"], "inspectors.exclusions[7] names inspector 'ZZ999', who is not in inspectors.pool"),
    ],
)
def test_a_bad_pair_among_many_exclusions_is_named_exactly(bad, message) -> None:
    """Many valid pairs are accepted with whole-list checks; one bad pair among them is still named by its index."""
    record = small_record()
    pool = record["inspectors"]["pool"]
    pairs = [[f"E{i}", pool[i % len(pool)]] for i in range(12)]
    record["inspectors"]["exclusions"] = pairs
    validate_record(record)  # no error
    pairs[7] = bad
    pairs[9] = ["E9", "ZZ998"]  # a later bad pair is not the one named
    with pytest.raises(RecordError) as info:
        validate_record(record)
    assert str(info.value) == message


# --------------------------------------------------------------------------- the whole-list checks
#
# validate_record first checks the strata and the exclusions with whole-list operations (_strata_valid,
# _exclusions_valid: a province has 200,000 members and tens of thousands of exclusions); only if they are
# not sure does the walk run, member by member and pair by pair, naming the first bad field. The whole-list
# checks must never accept what the walk refuses (each refusal below has exactly one bad field, so nothing
# else sends the record to the walk), and must accept every valid record (else every record pays the walk).


def _stratum(label: str, count: int, members: list[tuple[str, Any]]) -> dict[str, Any]:
    return {"label": label, "count": count, "members": [{"id": i, "weight": w} for i, w in members]}


VALID_STRATA = {
    "weights 1 and 1000": [_stratum("a", 1, [("E1", 1), ("E2", 1000)])],
    "a count of 0": [_stratum("a", 0, [("E1", 1)])],
    "a count above the members": [_stratum("a", 5, [("E1", 2)])],
    "an empty stratum first": [_stratum("a", 1, []), _stratum("b", 1, [("E1", 1)])],
    "one empty stratum only": [_stratum("a", 0, [])],
    "three strata": [
        _stratum("a", 1, [("E1", 1), ("E2", 3)]),
        _stratum("b", 2, [("E3", 1000)]),
        _stratum("c", 0, [("E4", 1), ("E5", 1)]),
    ],
}
POOL = ["ZF001", "ZF002", "ZF003"]
VALID_EXCLUSIONS = {
    "none": [],
    "some": [["E1", "ZF001"], ["E1", "ZF002"], ["E2", "ZF001"]],
    "of every inspector": [["E1", "ZF001"], ["E2", "ZF002"], ["E3", "ZF003"]],
}


def _record(strata: list[dict[str, Any]], exclusions: list[Any]) -> dict[str, Any]:
    inspectors = {"pool": list(POOL), "team_size": 2, "max_per_inspector": 3, "exclusions": exclusions}
    return make_record(algorithm=ALGORITHM, seed="ab" * 32, strata=strata, inspectors=inspectors)


@pytest.mark.parametrize("strata_shape", sorted(VALID_STRATA))
@pytest.mark.parametrize("exclusions_shape", sorted(VALID_EXCLUSIONS))
def test_the_whole_list_check_accepts_every_valid_record_without_the_member_walk(
    strata_shape: str, exclusions_shape: str, monkeypatch
) -> None:
    strata = copy.deepcopy(VALID_STRATA[strata_shape])
    exclusions = copy.deepcopy(VALID_EXCLUSIONS[exclusions_shape])
    assert algorithm_module._strata_valid(strata) is True
    assert algorithm_module._exclusions_valid(exclusions, set(POOL)) is True

    def walked(*args: Any) -> None:
        raise AssertionError("the walk ran on a valid record")

    monkeypatch.setattr(algorithm_module, "_check_strata", walked)
    monkeypatch.setattr(algorithm_module, "_check_exclusions", walked)
    validate_record(_record(strata, exclusions))  # no error, no walk


@pytest.mark.parametrize("strata_shape", sorted(VALID_STRATA))
def test_the_member_walk_passes_each_valid_member_by_its_fast_test(strata_shape: str, monkeypatch) -> None:
    """The walk (run when a record has a bad field somewhere) takes a valid member by one inline test, not by
    the checks that name a field: reaching the bad field among 200,000 members stays fast."""
    objects: list[str] = []
    require_object = algorithm_module._require_object

    def recording(value: Any, path: str) -> Any:
        objects.append(path)
        return require_object(value, path)

    monkeypatch.setattr(algorithm_module, "_require_object", recording)
    algorithm_module._check_strata(copy.deepcopy(VALID_STRATA[strata_shape]))  # no error
    assert objects == [f"strata[{s}]" for s in range(len(VALID_STRATA[strata_shape]))]


def _two_strata_the_second_bad(first: dict[str, Any], bad_member: Any) -> list[dict[str, Any]]:
    return [first, {"label": "b", "count": 1, "members": [{"id": "E7", "weight": 1}, bad_member]}]


@pytest.mark.parametrize(
    ("strata", "message"),
    [
        ({"label": "a", "count": 1, "members": []}, "strata must be a list"),
        ([], "strata must be a non-empty list"),
        ([_stratum("a", 1, [("E1", 1)]), "b"], "strata[1] must be an object"),
        ([{"label": 5, "count": 1, "members": []}], "strata[0].label must be a non-empty string"),
        ([_stratum("a", 1, []), _stratum("a", 1, [])], "strata[1].label 'a' is duplicated"),
        ([_stratum("a", -1, [("E1", 1)])], "strata[0].count must be an integer >= 0"),
        ([_stratum("a", True, [("E1", 1)])], "strata[0].count must be an integer >= 0"),
        ([{"label": "a", "count": 1, "members": {"id": "E1", "weight": 1}}], "strata[0].members must be a list"),
        ([_stratum("a", 1, [("E1", 1), ("E2", 0)])], "strata[0].members[1].weight must be an integer >= 1"),
        ([_stratum("a", 1, [("E1", 1), ("E2", 1001)])], "strata[0].members[1].weight must be at most 1000"),
        ([_stratum("a", 1, [("E1", 1), ("E2", True)])], "strata[0].members[1].weight must be an integer >= 1"),
        ([_stratum("a", 1, [("E1", 1), ("E2", 1.0)])], "strata[0].members[1].weight must be an integer >= 1"),
        ([_stratum("a", 1, [("E1", 1), ("", 1)])], "strata[0].members[1].id must be a non-empty string"),
        ([_stratum("a", 1, [("E1", 1), (7, 1)])], "strata[0].members[1].id must be a non-empty string"),
        (
            [{"label": "a", "count": 1, "members": [{"id": "E1", "weight": 1}, {"weight": 1}]}],
            "strata[0].members[1].id is missing",
        ),
        (
            [{"label": "a", "count": 1, "members": [{"id": "E1", "weight": 1}, ["E2", 1]]}],
            "strata[0].members[1] must be an object",
        ),
        # a member of the first stratum again in a later, larger one: the union is as large as the later one
        (
            [_stratum("a", 1, [("E1", 1)]), _stratum("b", 1, [("E1", 1), ("E2", 1)])],
            "strata[1].members[0].id 'E1' is in two strata (also at strata[0].members[0])",
        ),
        # an empty stratum, or one with a count of 0, before the bad field: the check goes on past them
        (
            _two_strata_the_second_bad(_stratum("a", 1, []), {"id": "E8", "weight": 0}),
            "strata[1].members[1].weight must be an integer >= 1",
        ),
        (
            _two_strata_the_second_bad(_stratum("a", 0, [("E1", 1)]), {"id": "E8", "weight": 1001}),
            "strata[1].members[1].weight must be at most 1000",
        ),
        (
            _two_strata_the_second_bad(_stratum("a", 0, []), {"id": "E7", "weight": 1}),
            "strata[1].members[1].id 'E7' is twice in strata[1] (also at strata[1].members[0])",
        ),
    ],
)
def test_a_record_with_one_bad_strata_field_is_refused_naming_it(strata: Any, message: str) -> None:
    with pytest.raises(RecordError) as info:
        validate_record(_record(strata, []))
    assert str(info.value) == message


PAIR_MESSAGE = "inspectors.exclusions[2] must be a pair [enterprise_id, inspector_code] of non-empty strings"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("EZ", PAIR_MESSAGE),  # two characters, the second an inspector of the pool
        ({0: "E9", 1: "ZF001"}, PAIR_MESSAGE),  # two keys, read by [0] and [1] as a pair would be
        (("E9", "ZF001"), PAIR_MESSAGE),
        (["E9", "ZF001", "ZF002"], PAIR_MESSAGE),
        (["E9"], PAIR_MESSAGE),
        ([9, "ZF001"], PAIR_MESSAGE),
        (["", "ZF001"], PAIR_MESSAGE),
        (["E9", ""], PAIR_MESSAGE),
        ([["E9"], "ZF001"], PAIR_MESSAGE),  # unhashable: refused, not a TypeError
        (["E9", ["ZF001"]], PAIR_MESSAGE),
        (["E9", "ZF009"], "inspectors.exclusions[2] names inspector 'ZF009', who is not in inspectors.pool"),
    ],
)
def test_one_bad_exclusion_among_valid_ones_is_refused_naming_it(bad: Any, message: str) -> None:
    record = _record([_stratum("a", 1, [("E1", 1)])], [["E1", "ZF001"], ["E2", "Z"], bad])
    record["inspectors"]["pool"].append("Z")
    with pytest.raises(RecordError) as info:
        validate_record(record)
    assert str(info.value) == message


@pytest.mark.parametrize("exclusions", [{}, None, "", {"E1": "ZF001"}, ("E1", "ZF001")])
def test_exclusions_that_are_not_a_list_are_refused(exclusions: Any) -> None:
    with pytest.raises(RecordError) as info:
        validate_record(_record([_stratum("a", 1, [("E1", 1)])], exclusions))
    assert str(info.value) == "inspectors.exclusions must be a list"


def test_a_member_id_of_a_str_subclass_is_checked_and_its_duplicate_named() -> None:
    """A caller in Python may pass str subclasses (JSON never does): the walk's full checks take them."""

    class Code(str):
        pass

    with pytest.raises(RecordError) as info:
        validate_record(_record([_stratum("a", 1, [(Code("E1"), 1), ("E2", 1), ("E1", 1)])], []))
    assert str(info.value) == "strata[0].members[2].id 'E1' is twice in strata[0] (also at strata[0].members[0])"
