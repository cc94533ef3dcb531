"""Reads for the publication dashboard and the reports (a bounded number of queries each)."""

from __future__ import annotations

import calendar as _calendar
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from core.workdays import WorkCalendar, add_working_days
from enterprises.enums import Tier
from enterprises.models import CheckItem
from inspections.deadlines import STATISTICS_WORKING_DAYS, Deadline, deadline_for
from inspections.enums import DeadlineState, InspectionTaskStatus, Outcome
from inspections.models import Exemption, InspectionTask, ItemFinding, Publication
from inspections.publication import pending_tasks
from sampling.conditions import describe_conditions
from sampling.enums import DrawStatus, JointKind
from sampling.models import Draw, Plan, QuotaPolicy
from sampling.quota import percent_text

TIER_ORDER = [Tier.SPECIAL, Tier.KEY, Tier.GENERAL]
INSPECTED_STATES = [
    InspectionTaskStatus.RESULT_RECORDED,
    InspectionTaskStatus.RESULT_APPROVED,
    InspectionTaskStatus.PUBLISHED,
    InspectionTaskStatus.EXEMPT,
]
WEEKS_AHEAD = 6


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_end(year: int, quarter: int) -> date:
    month = 3 * quarter
    return date(year, month, _calendar.monthrange(year, month)[1])


def tier_of(stratum: str) -> str:
    """``2026Q1/key/uncovered`` → ``key``."""
    parts = stratum.split("/")
    return parts[1] if len(parts) > 1 else ""


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- the dashboard -----------------------------------------------------------------------------------


@dataclass
class PendingRow:
    task: InspectionTask
    deadline: Deadline

    @property
    def result(self):
        return self.task.result

    @property
    def days_overdue(self) -> int:
        return max(0, -self.deadline.working_days_left)

    @property
    def can_publish(self) -> bool:
        return self.task.status == InspectionTaskStatus.RESULT_APPROVED


def pending_rows(bureau, today: date, calendar: WorkCalendar) -> list[PendingRow]:
    """Results whose deadline runs (recorded or approved, not published), soonest deadline first. One query."""
    tasks = pending_tasks(bureau).select_related("enterprise", "result").order_by("result__inspected_on", "number")
    return [PendingRow(task, deadline_for(task.result.inspected_on, today, calendar)) for task in tasks]


def recent_publications(bureau, limit: int = 10):
    return list(Publication.objects.filter(bureau=bureau).order_by("-published_at", "-id")[:limit])


def exempt_tasks(bureau, year: int, limit: int = 50):
    """Exempt results of the year with their reasons (never public)."""
    return list(
        InspectionTask.objects.filter(bureau=bureau, draw__year=year, status=InspectionTaskStatus.EXEMPT)
        .select_related("enterprise", "result", "exemption")
        .order_by("-number")[:limit]
    )


def quota_by_tier(bureau, year: int, quarter: int) -> list[dict]:
    """Per tier, for the approved draws of the quarter: the quota and how many were drawn (two queries).

    A draw a team lead took beyond the quarter's quota (``Draw.quota_exceed_reason``) adds only what was
    within it to the quota: the target does not rise with it (:func:`quota_exceeded_draws` lists them).
    """
    draws = list(Draw.objects.filter(bureau=bureau, year=year, quarter=quarter, status=DrawStatus.APPROVED))
    quota: Counter = Counter()
    for draw in draws:
        for stratum in draw.quotas:
            quota[stratum["tier"]] += stratum.get("within", stratum["quota"])
    drawn = Counter(
        tier_of(s)
        for s in InspectionTask.objects.filter(draw__in=draws)
        .exclude(status=InspectionTaskStatus.CANCELLED)
        .values_list("stratum", flat=True)
    )
    labels = dict(Tier.choices)
    return [
        {"tier": tier, "label": str(labels[tier]), "quota": quota[tier], "drawn": drawn[tier]}
        for tier in TIER_ORDER
        if quota[tier] or drawn[tier]
    ]


def quota_exceeded_draws(bureau, year: int, quarter: int) -> list[Draw]:
    """The quarter's approved draws that a team lead took beyond the quota, with the reason (1 query)."""
    return list(
        Draw.objects.filter(bureau=bureau, year=year, quarter=quarter, status=DrawStatus.APPROVED)
        .exclude(quota_exceed_reason="")
        .select_related("task__plan")
        .order_by("approved_at", "id")
    )


