"""Reads of the public site (no account): only published, non-confidential data, a bounded number of queries each.

What is public:

* results: the :class:`~inspections.models.Publication` rows (nothing else holds a result's public fields);
* plans in force or closed (never drafts), their tasks and the bureaus' active checklist items;
* approved draws: number, dates, counts and the hashes published before the ceremony. A draw's
  **record** — seed, nonce, witness input, pool, teams — and so its enterprise list is public **per
  draw**, once every one of its inspection tasks is published or cancelled and at least one is
  published. The seed and the pool give the whole list by replaying, so the record cannot be opened
  enterprise by enterprise: a draw with a result still unpublished, or exempt from publication, keeps
  its record closed. Rejected, pending and cancelled draws are never shown.

The search is built for a large table: one indexed query with keyset pagination (no ``COUNT(*)``),
only the listed columns, the whole page kept under the public version of :mod:`core.public_cache`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from core.models import Bureau
from core.public_cache import cached
from enterprises.enums import Tier
from enterprises.models import CheckItem
from inspections.enums import InspectionTaskStatus, Outcome, SubstitutionKind
from inspections.models import PUBLIC_FIELDS, InspectionTask, Publication, Substitution
from sampling import algorithm
from sampling.enums import DrawStatus, PlanStatus
from sampling.models import Draw, DrawData, Plan, PlanTask
from sampling.records import draw_public_record

PAGE_SIZE = 20
SEARCH_CACHE_SECONDS = 300
PUBLIC_PLAN_STATES = [PlanStatus.ACTIVE, PlanStatus.CLOSED]
# The columns of the results list (the detail page reads every public field).
LIST_FIELDS = (
    "id",
    "published_at",
    "enterprise_name",
    "uscc",
    "bureau_name",
    "plan_task_name",
    "year",
    "quarter",
    "tier",
    "inspected_on",
    "outcome",
    "published_on",
    "objection",
)
# 整改情况: the follow-up visit's finding, once recorded (followup.Rectification, through the task).
RECTIFICATION = {"rectification": F("task__rectification__status")}
QUERY_MAX = 100


# --- the search form ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    year: int | None = None
    quarter: int | None = None
    tier: str = ""
    outcome: str = ""
    bureau: str = ""

    def as_query(self) -> dict:
        values = {
            "q": self.q,
            "year": self.year or "",
            "quarter": self.quarter or "",
            "tier": self.tier,
            "outcome": self.outcome,
            "bureau": self.bureau,
        }
        return {k: v for k, v in values.items() if v}

    @property
    def any(self) -> bool:
        return bool(self.as_query())


def parse_int(value, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def parse_params(data) -> SearchParams:
    """The search form's values from a query dict; anything invalid is dropped (means "any")."""
    tier = data.get("tier", "")
    outcome = data.get("outcome", "")
    bureau = (data.get("bureau") or "").strip()
    return SearchParams(
        q=" ".join((data.get("q") or "").split())[:QUERY_MAX],
        year=parse_int(data.get("year"), 2000, 2100),
        quarter=parse_int(data.get("quarter"), 1, 4),
        tier=tier if tier in Tier.values else "",
        outcome=outcome if outcome in Outcome.values else "",
        bureau=bureau if bureau in bureau_codes() else "",
    )


def public_bureaus() -> list[dict]:
    """Bureaus with at least one published result or public plan: ``[{code, name}]`` by code (cached)."""

    def compute():
        with_results = Publication.objects.values("bureau_id")
        with_plans = Plan.objects.filter(status__in=PUBLIC_PLAN_STATES).values("bureau_id")
        return list(
            Bureau.objects.filter(Q(pk__in=with_results) | Q(pk__in=with_plans)).order_by("code").values("code", "name")
        )

    return cached("bureaus", compute, local=True)


def bureau_codes() -> set[str]:
    return {b["code"] for b in public_bureaus()}


def result_years() -> list[int]:
    """Years with published results, newest first (cached)."""

    def compute():
        return list(Publication.objects.order_by("-year").values_list("year", flat=True).distinct())

    return cached("years", compute, local=True)


def published_total() -> int:
    return cached("total", Publication.objects.count, local=True)


