"""Demo inspections for the demo county (called from the demo app). Idempotent; nothing here runs in production.

``seed_demo_inspections(bureau, today)`` takes the tasks of the bureau's approved draws whose team includes
an inspector with an account (only a team member can record a result) and runs them through the services
of :mod:`inspections.services`, so every step is validated and audited as it would be on the site:

* results approved by a team lead (QR check-ins of today and check-ins recorded on paper on earlier days),
  two of them rated by the enterprise;
* one result recorded late (the inspection ended more than 7 working days ago), awaiting approval;
* one approved result 发现问题待后续处理 whose follow-up is still open;
* one result awaiting approval and one task checked in, awaiting its result.

The other tasks stay assigned, so the demo inspectors still have visits ahead of them. The services stamp
the real time on what they record: ``today`` must be the real local date (its default); it decides which
days the earlier check-ins are dated. A task whose inspection period has not begun (or is over) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.enums import Role
from sampling.enums import DrawStatus

from . import codes, services
from .enums import InspectionTaskStatus, Outcome
from .models import CheckIn, InspectionTask, TaskMember
from .services import FindingInput
from .tokens import CHECKIN_GRACE_DAYS

PAPER_REASON = "企业未登记联系邮箱，纸质签到单已存档"
# The demo's "scanned" paper records: a minimal one-page PDF (the uploads check its signature, %PDF-).
DEMO_SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# (what happens to the task, outcome, days before today of the arrival; None = a QR check-in now)
SCENARIOS = [
    ("approved", Outcome.NO_PROBLEM, None),
    ("approved", Outcome.NO_PROBLEM, 3),
    ("approved", Outcome.CORRECTED, 5),
    ("approved", Outcome.NO_PROBLEM, None),
    ("approved", Outcome.RECTIFICATION_ORDERED, 2),
    ("approved", Outcome.INFO_NOT_DISCLOSED, 1),
    ("late", Outcome.NO_PROBLEM, 16),
    ("approved", Outcome.PENDING_FOLLOW_UP, 4),
    ("recorded", Outcome.NO_PROBLEM, None),
    ("checked_in", None, None),
]
RATINGS = [(5, "检查人员出示执法证件，程序规范，态度良好。"), (4, "检查细致，对整改要求讲解清楚。")]
FINDINGS = {
    Outcome.CORRECTED: "危险废物贮存场所标识不全，已当场责令改正。",
    Outcome.RECTIFICATION_ORDERED: "废气收集设施破损，无组织排放明显，已下达责令整改通知。",
    Outcome.PENDING_FOLLOW_UP: "在线监测数据疑似异常，已采样送检，待监测报告确认。",
}
SUMMARIES = {
    Outcome.NO_PROBLEM: "现场检查污染防治设施正常运行，台账记录完整，未发现环境违法问题。",
    Outcome.INFO_NOT_DISCLOSED: "企业未按规定在信息公开平台公开自行监测数据，已告知限期补充公开。",
}


@dataclass
class DemoInspections:
    checked_in: int = 0
    recorded: int = 0
    approved: int = 0
    late: int = 0
    evaluated: int = 0


def _account_holders(task: InspectionTask):
    """The team's inspectors who have an account with a staff role in the bureau: who can record the result."""
    members = (
        TaskMember.objects.filter(task=task, active=True, inspector__user__isnull=False)
        .select_related("inspector__user")
        .order_by("position")
    )
    return [m.inspector.user for m in members if m.inspector.user.is_active]


def _lead_not_on(task: InspectionTask, leads):
    # Experts have no inspector record (and no account): only the inspectors' accounts are on the team.
    team = set(
        TaskMember.objects.filter(task=task, active=True, inspector__isnull=False).values_list(
            "inspector__user_id", flat=True
        )
    )
    return next((lead for lead in leads if lead.pk not in team), None)


