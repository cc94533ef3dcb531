"""The demo inspections (inspections.demo) on the demo county, after the demo plans and draws."""

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models

from core.audit import verify_chain
from core.models import AuditEntry, Bureau
from inspections.demo import DemoInspections, seed_demo_inspections
from inspections.enums import CheckInMethod, FollowUp, InspectionTaskStatus, Outcome
from inspections.models import CheckIn, Evaluation, InspectionResult, InspectionTask, TaskMember
from inspectors.models import Expert
from sampling.demo import seed_demo_draw, seed_demo_plans

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def drawn_county(db):
    """The demo county on Monday 2026-11-23 with its plan's draws run by lead1 and approved by lead2."""
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), tick=False):
        call_command("seed_demo", enterprises=300, inspectors=12, registries_only=True)
        jianan = Bureau.objects.get(code="jianan")
        users = get_user_model().objects
        lead1, lead2 = users.get(username="lead1"), users.get(username="lead2")
        for plan_task in seed_demo_plans(jianan, year=2026).tasks.order_by("seq"):
            seed_demo_draw(plan_task, runner=lead1, approver=lead2)
        yield jianan


def test_demo_inspections_run_every_step_through_the_services(drawn_county):
    jianan = drawn_county
    lead1 = get_user_model().objects.get(username="lead1")
    before = AuditEntry.objects.count()

    done = seed_demo_inspections(jianan, date(2026, 11, 23))

    assert done == DemoInspections(checked_in=10, recorded=9, approved=7, late=1, evaluated=2)
    statuses = Counter(InspectionTask.objects.filter(bureau=jianan).values_list("status", flat=True))
    assert statuses[InspectionTaskStatus.RESULT_APPROVED] == 7
    assert statuses[InspectionTaskStatus.RESULT_RECORDED] == 2
    assert statuses[InspectionTaskStatus.CHECKED_IN] == 1
    assert Counter(CheckIn.objects.values_list("method", flat=True)) == {
        CheckInMethod.QR: 4,
        CheckInMethod.PAPER: 6,
    }
    (late,) = InspectionResult.objects.filter(late=True)
    # 16 days before is Saturday 2026-11-07: the Friday before; due 7 working days later.
    assert (late.inspected_on, late.due_date, late.approved_at) == (date(2026, 11, 6), date(2026, 11, 17), None)
    (pending,) = InspectionResult.objects.filter(outcome=Outcome.PENDING_FOLLOW_UP)
    assert pending.follow_up == FollowUp.OPEN and pending.approved_by == lead1
    assert sorted(Evaluation.objects.values_list("rating", flat=True)) == [4, 5]
    every_result_has_findings = all(
        r.findings.count() == r.task.check_items.count() > 0 for r in InspectionResult.objects.all()
    )
    assert every_result_has_findings
    actions = Counter(AuditEntry.objects.order_by("id")[before:].values_list("action", flat=True))
    assert actions == {
        "inspections.checkin_confirmed": 4,
        "inspections.checkin_recorded_manually": 6,
        "inspections.result_recorded": 9,
        "inspections.result_approved": 7,
        "inspections.evaluation_submitted": 2,
        # the approved results that found a problem: a rectification deadline and follow-up visit each
        "followup.rectification_ordered": 3,
    }
    assert verify_chain().ok

    assert seed_demo_inspections(jianan, date(2026, 11, 23)) == DemoInspections()
    assert AuditEntry.objects.count() == before + sum(actions.values())


def test_demo_inspections_on_teams_with_an_expert(drawn_county):
    """An expert member has no inspector record: the demo still finds a lead who is not on the team."""
    jianan = drawn_county
    expert = Expert.objects.create(bureau=jianan, name="孙丽", kind="institute", organisation="科学研究院")
    tasks = InspectionTask.objects.filter(bureau=jianan)
    TaskMember.objects.bulk_create(TaskMember(task=task, expert=expert, position=9) for task in tasks)

    done = seed_demo_inspections(jianan, date(2026, 11, 23))

    assert done == DemoInspections(checked_in=10, recorded=9, approved=7, late=1, evaluated=2)
    on_own_team = InspectionResult.objects.filter(
        task__members__active=True, task__members__inspector__user=models.F("approved_by")
    )
    assert not on_own_team.exists()
