"""The published draw algorithms ``ssj-draw-2`` (current) and ``ssj-draw-1`` (records published before).

The one source of these algorithms is their published text, docs/draw-algorithm.md (served on the
public site at /public/draws/algorithm/); this module implements it and nothing else. It is
deliberately pure Python using only the standard library, so that anyone can replay a draw from its
public record without this project's software or Django installed.

Summary (both versions):

* ``ticket(seed, label, id, j)`` is SHA-256 of ``"seed|label|id|j"`` read as a big-endian integer.
* An enterprise of weight ``w`` holds tickets ``j = 1..w``; its key is its smallest ticket.
* In each stratum members are ordered by ``(key, id)``; the first ``count`` are selected and the
  rest, in order, form the reserve.
* For each selected enterprise ``e`` (stratum by stratum, in selection order) its candidates are taken
  in order, skipping those excluded for ``e`` and those at ``max_per_inspector``, until ``team_size``
  are found. The candidate order (:func:`candidate_order`):

  - ``ssj-draw-2``: the pool sorted by code, shuffled by Fisher–Yates from the front, step ``k``
    swapping position ``k`` with ``k + ticket(seed, "team", e, k) mod (n - k)``; taken lazily.
  - ``ssj-draw-1``: the pool ordered by ``(ticket(seed, "team", e, code), code)``.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

ALGORITHM_V1 = "ssj-draw-1"
ALGORITHM_V2 = "ssj-draw-2"
ALGORITHM = ALGORITHM_V2  # the current version: every new draw uses it
ALGORITHMS = (ALGORITHM_V1, ALGORITHM_V2)  # every version ever published: all of them replay
TEAM_LABEL = "team"
MIN_TEAM_SIZE = 2  # at least two inspectors per enterprise (DESIGN section 3, rule 6)


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


def unknown_algorithm_message(name: Any) -> str:
    known = " and ".join(repr(a) for a in ALGORITHMS)
    return f"algorithm {name!r} is unknown: this verifier replays {known}"


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


# --------------------------------------------------------------------------- candidate orders


def _team_keys(seed: str, enterprise: str, encoded_pool: list[bytes]) -> list[bytes]:
    """``ticket(seed, "team", enterprise, code)`` digest + code, for every code of the pool (``ssj-draw-1``)."""
    copy = hashlib.sha256(f"{seed}|{TEAM_LABEL}|{enterprise}|".encode()).copy
    keys: list[bytes] = []
    append = keys.append
    for raw in encoded_pool:
        state = copy()
        state.update(raw)
        append(state.digest() + raw)
    return keys


def _order_v1(seed: str, enterprise: str, pool: list[str]) -> Iterator[str]:
    """``ssj-draw-1``: the pool ordered by ``(ticket(seed, "team", e, code), code)`` (one hash per inspector)."""
    for key in sorted(_team_keys(seed, enterprise, [code.encode() for code in pool])):
        yield key[32:].decode()


def _order_v2(seed: str, enterprise: str, ordered_pool: list[str]) -> Iterator[str]:
    """``ssj-draw-2``: Fisher–Yates from the front over ``ordered_pool`` (the pool sorted by code), lazily.

    Step ``k`` swaps position ``k`` with ``k + ticket(seed, "team", e, k) mod (n - k)`` and yields the
    inspector then at ``k``. The positions moved so far are kept in a dict, so ``k`` steps cost ``k``
    hashes and nothing is copied.
    """
    n = len(ordered_pool)
    copy = hashlib.sha256(f"{seed}|{TEAM_LABEL}|{enterprise}|".encode()).copy
    moved: dict[int, str] = {}
    for k in range(n):
        state = copy()
        state.update(str(k).encode())
        r = k + int.from_bytes(state.digest(), "big") % (n - k)
        at_k = moved.pop(k) if k in moved else ordered_pool[k]
        if r == k:
            yield at_k
            continue
        at_r = moved[r] if r in moved else ordered_pool[r]
        moved[r] = at_k
        yield at_r


def candidate_order(algorithm: str, seed: str, enterprise: str, pool: list[str]) -> Iterator[str]:
    """An enterprise's published candidate order (its inspectors, first candidate first) under ``algorithm``.

    A generator: for ``ssj-draw-2`` each further candidate costs one more hash, so take only what is needed.
    A substitution takes "the next eligible inspector in that enterprise's published candidate order" from it.
    """
    if algorithm == ALGORITHM_V2:
        return _order_v2(seed, enterprise, sorted(pool))
    if algorithm == ALGORITHM_V1:
        return _order_v1(seed, enterprise, pool)
    raise RecordError(unknown_algorithm_message(algorithm))


# --------------------------------------------------------------------------- teams


def _team_window(team_size: int) -> int:
    """``ssj-draw-1``: how many of an enterprise's first inspectors in ticket order are sorted before all of them."""
    return team_size + 8


