"""The published draw algorithm ``ssj-draw-1`` (shared/DESIGN.md section 4).

This module is deliberately pure Python using only the standard library, so that anyone can
replay a draw from its public record without this project's software or Django installed.

Summary:

* ``ticket(seed, label, id, j)`` is SHA-256 of ``"seed|label|id|j"`` read as a big-endian integer.
* An enterprise of weight ``w`` holds tickets ``j = 1..w``; its key is its smallest ticket.
* In each stratum members are ordered by ``(key, id)``; the first ``count`` are selected and the
  rest, in order, form the reserve.
* For each selected enterprise ``e`` (stratum by stratum, in selection order) the inspector pool
  is ordered by ``(ticket(seed, "team", e, code), code)`` and the first ``team_size`` inspectors
  who are not excluded for ``e`` and are under ``max_per_inspector`` form its team.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from typing import Any

ALGORITHM = "ssj-draw-1"
TEAM_LABEL = "team"


class DrawError(ValueError):
    """Base class for every error raised by the draw algorithm."""


class RecordError(DrawError):
    """A draw record is malformed; the message names the offending field."""


class UnstaffableError(DrawError):
    """Not enough eligible inspectors could be found for an enterprise."""

    def __init__(self, enterprise_id: str, found: int | None = None, needed: int | None = None):
        self.enterprise_id = enterprise_id
        self.found = found
        self.needed = needed
        message = f"Not enough eligible inspectors for enterprise {enterprise_id}"
        if found is not None and needed is not None:
            message += f": found {found} of {needed}"
        super().__init__(message)


# --------------------------------------------------------------------------- primitives


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ticket(seed: str, label: str, id: str, j: int | str) -> int:
    """Return the ticket ``SHA-256(UTF-8(f"{seed}|{label}|{id}|{j}"))`` as a big-endian int."""
    digest = hashlib.sha256(f"{seed}|{label}|{id}|{j}".encode()).digest()
    return int.from_bytes(digest, "big")


# A record may come from anyone: bound the work a weight can ask for.
MAX_WEIGHT = 1000


def member_key(seed: str, label: str, id: str, weight: int) -> int:
    """Return a member's key: its smallest ticket over ``j = 1..weight`` (``weight >= 1``)."""
    _check_weight(id, weight)
    return min(ticket(seed, label, id, j) for j in range(1, weight + 1))


def _check_weight(id: str, weight: Any) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
        raise DrawError(f"weight of {id} must be an integer >= 1, got {weight!r}")


# How the functions below are fast without changing a single result (tests/sampling/test_algorithm.py
# compares them with a literal implementation of the definitions above):
#
# * A ticket is compared as its 32-byte digest: big-endian digests of one length order exactly as the
#   integers they encode. A digest followed by the UTF-8 bytes of the id orders exactly as (ticket, id),
#   because the digests have one length and UTF-8 byte order is code point order, which is str order.
# * Every ticket of a stratum (or of one enterprise's team) starts with the same text, so the hash state
#   after that prefix is computed once and copied: one SHA-256 block less per ticket.


def rank_stratum(seed: str, label: str, members: list[tuple[str, int]], count: int) -> tuple[list[str], list[str]]:
    """Order ``(id, weight)`` members by ``(key, id)``; return ``(selected, reserve)``.

    The first ``count`` ids are selected (all of them if ``count`` exceeds the number of
    members); the remaining ids, in order, are the reserve.
    """
    copy = hashlib.sha256(f"{seed}|{label}|".encode()).copy
    keyed: list[bytes] = []
    append = keyed.append
    for member_id, weight in members:
        raw = member_id.encode()
        if weight == 1 and type(weight) is int:  # the common case: one ticket
            state = copy()
            state.update(raw + b"|1")
            append(state.digest() + raw)
            continue
        _check_weight(member_id, weight)
        prefix = copy()
        prefix.update(raw + b"|")
        smallest = None
        for j in range(1, weight + 1):
            state = prefix.copy()
            state.update(str(j).encode())
            digest = state.digest()
            if smallest is None or digest < smallest:
                smallest = digest
        append(smallest + raw)
    keyed.sort()
    ids = [key[32:].decode() for key in keyed]
    return ids[:count], ids[count:]


def _team_keys(seed: str, enterprise: str, encoded_pool: list[bytes]) -> list[bytes]:
    """``ticket(seed, "team", enterprise, code)`` digest + code, for every code of the pool."""
    copy = hashlib.sha256(f"{seed}|{TEAM_LABEL}|{enterprise}|".encode()).copy
    keys: list[bytes] = []
    append = keys.append
    for raw in encoded_pool:
        state = copy()
        state.update(raw)
        append(state.digest() + raw)
    return keys


