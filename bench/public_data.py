"""Benchmark data: a province whose draws of 2024–2026 end in N published results.

Used by ``bench/bench_public.py`` (Django must be set up before importing this module). Deterministic
for a given N. The draws are real: plans, tasks, quota policies, frozen pools, ceremonies and approvals
go through :mod:`sampling.draws` (so every draw has its public record, entries, teams and inspection
tasks). What follows an approved draw is generated in bulk, consistent with what the services write:
check-in, result with a finding per inspection item (a non-compliant item for every outcome that reports
a violation, none for 未发现问题), approval, task status PUBLISHED and the :class:`Publication` row with the
fields ``inspections.publication`` copies. Like ``demo.generate``, the bulk part writes no audit entries: it is
generated data, not a change anyone made. Tasks of the last draw beyond N stay assigned (not inspected yet).
"""

import math
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from core.audit import actor_display
from core.enums import Role
from core.models import Bureau, Membership
from core.public_cache import bump_public_version
from core.workdays import add_working_days
from demo.generate import ensure_checklist
from enterprises.enums import EnterpriseStatus
from enterprises.models import CheckItem, Enterprise
from inspections.deadlines import publication_deadline, working_calendar
from inspections.enums import CheckInMethod, DrawType, FollowUp, InspectionTaskStatus, Outcome
from inspections.models import CheckIn, InspectionResult, InspectionTask, ItemFinding, Publication
from inspections.services import RESULT_WORKING_DAYS
from sampling import draws, plans
from sampling.enums import PlanStatus
from sampling.models import Draw, PlanTask, QuotaPolicy

TZ = ZoneInfo("Asia/Shanghai")
YEARS = (2024, 2025, 2026)
# The quarters drawn, oldest first; 2026 Q4 is under way (today is in it), so it has no published results.
QUARTERS = [(y, q) for y in YEARS for q in (1, 2, 3, 4) if (y, q) < (2026, 4)]
OUTCOMES = [
    (Outcome.NO_PROBLEM, 68),
    (Outcome.CORRECTED, 10),
    (Outcome.RECTIFICATION_ORDERED, 8),
    (Outcome.INFO_NOT_DISCLOSED, 4),
    (Outcome.PENDING_FOLLOW_UP, 4),
    (Outcome.CASE_FILED, 5),
    (Outcome.UNCOOPERATIVE, 1),
]
FINDINGS = ["废气收集设施未正常运行", "危险废物贮存场所未设置识别标志", "自动监测数据传输中断未报告", "雨污分流不彻底"]
BATCH = 5000