def _findings(task: InspectionTask, outcome: str) -> dict[int, FindingInput]:
    items = list(task.check_items.order_by("order", "code"))
    problem = outcome in Outcome.violations_found()
    return {
        item.pk: FindingInput(
            compliant=not (problem and n == 0),
            finding=FINDINGS.get(outcome, "") if problem and n == 0 else "",
            legal_basis=item.legal_basis,
        )
        for n, item in enumerate(items)
    }


def _arrival(task: InspectionTask, today: date, days_before: int) -> datetime:
    """09:30 on the weekday ``days_before`` today (or the Friday before), within the period, never in the future."""
    day = today - timedelta(days=days_before)
    day -= timedelta(days=max(0, day.weekday() - 4))  # a Saturday or Sunday: the Friday before
    day = max(day, task.planned_start)
    moment = timezone.make_aware(datetime.combine(day, time(9, 30)))
    return min(moment, timezone.now() - timedelta(minutes=5))


def seed_demo_inspections(bureau, today: date | None = None) -> DemoInspections:
    """Check-ins, results, approvals and ratings on the bureau's drawn tasks (idempotent: once per bureau)."""
    today = today or timezone.localdate()
    done = DemoInspections()
    if CheckIn.objects.filter(task__bureau=bureau).exists():
        return done
    User = get_user_model()
    leads = list(
        User.objects.filter(memberships__bureau=bureau, memberships__role=Role.TEAM_LEAD, is_active=True)
        .distinct()
        .order_by("pk")
    )
    with_account = TaskMember.objects.filter(
        task=OuterRef("pk"), active=True, inspector__user__isnull=False, inspector__user__is_active=True
    )
    tasks = list(
        InspectionTask.objects.filter(
            bureau=bureau,
            draw__status=DrawStatus.APPROVED,
            status=InspectionTaskStatus.ASSIGNED,
            planned_start__lte=today,
            planned_end__gte=today - timedelta(days=CHECKIN_GRACE_DAYS),
        )
        .filter(Exists(with_account))
        .select_related("bureau", "enterprise", "draw")
        .order_by("planned_start", "number")
    )
    ratings = iter(RATINGS)
    with transaction.atomic():
        for task, (what, outcome, days_before) in zip(tasks, SCENARIOS, strict=False):
            recorder = _account_holders(task)[0]
            approver = _lead_not_on(task, leads)
            if days_before is None:
                services.checkin_confirm(
                    code=_demo_code(task, "arrival"),
                    task=task,
                    confirmed_by_name=task.enterprise.contact_name or "值班负责人",
                    user_agent="demo",
                )
            else:
                lead = approver or leads[0]
                services.checkin_record_manual(
                    actor=lead,
                    task=task,
                    at=_arrival(task, today, days_before),
                    received_by=task.enterprise.contact_name or "值班负责人",
                    scan=_paper_scan(task),
                    reason=PAPER_REASON,
                )
            done.checked_in += 1
            if what == "checked_in":
                continue
            task.refresh_from_db()
            result, _changed = services.result_record(
                actor=recorder,
                task=task,
                outcome=outcome,
                inspected_on=timezone.localtime(task.checkin.at).date(),
                findings=_findings(task, outcome),
                summary=SUMMARIES.get(outcome, FINDINGS.get(outcome, "")),
                joint_units=task.joint_units,
            )
            done.recorded += 1
            done.late += result.late
            if what != "approved" or approver is None:
                continue
            services.result_approve(actor=approver, result=result)
            done.approved += 1
            rating = next(ratings, None)
            if rating is not None:
                services.evaluation_submit(
                    code=_demo_code(task, "evaluation"),
                    task=task,
                    rating=rating[0],
                    comment=rating[1],
                    user_agent="demo",
                )
                done.evaluated += 1
    return done


def _paper_scan(task: InspectionTask) -> ContentFile:
    """A stand-in for the scan of the arrival record the demo enterprise signed (a one-page PDF)."""
    return ContentFile(DEMO_SCAN, name=f"签到单-{task.number}.pdf")


def _demo_code(task, purpose: str) -> str:
    """The demo enterprise's one-time code (issued without sending, as if it had received it)."""
    return codes.code_issue(task=task, purpose=purpose)
