"""A second, deliberately plain implementation of the published draw algorithms (docs/draw-algorithm.md),
written from the text and not from sampling/algorithm.py, so that tests can check the product against an
expectation it did not compute itself. Slow and simple on purpose; no validation of the record."""

import hashlib
import json


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_json(obj):
    """The text's canonical JSON: sorted keys, no whitespace, UTF-8 characters kept."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def pool_hash(strata):
    """SHA-256 (lowercase hex) of the canonical JSON of the strata, published before the ceremony."""
    return sha256_hex(canonical_json(strata))


def ticket(seed, label, ident, j):
    return int.from_bytes(hashlib.sha256(f"{seed}|{label}|{ident}|{j}".encode()).digest(), "big")


def candidates(algorithm, seed, enterprise, pool):
    """Every inspector of the pool in the enterprise's candidate order."""
    if algorithm == "ssj-draw-1":
        return sorted(pool, key=lambda code: (ticket(seed, "team", enterprise, code), code))
    order = sorted(pool)  # code point order
    n = len(order)
    for k in range(n):
        swap = k + ticket(seed, "team", enterprise, k) % (n - k)
        order[k], order[swap] = order[swap], order[k]
    return order


def replay(record):
    seed, inspectors = record["seed"], record["inspectors"]
    strata, selected_all = [], []
    for stratum in record["strata"]:
        keyed = sorted(
            (min(ticket(seed, stratum["label"], m["id"], j) for j in range(1, m["weight"] + 1)), m["id"])
            for m in stratum["members"]
        )
        ids = [ident for _key, ident in keyed]
        strata.append(
            {"label": stratum["label"], "selected": ids[: stratum["count"]], "reserve": ids[stratum["count"] :]}
        )
        selected_all.extend(ids[: stratum["count"]])
    excluded = {(e, code) for e, code in inspectors["exclusions"]}
    load = dict.fromkeys(inspectors["pool"], 0)
    teams = {}
    for enterprise in selected_all:
        team = []
        for code in candidates(record["algorithm"], seed, enterprise, inspectors["pool"]):
            if (enterprise, code) in excluded or load[code] >= inspectors["max_per_inspector"]:
                continue
            team.append(code)
            if len(team) == inspectors["team_size"]:
                break
        assert len(team) == inspectors["team_size"], f"cannot staff {enterprise}"
        for code in team:
            load[code] += 1
        teams[enterprise] = team
    return {"algorithm": record["algorithm"], "strata": strata, "teams": teams}
