"""Who may inspect: the inspector pool of a draw and the (enterprise, inspector) pairs it excludes.

The pool is every inspector available for the whole inspection period (active, certificate valid on
every day, not on leave: ``inspectors.queries``), in code order. Excluded pairs:

* declared conflicts (回避), and
* **the last team rule** (DESIGN §3 rule 6, "not the pair that inspected the same enterprise last
  time"): of the inspectors of an enterprise's most recent inspection who are in this pool, only the
  first in pool order may be drawn for it again; the others are excluded for that enterprise. So at
  most one of them can be on its new team, and the same pair can never inspect it twice in a row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

from django.db import connection
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from inspectors.queries import availability, conflict_pairs

from .tasks import member_model, task_model

CONFLICT = "conflict"
LAST_TEAM = "last_team"


def last_team_exclusions(bureau_id: int, pool: Mapping[int, str]) -> list[tuple[int, int]]:
    """The last team rule: ``[(enterprise id, inspector id)]`` to exclude (see the module docstring).

    For every enterprise of the bureau, its most recent inspection task (latest planned start, then
    latest created; cancelled tasks do not count) and that task's current team members who are in
    the pool (``{inspector id: code}``); all of them but the first in pool (code) order. One query, whatever
    the history's length: a province's history runs to hundreds of thousands of tasks.
    """
    if not pool:
        return []
    tasks, members = task_model(), member_model()
    statuses = tasks.counted_statuses()
    quote = connection.ops.quote_name
    member, task = quote(members._meta.db_table), quote(tasks._meta.db_table)
    # Each enterprise's latest task that has a current team (the bureau's tasks, by the (bureau, status)
    # index), then those tasks' current members (by the task index). The pool filter and the code order are
    # applied here rather than in SQL: an IN list of 400 inspector ids made PostgreSQL test every member
    # row against the list, or AND a bitmap of the inspector index for every task (760 ms for a province).
    sql = f"""
        WITH latest AS (
            SELECT id, enterprise_id FROM (
                SELECT task.id, task.enterprise_id,
                       ROW_NUMBER() OVER (
                           PARTITION BY task.enterprise_id ORDER BY task.planned_start DESC, task.id DESC
                       ) AS recency
                FROM {task} task
                WHERE task.bureau_id = %s AND task.status IN ({", ".join(["%s"] * len(statuses))})
                  AND EXISTS (SELECT 1 FROM {member} m WHERE m.task_id = task.id AND m.active = %s)
            ) ranked_tasks
            WHERE recency = 1
        )
        SELECT latest.enterprise_id, member.inspector_id
        FROM latest JOIN {member} member ON member.task_id = latest.id
        WHERE member.active = %s
    """  # noqa: S608 - table names are quoted identifiers; every value is a parameter
    teams: dict[int, list[tuple[str, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [bureau_id, *statuses, True, True])
        for enterprise_id, inspector_id in cursor.fetchall():
            code = pool.get(inspector_id)
            if code is not None:
                teams.setdefault(enterprise_id, []).append((code, inspector_id))
    # Pool order is Python's order of the codes (code points, i.e. bytewise on UTF-8), then the id.
    return [
        (enterprise_id, inspector_id)
        for enterprise_id, members in teams.items()
        if len(members) > 1
        for _code, inspector_id in sorted(members)[1:]
    ]


def workload_cap(policy_value: int | None, *, team_size: int, drawn: int, pool_size: int) -> tuple[int, dict]:
    """Enterprises per inspector per draw, at most: the policy's, else ceil(team size × drawn ÷ pool) + 1."""
    computed = math.ceil(team_size * drawn / pool_size) + 1 if pool_size else 1
    rule = {"policy": policy_value, "computed": computed, "team_size": team_size, "drawn": drawn, "pool": pool_size}
    return (policy_value or computed), rule