def assign_teams(
    seed: str,
    selected_in_order: list[str],
    pool: list[str],
    team_size: int,
    max_per_inspector: int,
    exclusions: set[tuple[str, str]],
    *,
    algorithm: str = ALGORITHM,
) -> dict[str, list[str]]:
    """Assign an inspection team to each selected enterprise, in the given order.

    ``exclusions`` holds ``(enterprise_id, inspector_code)`` pairs that may not be combined.
    Raises :class:`UnstaffableError` naming the first enterprise that cannot be staffed.
    """
    if algorithm not in ALGORITHMS:
        raise RecordError(unknown_algorithm_message(algorithm))
    load = dict.fromkeys(pool, 0)
    excluded: dict[str, set[str]] = {}
    for enterprise, code in exclusions:
        excluded.setdefault(enterprise, set()).add(code)
    nobody: set[str] = set()
    teams: dict[str, list[str]] = {}

    def first_eligible(ordered, barred: set[str]) -> list[str]:
        team: list[str] = []
        for code in ordered:
            if code in barred or load[code] >= max_per_inspector:
                continue
            team.append(code)
            if len(team) == team_size:
                break
        return team

    if algorithm == ALGORITHM_V2:
        ordered_pool = sorted(pool)
        for enterprise in selected_in_order:
            team = first_eligible(_order_v2(seed, enterprise, ordered_pool), excluded.get(enterprise, nobody))
            if len(team) < team_size:
                raise UnstaffableError(enterprise, len(team), team_size)
            for code in team:
                load[code] += 1
            teams[enterprise] = team
        return teams

    # ssj-draw-1: one hash per inspector of the pool. The first few inspectors in ticket order usually make
    # the team, so only they are sorted (heapq.nsmallest); the whole pool is sorted only if not.
    encoded = [code.encode() for code in pool]
    window = _team_window(team_size)
    for enterprise in selected_in_order:
        barred = excluded.get(enterprise, nobody)
        keys = _team_keys(seed, enterprise, encoded)
        head = heapq.nsmallest(window, keys) if len(keys) > window else sorted(keys)
        team = first_eligible((key[32:].decode() for key in head), barred)
        if len(team) < team_size and len(keys) > window:
            team = first_eligible((key[32:].decode() for key in sorted(keys)), barred)
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


def inspectors_hash(inspectors: dict[str, Any]) -> str:
    """Return the hex SHA-256 of the canonical JSON of the record's ``inspectors`` object."""
    return _sha256_hex(canonical_json(inspectors))


def make_record(*, algorithm: str, seed: str, strata: list[dict[str, Any]], inspectors: dict[str, Any]) -> dict:
    """A draw's record as :func:`replay` reads it (a published record adds keys the replay ignores)."""
    return {"algorithm": algorithm, "seed": seed, "strata": strata, "inspectors": inspectors}


def record_checks(record: dict[str, Any]) -> list[tuple[str, bool]]:
    """The ceremony's facts recomputed from a published record: ``[(name, holds)]`` for the nonce (its hash
    was published before the ceremony), the pool and the inspector pool (their hashes too), and the seed
    (SHA-256 of pool hash, nonce and witness input)."""
    return [
        ("nonce", nonce_hash(record["nonce"]) == record["nonce_hash"]),
        ("pool", pool_hash(record["strata"]) == record["pool_hash"]),
        ("inspectors", inspectors_hash(record["inspectors"]) == record["inspectors_hash"]),
        ("seed", derive_seed(record["pool_hash"], record["nonce"], record["witness_input"]) == record["seed"]),
    ]


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


_get_id, _get_weight, _get_member = itemgetter("id"), itemgetter("weight"), itemgetter("id", "weight")


def _strata_valid(strata: Any) -> bool:
    """Whether ``strata`` is certainly valid, decided with whole-list operations (a province has 200,000
    members); False means "not sure": :func:`_check_strata` then walks it member by member and names the
    first bad field. True only where that walk finds nothing."""
    if not isinstance(strata, list) or not strata:
        return False
    labels: set[Any] = set()
    ids: set[Any] = set()
    total = 0
    for stratum in strata:
        if type(stratum) is not dict:
            return False
        label, count, members = stratum.get("label"), stratum.get("count"), stratum.get("members")
        if type(label) is not str or not label or label in labels or type(count) is not int or count < 0:
            return False
        labels.add(label)
        if type(members) is not list:
            return False
        if not members:
            continue
        if set(map(type, members)) != {dict}:
            return False
        try:
            member_ids = list(map(_get_id, members))
            weights = list(map(_get_weight, members))
        except KeyError:
            return False
        if set(map(type, member_ids)) != {str} or set(map(type, weights)) != {int}:
            return False
        if min(weights) < 1 or max(weights) > MAX_WEIGHT:
            return False
        ids.update(member_ids)
        total += len(member_ids)
        if len(ids) != total or "" in ids:  # an id twice (in a stratum or in two), or an empty one
            return False
    return True


