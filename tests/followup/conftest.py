"""Fixtures of the follow-up tests: bob's team (bob, inspector ZF001, and 陈执法) inspected an enterprise on
Friday 2026-09-25 and found a problem; frank (not on the team) approved the result the same day.

On the 2026 calendar (State Council notice: 国庆 10-01…10-07 off, Sunday 09-20 and Saturday 10-10 worked), 20
working days after 2026-09-25 is Thursday 2026-10-29: 09-28, 09-29, 09-30, 10-08, 10-09, 10-10 (Saturday,
worked), 10-12…10-16, 10-19…10-23, 10-26, 10-27, 10-28, 10-29. Five working days before it (10-23, 10-26,
10-27, 10-28, 10-29 are left) the visit appears: from 2026-10-22.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.enums import Role
from inspections import services
from inspections.codes import code_issue
from inspections.models import InspectionResult
from inspections.publication import publication_publish
from tests.factories import InspectorFactory, MembershipFactory, UserFactory
from tests.inspections.conftest import fast_passwords, media_root  # noqa: F401 - fixtures used by every test here
from tests.inspections.factories import DrawFactory, findings_for, make_task

SHANGHAI = ZoneInfo("Asia/Shanghai")
INSPECTED = date(2026, 9, 25)


def at(day: date, hour: int = 10):
    """Travel to ``day`` at ``hour`` (Shanghai); the clock stands still."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def partner(bureau):
    return InspectorFactory(bureau=bureau, code="ZF002", name="陈执法", certificate_number="豫环执20260002")


@pytest.fixture
def hank(bureau):
    """An inspector of the bureau who is not on the team."""
    user = UserFactory(username="hank", first_name="何检查")
    MembershipFactory(user=user, bureau=bureau, role=Role.INSPECTOR)
    InspectorFactory(bureau=bureau, code="ZF003", name="何检查", user=user)
    return user


def inspect(bureau, inspectors, draw, *, outcome, approver, day=INSPECTED):
    """A task inspected on ``day`` with ``outcome`` (one item not complying unless 未发现问题), approved."""
    with at(day):
        task = make_task(bureau=bureau, inspectors=inspectors, draw=draw)
        task.enterprise.contact_email = "contact@enterprise.example"
        task.enterprise.legal_representative = "周法人"
        task.enterprise.save(update_fields=["contact_email", "legal_representative"])
        services.checkin_confirm(
            code=code_issue(task=task, purpose="arrival"), task=task, confirmed_by_name="周接待", ip="10.0.0.9"
        )
        items = list(task.check_items.order_by("order"))
        bad = [] if outcome == "no_problem" else [items[0].pk]
        result, _changed = services.result_record(
            actor=inspectors[0].user,
            task=task,
            outcome=outcome,
            inspected_on=day,
            findings=findings_for(task, finding="污染防治设施未正常运行", bad_items=bad),
            summary="现场检查发现问题。",
        )
        services.result_approve(actor=approver, result=result)
    task.refresh_from_db()
    return task


@pytest.fixture
def draw(bureau, alice, frank):
    return DrawFactory(task__plan__bureau=bureau, created_by=frank, executed_by=frank, approved_by=alice)


@pytest.fixture
def ordered(bureau, draw, bob, partner, frank):
    """A result 发现问题已责令整改 of 2026-09-25, approved by frank: a rectification is ordered."""
    return inspect(bureau, [bob.inspector, partner], draw, outcome="rectification_ordered", approver=frank)


@pytest.fixture
def pending(bureau, draw, bob, partner, frank):
    """A result 发现问题待后续处理 of 2026-09-25, approved by frank and published by alice the same day."""
    task = inspect(bureau, [bob.inspector, partner], draw, outcome="pending_follow_up", approver=frank)
    with at(INSPECTED, 11):
        publication_publish(actor=frank, task=task)
    task.refresh_from_db()
    return task


def result_of(task) -> InspectionResult:
    return InspectionResult.objects.get(task=task)
