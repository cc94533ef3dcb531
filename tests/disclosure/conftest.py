"""Fixtures of the publication tests: a bureau's approved draw and tasks with results at chosen dates.

Results are written straight to the tables here (the inspections app's own tests cover how they get
there); the publication services and views under test then move the tasks on.
"""

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from inspections.enums import InspectionTaskStatus
from inspections.models import CheckIn, InspectionResult, ItemFinding
from tests.inspections.factories import DrawFactory, make_task


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _aware(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def add_result(
    task,
    *,
    inspected_on: date,
    status=InspectionTaskStatus.RESULT_APPROVED,
    outcome="no_problem",
    approver=None,
    recorder=None,
    confidential_reason="",
):
    """Give ``task`` a check-in, a result inspected on ``inspected_on`` and findings on all its items."""
    CheckIn.objects.create(task=task, at=_aware(inspected_on), confirmed_by_name="周接待")
    approved = status != InspectionTaskStatus.RESULT_RECORDED
    result = InspectionResult.objects.create(
        task=task,
        outcome=outcome,
        inspected_on=inspected_on,
        due_date=inspected_on,
        recorded_by=recorder or approver,
        recorded_at=_aware(inspected_on, 17),
        updated_at=_aware(inspected_on, 17),
        approved_by=approver if approved else None,
        approved_by_name=approver.first_name if approved and approver else "",
        approved_at=_aware(inspected_on, 18) if approved else None,
        confidential=bool(confidential_reason),
        confidentiality_reason=confidential_reason,
    )
    for item in task.check_items.all():
        ItemFinding.objects.create(result=result, check_item=item, compliant=outcome == "no_problem")
    type(task).objects.filter(pk=task.pk).update(status=status)
    task.refresh_from_db()
    return result


@pytest.fixture
def draw(bureau, alice, frank):
    return DrawFactory(
        task__plan__bureau=bureau,
        created_by=frank,
        executed_by=frank,
        approved_by=alice,
        quotas=[{"tier": "key", "quota": 3, "population": 10}],
    )


@pytest.fixture
def team(bureau, bob):
    from tests.factories import InspectorFactory

    return [bob.inspector, InspectorFactory(bureau=bureau, code="ZF002", name="陈执法")]


@pytest.fixture
def make(bureau, draw, team, frank, bob):
    """make(inspected_on, status=..., **fields) -> a task of ``draw`` with its result."""

    def build(
        inspected_on=date(2026, 11, 2),
        status=InspectionTaskStatus.RESULT_APPROVED,
        outcome="no_problem",
        confidential_reason="",
        **fields,
    ):
        task = make_task(bureau=bureau, inspectors=team, draw=draw, **fields)
        add_result(
            task,
            inspected_on=inspected_on,
            status=status,
            outcome=outcome,
            approver=frank,
            recorder=bob,
            confidential_reason=confidential_reason,
        )
        return task

    return build


@pytest.fixture
def approved_task(make):
    return make()