def validate_record(record: dict[str, Any]) -> None:
    """Check a draw record's structure; raise :class:`RecordError` naming the bad field."""
    _require_object(record, "record")
    _require_keys(record, "", ("algorithm", "seed", "strata", "inspectors"))
    if record["algorithm"] not in ALGORITHMS:
        raise RecordError(unknown_algorithm_message(record["algorithm"]))
    if not _is_text(record["seed"]):
        raise RecordError("seed must be a non-empty string")
    if not _strata_valid(record["strata"]):
        _check_strata(record["strata"])
    _check_inspectors(record)


def _check_strata(strata: Any) -> None:
    """Walk the strata member by member; raise :class:`RecordError` naming the first bad field."""
    labels: set[str] = set()
    owner: dict[str, tuple[int, int]] = {}  # enterprise id -> (stratum, member) where first seen
    for s, stratum in enumerate(_require_list(strata, "strata", non_empty=True)):
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
                where = f"twice in strata[{s}]" if first_s == s else "in two strata"
                raise RecordError(f"{mpath}.id {member_id!r} is {where} (also at strata[{first_s}].members[{first_m}])")
            owner[member_id] = (s, m)


def _exclusions_valid(exclusions: Any, pool: set[str]) -> bool:
    """Whether ``exclusions`` are certainly valid pairs of the ``pool``'s inspectors (whole-list checks, as
    :func:`_strata_valid`); False means "not sure": the walk pair by pair then names the first bad one."""
    if type(exclusions) is not list:
        return False
    if not exclusions:
        return True
    if set(map(type, exclusions)) != {list} or set(map(len, exclusions)) != {2}:
        return False
    enterprises, codes = list(map(_FIRST, exclusions)), list(map(_SECOND, exclusions))
    if set(map(type, enterprises)) != {str} or set(map(type, codes)) != {str}:  # before hashing any of them
        return False
    # The pool holds non-empty strings only (checked before): codes within it are non-empty too.
    return "" not in enterprises and set(codes) <= pool


_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _check_inspectors(record: dict[str, Any]) -> None:
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
    if not _is_int(inspectors["team_size"], MIN_TEAM_SIZE):
        raise RecordError(f"inspectors.team_size must be an integer >= {MIN_TEAM_SIZE}")
    if not _is_int(inspectors["max_per_inspector"], 1):
        raise RecordError("inspectors.max_per_inspector must be an integer >= 1")
    if not _exclusions_valid(inspectors["exclusions"], seen):  # a province's history excludes tens of thousands
        _check_exclusions(inspectors["exclusions"], seen)


def _check_exclusions(exclusions: Any, pool: set[str]) -> None:
    """Walk the exclusions pair by pair; raise :class:`RecordError` naming the first bad pair."""
    for x, pair in enumerate(_require_list(exclusions, "inspectors.exclusions")):
        if not (isinstance(pair, list) and len(pair) == 2 and all(_is_text(p) for p in pair)):
            raise RecordError(
                f"inspectors.exclusions[{x}] must be a pair [enterprise_id, inspector_code] of non-empty strings"
            )
        if pair[1] not in pool:
            raise RecordError(f"inspectors.exclusions[{x}] names inspector {pair[1]!r}, who is not in inspectors.pool")


def replay(record: dict[str, Any]) -> dict[str, Any]:
    """Validate a draw record and recompute its outcome with the record's own ``algorithm``.

    Returns ``{"algorithm", "strata": [{"label", "selected", "reserve"}], "teams"}`` where
    ``teams`` maps each selected enterprise, in selection order, to its inspector codes.
    """
    validate_record(record)
    seed = record["seed"]
    strata_out: list[dict[str, Any]] = []
    all_selected: list[str] = []
    for stratum in record["strata"]:
        members = list(map(_get_member, stratum["members"]))  # (id, weight) tuples
        selected, reserve = rank_stratum(seed, stratum["label"], members, stratum["count"])
        strata_out.append({"label": stratum["label"], "selected": selected, "reserve": reserve})
        all_selected.extend(selected)
    inspectors = record["inspectors"]
    teams = assign_teams(
        seed,
        all_selected,
        inspectors["pool"],
        inspectors["team_size"],
        inspectors["max_per_inspector"],
        {(e, i) for e, i in inspectors["exclusions"]},
        algorithm=record["algorithm"],
    )
    return {"algorithm": record["algorithm"], "strata": strata_out, "teams": teams}
