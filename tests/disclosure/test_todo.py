"""The home page's to-do list (core.todo and each app's todo module), for each role, on a fixed day."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from inspections.enums import InspectionTaskStatus
from inspections.models import TaskMember
from sampling.enums import DrawStatus
from tests.factories import InspectorFactory
from tests.inspections.factories import DrawFactory, make_task

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def monday():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def work(bureau, alice, frank, bob, team, make, draw):
    """Something waiting for each role: a draw frank ran, results at each stage, bob's open tasks."""
    DrawFactory(task__plan__bureau=bureau, status=DrawStatus.DRAWN, created_by=frank, executed_by=frank)
    make(status=InspectionTaskStatus.RESULT_RECORDED, inspected_on=date(2026, 11, 20))  # to approve
    make(inspected_on=date(2026, 10, 9))  # deadline 2026-11-06: overdue
    make(inspected_on=date(2026, 11, 2))  # deadline 2026-11-30: due within 5 working days
    make(inspected_on=date(2026, 11, 20))  # due later
    make_task(bureau=bureau, inspectors=team, draw=draw)  # assigned to bob
    make_task(bureau=bureau, inspectors=team, draw=draw, status=InspectionTaskStatus.CHECKED_IN)


def todo_of(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return [(item.label, item.count, item.url, item.urgent) for item in response.context["todo"]]


def test_a_team_lead_sees_what_waits_for_him(work, alice, client_for):
    assert todo_of(client_for(alice)) == [
        ("待您审批的摇号", 1, "/draws/list/", False),
        ("待您审核的检查结果", 1, "/inspections/?status=result_recorded", False),
        ("已超过公示期限的检查结果", 1, "/publication/", True),
        ("5个工作日内须公示的检查结果", 1, "/publication/", False),
    ]


def test_the_lead_who_ran_the_draw_is_not_asked_to_approve_it(work, frank, client_for):
    labels = [label for label, *_rest in todo_of(client_for(frank))]
    assert "待您审批的摇号" not in labels and "待您审核的检查结果" in labels


def test_an_inspector_sees_his_open_tasks_only(work, bob, client_for):
    assert todo_of(client_for(bob)) == [("待您检查并录入结果的任务", 2, "/inspections/mine/", False)]


def test_nothing_waiting_is_said(bureau, dave, carol, client_for):
    for user in (dave, carol):
        page = client_for(user).get(reverse("core:home"))
        assert page.context["todo"] == [] and "暂无待办事项。" in page.content.decode()


def test_other_bureaus_work_is_not_counted(work, mallory, client_for):
    assert todo_of(client_for(mallory)) == []


def test_home_queries(work, alice, client_for, django_assert_num_queries):
    client = client_for(alice)
    client.get(reverse("core:home"))
    with django_assert_num_queries(14):  # 12, the flagged confirmations and the follow-up visits due (followup.todo)
        client.get(reverse("core:home"))


def test_a_lead_approves_no_result_of_his_own_team_but_may_once_replaced(bureau, alice, bob, make, client_for):
    lead_inspector = InspectorFactory(bureau=bureau, code="ZF009", name="张组长", user=alice)
    task = make(status=InspectionTaskStatus.RESULT_RECORDED, inspected_on=date(2026, 11, 20))
    member = TaskMember.objects.create(task=task, inspector=lead_inspector, position=2)
    assert ("待您审核的检查结果", 1) not in [(label, count) for label, count, *_ in todo_of(client_for(alice))]
    TaskMember.objects.filter(pk=member.pk).update(active=False)  # replaced: no longer on the team
    assert ("待您审核的检查结果", 1) in [(label, count) for label, count, *_ in todo_of(client_for(alice))]