def ensure_leads(bureau: Bureau):
    """Two team leads: one runs the draws, the other approves them and the results."""
    leads = []
    for n in (1, 2):
        user, created = get_user_model().objects.get_or_create(
            username=f"bench-{bureau.code}-lead{n}", defaults={"first_name": f"基准组长{n}"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, bureau=bureau, role=Role.TEAM_LEAD)
        leads.append(user)
    return leads


def ratio_for(target: int, eligible: int) -> Decimal:
    """The quarterly ratio (%) that draws a little more than ``target`` over the quarters drawn."""
    return Decimal(math.ceil(10000 * target * 1.04 / (len(QUARTERS) * eligible))) / 100


def plan_task_for(bureau: Bureau, runner, year: int, ratio: Decimal) -> PlanTask:
    """The year's untargeted task over every tier (one plan a year), created once."""
    QuotaPolicy.objects.update_or_create(
        bureau=bureau,
        year=year,
        defaults={
            "general_ratio": ratio,
            "key_ratio": ratio,
            "special_ratio": ratio,
            "yearly_cap": 2,
            "general_per_inspector_per_year": None,
        },
    )
    existing = PlanTask.objects.filter(plan__bureau=bureau, plan__year=year, plan__name="基准测试年度抽查计划").first()
    if existing:
        return existing
    plan = plans.plan_create(actor=runner, bureau=bureau, year=year, name="基准测试年度抽查计划")
    task = plans.plan_task_create(
        actor=runner,
        plan=plan,
        check_items=list(CheckItem.objects.filter(bureau=bureau)),
        name="污染源日常环境监管随机抽查",
        include_general=True,
        include_key=True,
        include_special=True,
        draw_from=date(year, 1, 1),
        draw_until=date(year, 12, 31),
        inspect_from=date(year, 1, 1),
        inspect_until=date(year, 12, 31),
    )
    plans.plan_set_status(actor=runner, plan=plan, status=PlanStatus.ACTIVE)
    return task


def approved_draw(task: PlanTask, quarter: int, runner, approver) -> Draw:
    """The task's approved draw of ``quarter``, made through the services if there is none yet."""
    draw = Draw.objects.filter(task=task, quarter=quarter, status="approved").first()
    if draw:
        return draw
    year = task.plan.year
    draw = draws.draw_create(actor=runner, task=task, quarter=quarter, today=date(year, 3 * quarter - 2, 6 + quarter))
    draw = draws.draw_execute(
        actor=runner, draw=draw, witness_input=f"{year}{quarter} 3 7 1 9", witnesses="张明（监察员）\n李华（企业代表）"
    )
    return draws.draw_approve(actor=approver, draw=draw)


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def publish_draw(draw: Draw, limit: int, recorder, approver, rng: random.Random, calendar) -> int:
    """Inspect, record, approve and publish up to ``limit`` assigned tasks of ``draw`` (bulk). Returns how many."""
    tasks = list(
        InspectionTask.objects.filter(draw=draw, status=InspectionTaskStatus.ASSIGNED)
        .order_by("number")
        .values_list(
            "id", "number", "enterprise__name", "enterprise__uscc", "enterprise__tier", "enterprise__contact_name"
        )[:limit]
    )
    if not tasks:
        return 0
    plan_task = draw.task
    plan = plan_task.plan
    bureau = draw.bureau
    items = {item.pk: item for item in CheckItem.objects.filter(bureau=bureau)}
    Link = InspectionTask.check_items.through
    task_items = defaultdict(list)
    for task_id, item_id in Link.objects.filter(inspectiontask__draw=draw).values_list(
        "inspectiontask_id", "checkitem_id"
    ):
        task_items[task_id].append(items[item_id])
    for linked in task_items.values():
        linked.sort(key=lambda item: (item.order, item.code))
    today = timezone.localdate()
    last_day = min(draw.inspect_until, today - timedelta(days=30))
    span = (last_day - draw.inspect_from).days
    outcomes, weights = zip(*OUTCOMES, strict=True)
    recorder_name, approver_name = actor_display(recorder), actor_display(approver)
    draw_type = DrawType.TARGETED if draw.conditions else DrawType.UNTARGETED
    dues: dict[date, tuple] = {}  # inspection day -> (result due, publication deadline)

    def due(day: date) -> tuple:
        if day not in dues:
            dues[day] = (add_working_days(day, RESULT_WORKING_DAYS, calendar), publication_deadline(day, calendar))
        return dues[day]

    done = 0
    for start in range(0, len(tasks), BATCH):
        chunk = tasks[start : start + BATCH]
        checkins, results, pubs, finding_rows = [], [], [], []
        for task_id, number, name, uscc, tier, contact in chunk:
            inspected_on = draw.inspect_from + timedelta(days=rng.randint(0, span))
            arrival = inspected_on - timedelta(days=rng.choice((0, 0, 0, 1)))
            outcome = rng.choices(outcomes, weights)[0]
            recorded = _at(inspected_on + timedelta(days=rng.choice((0, 1, 2, 3, 5, 8, 12))), 16, rng.randint(0, 59))
            approved = recorded + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 3))
            published = approved + timedelta(days=rng.choice((1, 2, 5, 9, 14, 30)), hours=rng.randint(0, 5))
            result_due, deadline = due(inspected_on)
            linked = task_items[task_id]
            bad = set()
            if outcome in Outcome.violations_found() and linked:
                bad = {rng.randrange(len(linked))}
            checkins.append(
                CheckIn(
                    task_id=task_id,
                    at=_at(arrival, 9, rng.randint(0, 59)),
                    method=CheckInMethod.QR,
                    confirmed_by_name=contact or "企业负责人",
                )
            )
            results.append(
                InspectionResult(
                    task_id=task_id,
                    outcome=outcome,
                    summary="现场检查完毕。" if not bad else "现场检查发现问题，已告知企业。",
                    inspected_on=inspected_on,
                    due_date=result_due.date,
                    due_provisional=result_due.provisional,
                    late=recorded.date() > result_due.date,
                    recorded_by=recorder,
                    recorded_by_name=recorder_name,
                    recorded_at=recorded,
                    updated_at=recorded,
                    approved_by=approver,
                    approved_by_name=approver_name,
                    approved_at=approved,
                    follow_up=FollowUp.OPEN if outcome in Outcome.awaiting_follow_up() else FollowUp.NONE,
                )
            )
            finding_rows.append([(item, i in bad) for i, item in enumerate(linked)])
            pubs.append(
                Publication(
                    task_id=task_id,
                    draw_id=draw.pk,
                    bureau_id=bureau.pk,
                    published_at=published,
                    published_by=approver,
                    published_by_name=approver_name,
                    deadline=deadline.date,
                    deadline_provisional=deadline.provisional,
                    on_time=published.date() <= deadline.date,
                    published_on=published.date(),
                    enterprise_name=name,
                    uscc=uscc,
                    tier=tier,
                    bureau_code=bureau.code,
                    bureau_name=bureau.name,
                    plan_number=plan.number,
                    plan_name=plan.name,
                    plan_task_number=f"{plan.number}-{plan_task.seq}",
                    plan_task_name=plan_task.name,
                    inspection_number=number,
                    draw_type=draw_type,
                    year=draw.year,
                    quarter=draw.quarter,
                    inspected_from=min(arrival, inspected_on),
                    inspected_on=inspected_on,
                    items_checked="、".join(item.name for item in linked),
                    outcome=outcome,
                )
            )
        with transaction.atomic():
            CheckIn.objects.bulk_create(checkins, batch_size=BATCH)
            InspectionResult.objects.bulk_create(results, batch_size=BATCH)
            ItemFinding.objects.bulk_create(
                [
                    ItemFinding(
                        result_id=result.pk,
                        check_item=item,
                        compliant=not broken,
                        finding=rng.choice(FINDINGS) if broken else "",
                        legal_basis=item.legal_basis if broken else "",
                    )
                    for result, rows in zip(results, finding_rows, strict=True)
                    for item, broken in rows
                ],
                batch_size=BATCH,
            )
            updated = InspectionTask.objects.filter(
                pk__in=[row[0] for row in chunk], status=InspectionTaskStatus.ASSIGNED
            ).update(status=InspectionTaskStatus.PUBLISHED)
            assert updated == len(chunk), "a task changed while the benchmark data was written"
            Publication.objects.bulk_create(pubs, batch_size=BATCH)
        done += len(chunk)
    return done