def deadline_weeks(rows: list[PendingRow], today: date, weeks: int = WEEKS_AHEAD) -> list[dict]:
    """Pending results by the week their deadline falls in: overdue, this week and the next weeks, later."""
    monday = today - timedelta(days=today.weekday())
    buckets = [{"key": "overdue", "start": None, "count": 0}]
    buckets += [{"key": f"w{i}", "start": monday + timedelta(weeks=i), "count": 0} for i in range(weeks)]
    later = {"key": "later", "start": monday + timedelta(weeks=weeks), "count": 0}
    for row in rows:
        day = row.deadline.date
        if row.deadline.state == DeadlineState.OVERDUE:
            buckets[0]["count"] += 1
        elif day >= later["start"]:
            later["count"] += 1
        else:
            buckets[1 + (day - monday).days // 7]["count"] += 1
    return [*buckets, later]


# --- reports -----------------------------------------------------------------------------------------


def disclosure_rate(bureau, year: int, today: date, calendar: WorkCalendar) -> dict:
    """The yearly disclosure rate (target 100%): published ÷ results that had to be published by ``today``.

    A result has to be published once its deadline has passed, whether a lead approved it or it still
    awaits approval; results still within their deadline are counted apart (``pending``), exempt results
    are left out. Two queries.
    """
    counts = InspectionTask.objects.filter(bureau=bureau, draw__year=year).aggregate(
        published=Count("id", filter=Q(status=InspectionTaskStatus.PUBLISHED)),
        exempt=Count("id", filter=Q(status=InspectionTaskStatus.EXEMPT)),
        on_time=Count("id", filter=Q(status=InspectionTaskStatus.PUBLISHED, publication__on_time=True)),
    )
    overdue = pending = 0
    for inspected_on in pending_tasks(bureau).filter(draw__year=year).values_list("result__inspected_on", flat=True):
        if deadline_for(inspected_on, today, calendar).overdue:
            overdue += 1
        else:
            pending += 1
    counts.update(overdue=overdue, pending=pending, due=counts["published"] + overdue)
    counts["late"] = counts["published"] - counts["on_time"]
    counts["rate"] = percent(counts["published"], counts["due"])
    counts["on_time_rate"] = percent(counts["on_time"], counts["published"])
    return counts


def checklist_coverage(bureau, year: int) -> dict:
    """Active checklist items checked at least once in the year's inspections ÷ active items."""
    active = list(CheckItem.objects.filter(bureau=bureau, active=True).order_by("order", "code"))
    checked = set(
        ItemFinding.objects.filter(result__task__bureau=bureau, result__task__draw__year=year)
        .values_list("check_item_id", flat=True)
        .distinct()
    )
    covered = [item for item in active if item.pk in checked]
    return {
        "active": len(active),
        "covered": len(covered),
        "rate": percent(len(covered), len(active)),
        "uncovered": [item for item in active if item.pk not in checked],
    }


TIER_OBJECTS = {Tier.GENERAL: "一般监管对象", Tier.KEY: "重点监管对象", Tier.SPECIAL: "特殊监管对象"}


def ratio_text(task, policy: QuotaPolicy | None) -> str:
    """抽查比例 of a plan task, from its own ratio or the bureau's quota policy of the year (in Chinese)."""
    if task.ratio_override is not None:
        return f"每季度不低于{percent_text(task.ratio_override)}%"
    if policy is None:
        return "—"
    parts = []
    for tier in task.tiers:
        bits = []
        ratio = getattr(policy, f"{tier}_ratio")
        if ratio:
            bits.append(f"每季度不低于{percent_text(ratio)}%")
        if tier == Tier.SPECIAL and policy.special_every_quarter:
            bits.append("每季度至少检查1次")
        if (tier == Tier.KEY and policy.key_once_a_year) or (tier == Tier.SPECIAL and policy.special_once_a_year):
            bits.append("每年至少检查1次")
        if tier == Tier.GENERAL and policy.general_per_inspector_per_year:
            bits.append(f"每年不低于1:{policy.general_per_inspector_per_year}（在岗执法人员数:被抽查单位数）")
        parts.append(f"{TIER_OBJECTS[tier]}{'，'.join(bits) if bits else '—'}")
    return "；".join(parts) or "—"


def plan_table(bureau, year: int) -> list[dict]:
    """The annual plan table (seed 001's columns): every plan of the year with its tasks (four queries)."""
    plans = list(
        Plan.objects.filter(bureau=bureau, year=year)
        .select_related("bureau")
        .prefetch_related("tasks__check_items")
        .order_by("seq")
    )
    policy = QuotaPolicy.objects.filter(bureau=bureau, year=year).first()
    table = []
    for number, plan in enumerate(plans, start=1):
        rows = []
        for task in plan.tasks.all():
            objects = "、".join(TIER_OBJECTS[t] for t in TIER_ORDER if t in task.tiers)
            if task.tag_conditions:
                described = "；".join(
                    f"{label}：{values}" for label, values in describe_conditions(task.tag_conditions)
                )
                objects = f"{objects}（定向：{described}）"
            rows.append(
                {
                    "task": task,
                    "name": task.name,
                    "items": "、".join(item.name for item in sorted(task.check_items.all(), key=_item_order)),
                    "objects": objects,
                    "ratio": ratio_text(task, policy),
                    "draw_from": task.draw_from,
                    "draw_until": task.draw_until,
                }
            )
        table.append({"number": number, "plan": plan, "rows": rows})
    return table


def _item_order(item) -> tuple:
    return (item.order, item.code)


STAT_COUNTERS = (
    "drawn",
    "inspected",
    "problems",
    "published_on_time",
    "overdue",
    "exempt",
    "joint",
    "evaluations",
    "rating_sum",
)


def quarterly_statistics(bureau, year: int, quarter: int, today: date, calendar: WorkCalendar) -> dict:
    """One row per plan task and tier for the approved draws of the quarter (seed 004's quarterly table).

    ``overdue`` counts results published late and results not yet published whose deadline has passed
    on ``today``. Three queries (plus the calendar the caller loaded).
    """
    draws = list(
        Draw.objects.filter(bureau=bureau, year=year, quarter=quarter, status=DrawStatus.APPROVED)
        .select_related("task__plan__bureau")
        .order_by("task__plan__seq", "task__seq", "seq")
    )
    keys: dict[tuple, dict] = {}
    for draw in draws:
        for stratum in draw.quotas:
            key = (draw.task_id, stratum["tier"])
            row = keys.setdefault(key, _stat_row(draw, stratum["tier"]))
            row["quota"] += stratum["quota"]
            row["_population"][draw.pk] += stratum["population"]
    tasks = (
        InspectionTask.objects.filter(draw__in=draws)
        .exclude(status=InspectionTaskStatus.CANCELLED)
        .values_list(
            "draw__task_id",
            "stratum",
            "status",
            "joint_kind",
            "result__outcome",
            "result__inspected_on",
            "publication__on_time",
            "evaluation__rating",
        )
    )
    draw_of_task = {d.task_id: d for d in draws}
    for task_id, stratum, status, joint, outcome, inspected_on, on_time, rating in tasks:
        tier = tier_of(stratum)
        row = keys.setdefault((task_id, tier), _stat_row(draw_of_task[task_id], tier))
        row["drawn"] += 1
        row["joint"] += joint != JointKind.NONE
        if status in INSPECTED_STATES:
            row["inspected"] += 1
            row["problems"] += outcome in Outcome.problems_found()
        if status == InspectionTaskStatus.PUBLISHED:
            row["published_on_time"] += bool(on_time)
            row["overdue"] += not on_time
        elif status == InspectionTaskStatus.EXEMPT:
            row["exempt"] += 1
        elif inspected_on is not None and deadline_for(inspected_on, today, calendar).overdue:
            row["overdue"] += 1
        if rating is not None:
            row["evaluations"] += 1
            row["rating_sum"] += rating
    order = {tier: i for i, tier in enumerate(TIER_ORDER)}
    rows = sorted(keys.values(), key=lambda r: (r["plan_seq"], r["task_seq"], order.get(r["tier"], 9)))
    totals = {name: sum(r[name] for r in rows) for name in ("quota", "population", *STAT_COUNTERS)}
    for row in [*rows, totals]:
        if "_population" in row:
            row["population"] = max(row.pop("_population").values(), default=0)
    totals["population"] = sum(r["population"] for r in rows)
    for row in [*rows, totals]:
        row["joint_share"] = percent(row["joint"], row["drawn"])
        row["rating_avg"] = (
            (Decimal(row["rating_sum"]) / row["evaluations"]).quantize(Decimal("0.01")) if row["evaluations"] else None
        )
    end = quarter_end(year, quarter)
    due = add_working_days(end, STATISTICS_WORKING_DAYS, calendar)
    return {"rows": rows, "totals": totals, "quarter_end": end, "due": due.date, "due_provisional": due.provisional}


def _stat_row(draw: Draw, tier: str) -> dict:
    plan_task = draw.task
    return {
        "plan_number": plan_task.plan.number,
        "plan_seq": plan_task.plan.seq,
        "task_seq": plan_task.seq,
        "task_name": plan_task.name,
        "tier": tier,
        "tier_label": TIER_OBJECTS.get(tier, tier),
        "quota": 0,
        "population": 0,
        "_population": defaultdict(int),
        **dict.fromkeys(STAT_COUNTERS, 0),
    }


def exemption_of(task) -> Exemption | None:
    try:
        return task.exemption
    except Exemption.DoesNotExist:
        return None