def team_window(team_size: int) -> int:
    """How many of an enterprise's first inspectors in ticket order are looked at before sorting them all."""
    return team_size + 8


def team_windows(seed: str, enterprises: list[str], pool: list[str], window: int) -> list[list[bytes]]:
    """For each enterprise, its ``window`` smallest ``ticket(seed, "team", e, code)`` digests + codes, in order.

    The costly part of :func:`assign_teams` (a SHA-256 per enterprise and inspector) and independent from
    one enterprise to the next, so it may be computed in parallel and handed to :func:`assign_teams`.
    """
    encoded = [code.encode() for code in pool]
    return [heapq.nsmallest(window, _team_keys(seed, enterprise, encoded)) for enterprise in enterprises]


def assign_teams(
    seed: str,
    selected_in_order: list[str],
    pool: list[str],
    team_size: int,
    max_per_inspector: int,
    exclusions: set[tuple[str, str]],
    windows: list[list[bytes]] | None = None,
) -> dict[str, list[str]]:
    """Assign an inspection team to each selected enterprise, in the given order.

    ``exclusions`` holds ``(enterprise_id, inspector_code)`` pairs that may not be combined.
    ``windows`` is ``team_windows(seed, selected_in_order, pool, team_window(team_size))``, computed here
    unless given (e.g. computed in parallel: the result is the same either way).
    Raises :class:`UnstaffableError` naming the first enterprise that cannot be staffed.
    """
    load = dict.fromkeys(pool, 0)
    encoded = [code.encode() for code in pool]
    code_of = dict(zip(encoded, pool, strict=True))
    excluded: dict[str, set[str]] = {}
    for enterprise, code in exclusions:
        excluded.setdefault(enterprise, set()).add(code)
    nobody: set[str] = set()
    teams: dict[str, list[str]] = {}
    # The first few inspectors in ticket order usually make the team; sort the whole pool only if not.
    window = team_window(team_size)
    if windows is None:
        windows = team_windows(seed, selected_in_order, pool, window)
    elif len(windows) != len(selected_in_order):
        raise ValueError("windows must hold one list per selected enterprise")

    def first_eligible(ordered: list[bytes], barred: set[str]) -> list[str]:
        team: list[str] = []
        for key in ordered:
            code = code_of[key[32:]]
            if code in barred or load[code] >= max_per_inspector:
                continue
            team.append(code)
            if len(team) == team_size:
                break
        return team

    for enterprise, head in zip(selected_in_order, windows, strict=True):
        barred = excluded.get(enterprise, nobody)
        team = first_eligible(head, barred)
        if len(team) < team_size and len(encoded) > window:
            team = first_eligible(sorted(_team_keys(seed, enterprise, encoded)), barred)
        if len(team) < team_size:
            raise UnstaffableError(enterprise, len(team), team_size)
        for code in team:
            load[code] += 1
        teams[enterprise] = team
    return teams