def ensure_published(bureau: Bureau, target: int, *, log=print) -> int:
    """Make the bureau hold ``target`` published results (draws of 2024 Q1 to 2026 Q3). Returns the count."""
    have = Publication.objects.filter(bureau=bureau).count()
    if have >= target:
        return have
    ensure_checklist(bureau)
    runner, approver = ensure_leads(bureau)
    eligible = Enterprise.objects.filter(bureau=bureau, status=EnterpriseStatus.OPERATING).count()
    ratio = ratio_for(target, eligible)
    rng = random.Random(target)
    calendar = working_calendar()
    for year, quarter in QUARTERS:
        if have >= target:
            break
        task = plan_task_for(bureau, runner, year, ratio)
        started = timezone.now()
        draw = approved_draw(task, quarter, runner, approver)
        drawn = timezone.now()
        made = publish_draw(draw, target - have, runner, approver, rng, calendar)
        have += made
        log(
            f"   {year}Q{quarter}: draw {draw.number} ({draw.selected_count} drawn of {draw.member_count}, "
            f"{(drawn - started).total_seconds():.1f} s), {made} published "
            f"({(timezone.now() - drawn).total_seconds():.1f} s); {have} in all"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("disclosure_publication", "sampling_inspectiontask", "inspections_inspectionresult"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    transaction.on_commit(bump_public_version)
    return have