def freeze_inspectors(
    *,
    bureau,
    start: date,
    end: date,
    enterprises: Mapping[int, str],
    team_size: int,
    max_per_inspector: int | None,
    drawn: int,
) -> tuple[dict, dict]:
    """The record's ``inspectors`` part and the staffing notes shown beside it.

    ``enterprises`` maps the id of every enterprise in the pool to its USCC. Returns
    ``(inspectors, staffing)``: ``inspectors`` is exactly the public record's object (pool codes in
    order, team size, workload cap, exclusions as ``[uscc, code]`` sorted); ``staffing`` holds the pool's
    names, the unavailable inspectors with their reasons, and the reasons of the excluded pairs as
    positions in ``exclusions`` (``{"conflict": [...], "last_team": [...]}``).
    """
    found = availability(bureau, start, end)
    pool_codes = {pk: code for pk, code, _name in found.available}
    unavailable = [{"code": code, "name": name, "reason": reason} for _pk, code, name, reason in found.unavailable]

    pairs: dict[tuple[int, str], list[str]] = {}  # (enterprise id, inspector code) → reasons
    for enterprise_id, inspector_id in conflict_pairs(bureau):
        if enterprise_id in enterprises and inspector_id in pool_codes:
            pairs.setdefault((enterprise_id, pool_codes[inspector_id]), []).append(CONFLICT)
    for enterprise_id, inspector_id in last_team_exclusions(bureau.pk, pool_codes):
        if enterprise_id in enterprises:
            pairs.setdefault((enterprise_id, pool_codes[inspector_id]), []).append(LAST_TEAM)
    ordered = sorted((enterprises[enterprise_id], code, enterprise_id) for enterprise_id, code in pairs)
    cap, cap_rule = workload_cap(max_per_inspector, team_size=team_size, drawn=drawn, pool_size=len(pool_codes))
    inspectors = {
        "pool": sorted(pool_codes.values()),
        "team_size": team_size,
        "max_per_inspector": cap,
        "exclusions": [[uscc, code] for uscc, code, _pk in ordered],
    }
    # A province pool may exclude 100,000 pairs: their reasons are kept as positions in "exclusions".
    pair_reasons: dict[str, list[int]] = {CONFLICT: [], LAST_TEAM: []}
    for index, (_uscc, code, enterprise_id) in enumerate(ordered):
        for reason in pairs[enterprise_id, code]:
            pair_reasons[reason].append(index)
    staffing = {
        "names": {code: name for _pk, code, name in found.available},
        "unavailable": unavailable,
        "pair_reasons": pair_reasons,
        "cap_rule": cap_rule,
    }
    return inspectors, staffing


def excluded_pairs(inspectors: dict, staffing: dict, *, bureau_id: int, limit: int | None = None) -> list[dict]:
    """The first ``limit`` excluded pairs as ``{"uscc", "enterprise", "code", "reasons"}`` (names: 1 query)."""
    if "pairs" in staffing:  # draws frozen before the reasons were kept as positions
        rows = [{k: p[k] for k in ("uscc", "enterprise", "code", "reasons")} for p in staffing["pairs"]]
        return rows[:limit] if limit is not None else rows
    shown = inspectors["exclusions"][:limit] if limit is not None else inspectors["exclusions"]
    reasons = {reason: set(indexes) for reason, indexes in staffing["pair_reasons"].items()}
    usccs = {uscc for uscc, _code in shown}
    names = dict(Enterprise.objects.filter(bureau_id=bureau_id, uscc__in=usccs).values_list("uscc", "name"))
    return [
        {
            "uscc": uscc,
            "enterprise": names.get(uscc, ""),
            "code": code,
            "reasons": [reason for reason in (CONFLICT, LAST_TEAM) if index in reasons.get(reason, ())],
        }
        for index, (uscc, code) in enumerate(shown)
    ]


def pair_counts(staffing: dict) -> dict[str, int]:
    """How many excluded pairs each reason accounts for."""
    if "pairs" in staffing:
        return {reason: sum(reason in p["reasons"] for p in staffing["pairs"]) for reason in (CONFLICT, LAST_TEAM)}
    return {reason: len(staffing["pair_reasons"].get(reason, [])) for reason in (CONFLICT, LAST_TEAM)}


def pair_reason_text(code: str) -> str:
    if code == CONFLICT:
        return _("declared conflict of interest (回避)")
    return _("last team rule: was on its last inspection team with another inspector of this pool")