# --------------------------------------------------------------------------- seed ceremony


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` canonically: sorted keys, no whitespace, UTF-8 characters kept."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def pool_hash(strata: list[dict[str, Any]]) -> str:
    """Return the hex SHA-256 of the canonical JSON of the record's ``strata`` list."""
    return _sha256_hex(canonical_json(strata))


def derive_seed(pool_hash: str, nonce: str, witness_input: str) -> str:
    """Return the draw seed: hex SHA-256 of ``f"{pool_hash}|{nonce}|{witness_input}"``."""
    return _sha256_hex(f"{pool_hash}|{nonce}|{witness_input}")


def nonce_hash(nonce: str) -> str:
    """Return the hex SHA-256 of the server nonce, published before the ceremony."""
    return _sha256_hex(nonce)


# --------------------------------------------------------------------------- records


def _is_int(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _require_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordError(f"{path} must be an object")
    return value


def _require_list(value: Any, path: str, *, non_empty: bool = False) -> list[Any]:
    if not isinstance(value, list):
        raise RecordError(f"{path} must be a list")
    if non_empty and not value:
        raise RecordError(f"{path} must be a non-empty list")
    return value


def _require_keys(obj: dict[str, Any], path: str, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in obj:
            raise RecordError(f"{path}.{key} is missing" if path else f"{key} is missing")


def validate_record(record: dict[str, Any]) -> None:
    """Check a draw record's structure; raise :class:`RecordError` naming the bad field."""
    _require_object(record, "record")
    _require_keys(record, "", ("algorithm", "seed", "strata", "inspectors"))
    if record["algorithm"] != ALGORITHM:
        raise RecordError(f"algorithm must be {ALGORITHM!r}, got {record['algorithm']!r}")
    if not _is_text(record["seed"]):
        raise RecordError("seed must be a non-empty string")

    labels: set[str] = set()
    owner: dict[str, tuple[int, int]] = {}  # enterprise id -> (stratum, member) where first seen
    for s, stratum in enumerate(_require_list(record["strata"], "strata", non_empty=True)):
        path = f"strata[{s}]"
        _require_object(stratum, path)
        _require_keys(stratum, path, ("label", "count", "members"))
        label = stratum["label"]
        if not _is_text(label):
            raise RecordError(f"{path}.label must be a non-empty string")
        if label in labels:
            raise RecordError(f"{path}.label {label!r} is duplicated")
        labels.add(label)
        if not _is_int(stratum["count"], 0):
            raise RecordError(f"{path}.count must be an integer >= 0")
        for m, member in enumerate(_require_list(stratum["members"], f"{path}.members")):
            if type(member) is dict:  # the common, valid case first: a record may hold 200,000 members
                member_id, weight = member.get("id"), member.get("weight")
                if (
                    type(member_id) is str
                    and member_id
                    and type(weight) is int
                    and 1 <= weight <= MAX_WEIGHT
                    and member_id not in owner
                ):
                    owner[member_id] = (s, m)
                    continue
            mpath = f"{path}.members[{m}]"
            _require_object(member, mpath)
            _require_keys(member, mpath, ("id", "weight"))
            member_id = member["id"]
            if not _is_text(member_id):
                raise RecordError(f"{mpath}.id must be a non-empty string")
            if not _is_int(member["weight"], 1):
                raise RecordError(f"{mpath}.weight must be an integer >= 1")
            if member["weight"] > MAX_WEIGHT:
                raise RecordError(f"{mpath}.weight must be at most {MAX_WEIGHT}")
            if member_id in owner:
                first_s, first_m = owner[member_id]
                raise RecordError(
                    f"{mpath}.id {member_id!r} is duplicated (already at strata[{first_s}].members[{first_m}])"
                )
            owner[member_id] = (s, m)

    inspectors = _require_object(record["inspectors"], "inspectors")
    _require_keys(
        inspectors,
        "inspectors",
        ("pool", "team_size", "max_per_inspector", "exclusions"),
    )
    seen: set[str] = set()
    for i, code in enumerate(_require_list(inspectors["pool"], "inspectors.pool")):
        if not _is_text(code):
            raise RecordError(f"inspectors.pool[{i}] must be a non-empty string")
        if code in seen:
            raise RecordError(f"inspectors.pool[{i}] {code!r} is duplicated")
        seen.add(code)
    for key in ("team_size", "max_per_inspector"):
        if not _is_int(inspectors[key], 1):
            raise RecordError(f"inspectors.{key} must be an integer >= 1")
    for x, pair in enumerate(_require_list(inspectors["exclusions"], "inspectors.exclusions")):
        if not (isinstance(pair, list) and len(pair) == 2 and all(_is_text(p) for p in pair)):
            raise RecordError(
                f"inspectors.exclusions[{x}] must be a pair [enterprise_id, inspector_code] of non-empty strings"
            )


def replay(record: dict[str, Any], windows_of=None) -> dict[str, Any]:
    """Validate a draw record and recompute its outcome.

    Returns ``{"algorithm", "strata": [{"label", "selected", "reserve"}], "teams"}`` where
    ``teams`` maps each selected enterprise, in selection order, to its inspector codes.
    ``windows_of`` is called like :func:`team_windows` and defaults to it (e.g. to compute them in parallel).
    """
    validate_record(record)
    seed = record["seed"]
    strata_out: list[dict[str, Any]] = []
    all_selected: list[str] = []
    for stratum in record["strata"]:
        members = [(m["id"], m["weight"]) for m in stratum["members"]]
        selected, reserve = rank_stratum(seed, stratum["label"], members, stratum["count"])
        strata_out.append({"label": stratum["label"], "selected": selected, "reserve": reserve})
        all_selected.extend(selected)
    inspectors = record["inspectors"]
    windows = (windows_of or team_windows)(seed, all_selected, inspectors["pool"], team_window(inspectors["team_size"]))
    teams = assign_teams(
        seed,
        all_selected,
        inspectors["pool"],
        inspectors["team_size"],
        inspectors["max_per_inspector"],
        {(e, i) for e, i in inspectors["exclusions"]},
        windows,
    )
    return {"algorithm": ALGORITHM, "strata": strata_out, "teams": teams}