# --- the results list ----------------------------------------------------------------------------------


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def encode_cursor(published_at: datetime, pk: int) -> str:
    """``<microseconds since 1970>.<id>`` of the last row of a page (exact integers, no float)."""
    return f"{(published_at - EPOCH) // MICROSECOND}.{pk}"


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    try:
        micros, pk = (int(part) for part in (value or "").split("."))
        if micros < 0 or pk < 1:
            return None
        return EPOCH + timedelta(microseconds=micros), pk
    except (ValueError, OverflowError):
        return None


USCC_LENGTH = 18


def filtered_results(params: SearchParams):
    """Published rows matching the search form (:meth:`PublicationQuerySet.filtered`), index-friendly.

    The start of a USCC is looked up as a range of the ``pub_uscc`` B-tree (a ``LIKE 'X%'`` cannot use it
    unless the database collation is "C"), OR-ed with the name's trigram index: a bitmap scan of both
    (8 ms on 200,000 rows) instead of a sequential scan (110 ms).
    """
    code = params.q.upper()
    prefix = 6 <= len(code) < USCC_LENGTH and code.isascii() and code.isalnum() and any(c.isdigit() for c in code)
    qs = Publication.objects.filtered(
        q="" if prefix else params.q,
        year=params.year,
        quarter=params.quarter,
        tier=params.tier,
        outcome=params.outcome,
        bureau=params.bureau,
    )
    if prefix:
        top = code + "Z" * (USCC_LENGTH - len(code))  # USCC characters are digits and capitals up to Y
        qs = qs.filter(Q(uscc__gte=code, uscc__lte=top, uscc__startswith=code) | Q(enterprise_name__contains=params.q))
    return qs


def search_key(params: SearchParams, cursor: str) -> str:
    raw = json.dumps([params.as_query(), cursor], sort_keys=True, ensure_ascii=False)
    return "search:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def search_page(params: SearchParams, cursor: str | None = None) -> dict:
    """A page of published results, newest publication first: ``{"rows", "next", "first"}``.

    ``cursor`` is the ``next`` of the page before (keyset pagination: the query reads at most
    ``PAGE_SIZE + 1`` rows however deep the page). One query, and no cache round trip of its own: the
    whole page is kept (``disclosure.middleware``), and keeping its rows apart as well cost two more round
    trips with Redis on every search that missed — the slowest part of such a request under load
    (``bench/bench_load.py --timing``) — to spare a query only when the same search came in another language.
    """
    after = decode_cursor(cursor)
    qs = filtered_results(params)
    if after:
        at, pk = after
        qs = qs.filter(Q(published_at__lt=at) | Q(published_at=at, id__lt=pk))
    rows = list(qs.order_by("-published_at", "-id").values(*LIST_FIELDS, **RECTIFICATION)[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return {
        "rows": rows,
        "next": encode_cursor(rows[-1]["published_at"], rows[-1]["id"]) if more else "",
        "first": after is None,
    }


def recent_results(limit: int = 8) -> list[dict]:
    return cached(
        f"recent:{limit}",
        lambda: list(
            Publication.objects.order_by("-published_at", "-id").values(*LIST_FIELDS, **RECTIFICATION)[:limit]
        ),
    )


def enterprise_history(uscc: str) -> list[Publication]:
    """Every published result of one enterprise (by USCC), newest inspection first. One query."""
    return list(
        Publication.objects.public().annotate(**RECTIFICATION).filter(uscc=uscc).order_by("-inspected_on", "-id")
    )


def publication(pk: int) -> Publication | None:
    """One published result, with its draw's id (the page links the draw record). One query."""
    return Publication.objects.public().only(*PUBLIC_FIELDS, "draw_id").annotate(**RECTIFICATION).filter(pk=pk).first()


# --- plans, tasks and the checklist ----------------------------------------------------------------------


def public_plans(*, year: int | None = None, bureau: str = ""):
    """Plans in force or closed (never drafts), newest year first, with their tasks. Two queries."""
    plans = Plan.objects.filter(status__in=PUBLIC_PLAN_STATES).select_related("bureau")
    if year:
        plans = plans.filter(year=year)
    if bureau:
        plans = plans.filter(bureau__code=bureau)
    return list(
        plans.order_by("-year", "bureau__code", "seq").prefetch_related(
            Prefetch("tasks", queryset=PlanTask.objects.order_by("seq"))
        )
    )


def plan_years() -> list[int]:
    return cached(
        "plan-years",
        lambda: list(
            Plan.objects.filter(status__in=PUBLIC_PLAN_STATES)
            .order_by("-year")
            .values_list("year", flat=True)
            .distinct()
        ),
        local=True,
    )


def public_plan(pk: int) -> Plan | None:
    return Plan.objects.filter(status__in=PUBLIC_PLAN_STATES).select_related("bureau").filter(pk=pk).first()


def plan_tasks(plan: Plan) -> list[PlanTask]:
    return list(plan.tasks.order_by("seq").prefetch_related("check_items"))


def public_task(pk: int) -> PlanTask | None:
    return (
        PlanTask.objects.filter(plan__status__in=PUBLIC_PLAN_STATES)
        .select_related("plan__bureau")
        .prefetch_related("check_items")
        .filter(pk=pk)
        .first()
    )


def checklist(bureau: str = "") -> list[CheckItem]:
    items = CheckItem.objects.filter(active=True).select_related("bureau")
    if bureau:
        items = items.filter(bureau__code=bureau)
    return list(items.order_by("bureau__code", "order", "code"))


# --- draws -----------------------------------------------------------------------------------------------


def _open_tasks():
    """Tasks that keep a draw's record closed: anything but published or cancelled."""
    return InspectionTask.objects.filter(draw=OuterRef("pk")).exclude(
        status__in=[InspectionTaskStatus.PUBLISHED, InspectionTaskStatus.CANCELLED]
    )


def public_draws():
    """Approved draws, with ``record_public`` (see the module's docstring) and ``published`` (results)."""
    return (
        Draw.objects.filter(status=DrawStatus.APPROVED)
        .select_related("bureau", "task__plan__bureau")
        .annotate(
            published=Count("tasks", filter=Q(tasks__status=InspectionTaskStatus.PUBLISHED)),
            has_open=Exists(_open_tasks()),
        )
    )


def record_is_public(draw) -> bool:
    return draw.status == DrawStatus.APPROVED and draw.published > 0 and not draw.has_open


def draw_list(*, year: int | None = None, bureau: str = ""):
    draws = public_draws()
    if year:
        draws = draws.filter(year=year)
    if bureau:
        draws = draws.filter(bureau__code=bureau)
    return draws.order_by("-year", "-quarter", "bureau__code", "-approved_at", "-id")


def draw_years() -> list[int]:
    return cached(
        "draw-years",
        lambda: list(
            Draw.objects.filter(status=DrawStatus.APPROVED).order_by("-year").values_list("year", flat=True).distinct()
        ),
        local=True,
    )


def _rejected_before():
    return Draw.objects.filter(task_id=OuterRef("task_id"), quarter=OuterRef("quarter"), status=DrawStatus.REJECTED)


def public_draw(pk: int) -> Draw | None:
    """An approved draw as :func:`public_draws`, with ``task_count`` (its inspection tasks, the list of its
    page) and ``rejected`` (:func:`rejected_before`) in the same query."""
    rejected = _rejected_before().values("task_id").annotate(n=Count("pk")).values("n")[:1]
    return (
        public_draws()
        .annotate(task_count=Count("tasks"), rejected=Coalesce(Subquery(rejected), 0))
        .filter(pk=pk)
        .first()
    )


def rejected_before(draw: Draw) -> int:
    """How many draws of the same task and quarter were rejected (their lists and seeds stay closed)."""
    return Draw.objects.filter(task_id=draw.task_id, quarter=draw.quarter, status=DrawStatus.REJECTED).count()


DRAW_PAGE_SIZE = 100


def draw_enterprises(draw: Draw, page_number=None):
    """A page of the draw's inspection tasks with the published row of each (only for a public record).

    Returns ``(page, rows)``. Two queries, the page and its published rows, for a draw from
    :func:`public_draw` (its ``task_count`` is the count of the list); three otherwise.
    """
    tasks = (
        InspectionTask.objects.filter(draw=draw)
        .order_by("number")
        .values("number", "stratum", "status", "enterprise__uscc")
    )
    paginator = Paginator(tasks, DRAW_PAGE_SIZE)
    if getattr(draw, "task_count", None) is not None:
        paginator.count = draw.task_count  # what the count query would answer (a cached property)
    page = paginator.get_page(page_number)
    numbers = [task["number"] for task in page]
    published = {
        p["inspection_number"]: p
        for p in Publication.objects.filter(draw=draw, inspection_number__in=numbers).values(
            "id", "inspection_number", "enterprise_name", "outcome", "published_on"
        )
    }
    outcomes = dict(Outcome.choices)
    rows = []
    for task in page:
        pub = published.get(task["number"])
        rows.append(
            {
                "number": task["number"],
                "stratum": task["stratum"],
                "uscc": task["enterprise__uscc"],
                "cancelled": task["status"] == InspectionTaskStatus.CANCELLED,
                "publication": pub,
                "outcome": outcomes.get(pub["outcome"], "") if pub else "",
            }
        )
    return page, rows


def draw_substitutions(draw: Draw) -> list[dict]:
    """Every substitution of the draw, in order, with its reason (only for a public record: it names the
    enterprises replaced; staff names are not shown). One query."""
    rows = (
        Substitution.objects.filter(draw=draw)
        .order_by("created_at", "id")
        .values(
            "created_at",
            "kind",
            "reason",
            "task__number",
            "new_task__number",
            "old_enterprise__uscc",
            "new_enterprise__uscc",
            "old_inspector__code",
            "new_inspector__code",
        )
    )
    kinds = dict(SubstitutionKind.choices)
    return [
        {
            "at": row["created_at"],
            "kind": row["kind"],
            "kind_label": kinds.get(row["kind"], row["kind"]),
            "reason": row["reason"],
            "task": row["task__number"],
            "new_task": row["new_task__number"],
            "before": row["old_enterprise__uscc"] or row["old_inspector__code"],
            "after": row["new_enterprise__uscc"] or row["new_inspector__code"],
        }
        for row in rows
    ]


def draw_record(draw: Draw) -> dict:
    """The public record of DESIGN §4 (only call it for a public record)."""
    return cached(f"draw-record:{draw.pk}", lambda: draw_public_record(draw))


def draw_result(draw: Draw) -> dict:
    """The selection, reserve and teams the bureau stored at the ceremony (only call it for a public record)."""
    return cached(f"draw-result:{draw.pk}", lambda: DrawData.objects.values_list("result", flat=True).get(draw=draw))


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str = ""


def verify_draw(draw: Draw) -> dict:
    """Replay the public record as anyone could, and compare it with what the bureau recorded and did.

    Returns ``{"checks": [Check...], "passed": bool, "replay": {...} | None}`` (cached per public version).
    The check names are keys translated by the page.
    """

    def compute():
        record = draw_public_record(draw)
        stored = DrawData.objects.values_list("result", flat=True).get(draw=draw)
        checks = [Check(name, holds) for name, holds in algorithm.record_checks(record)]
        replay = None
        try:
            replay = algorithm.replay(record)
        except algorithm.DrawError as exc:
            checks.append(Check("replay", False, str(exc)))
        else:
            checks.append(Check("replay", True))
            same_strata = [(s["label"], s["selected"], s["reserve"]) for s in replay["strata"]] == [
                (s["label"], s["selected"], s["reserve"]) for s in (stored or {}).get("strata", [])
            ]
            checks.append(Check("selection", same_strata))
            checks.append(Check("teams", replay["teams"] == (stored or {}).get("teams")))
            selected = {uscc for s in replay["strata"] for uscc in s["selected"]}
            reserve = {uscc for s in replay["strata"] for uscc in s["reserve"]}
            inspected = set(
                InspectionTask.objects.filter(draw=draw)
                .exclude(status=InspectionTaskStatus.CANCELLED)
                .values_list("enterprise__uscc", flat=True)
            )
            # Every enterprise inspected was drawn, or came from the reserve in place of a cancelled one.
            checks.append(
                Check("tasks", inspected <= selected | reserve, ", ".join(sorted(inspected - selected - reserve)))
            )
        return {
            "checks": checks,
            "passed": all(c.passed for c in checks),
            "replay": replay,
            "size": sum(len(s["selected"]) + len(s["reserve"]) for s in replay["strata"]) if replay else 0,
        }

    return cached(f"draw-verify:{draw.pk}", compute)
