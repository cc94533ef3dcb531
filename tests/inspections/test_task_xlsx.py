"""The task lists as .xlsx (issue 17 item 6): the bureau's list as filtered and an inspector's own tasks,
formula-safe, only the tasks the page would show, a confidential task's download recorded, fixed queries."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from core.models import AuditEntry
from inspections import services
from inspections.enums import InspectionTaskStatus
from inspections.models import InspectionTask
from tests.factories import EnterpriseFactory

from .conftest import enterprise_code
from .factories import findings_for, make_task

HEADER = [
    "检查任务编号",
    "检查对象名称",
    "统一社会信用代码",
    "检查开始日期",
    "检查结束日期",
    "检查组",
    "状态",
    "检查结果",
]
LIST, MINE = "/inspections/tasks.xlsx", "/inspections/mine/tasks.xlsx"


def rows_of(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2026, 10, 9, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        yield


@pytest.fixture
def three(frozen, bureau, draw, bob, partner, frank):
    """Three tasks of bob and 陈执法: one waiting, one checked in, one with an approved result; the first
    enterprise's name reads as a formula."""
    names = [("=SUM(A1)化工有限公司", "91411003DM93J4CYQE"), ("许昌甲化工有限公司", "914110038LLCF2JX4C")]
    names.append(("许昌乙化工有限公司", "914110031ML29E5H6D"))
    tasks = []
    for n, (name, uscc) in enumerate(names, start=1):
        task = make_task(
            bureau=bureau,
            inspectors=[bob.inspector, partner],
            draw=draw,
            enterprise=EnterpriseFactory(bureau=bureau, name=name, uscc=uscc),
            number=f"JIANAN2026-1-1-Q4-1-000{n}",
            planned_start=date(2026, 10, n),
            planned_end=date(2026, 10, 20 + n),
        )
        tasks.append(task)
    for task in tasks[1:]:
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
        task.refresh_from_db()
    result, _ = services.result_record(
        actor=bob,
        task=tasks[2],
        outcome="no_problem",
        inspected_on=date(2026, 10, 9),
        findings=findings_for(tasks[2]),
        summary="现场检查未发现问题。",
    )
    services.result_approve(actor=frank, result=result)
    return tasks


ROWS = [
    # newest planned start first, as on the page
    ["JIANAN2026-1-1-Q4-1-0003", "许昌乙化工有限公司", "914110031ML29E5H6D", "2026-10-03", "2026-10-23",
     "王检查、陈执法", "结果已审核", "未发现问题"],
    ["JIANAN2026-1-1-Q4-1-0002", "许昌甲化工有限公司", "914110038LLCF2JX4C", "2026-10-02", "2026-10-22",
     "王检查、陈执法", "已到达", None],
    # text that reads as a formula gets an apostrophe first: no spreadsheet program evaluates it
    ["JIANAN2026-1-1-Q4-1-0001", "'=SUM(A1)化工有限公司", "91411003DM93J4CYQE", "2026-10-01", "2026-10-21",
     "王检查、陈执法", "已分派", None],
]  # fmt: skip


def test_the_task_list_in_excel_exactly(three, client_for, alice):
    response = client_for(alice).get(LIST)
    assert response["Content-Disposition"] == 'attachment; filename="tasks-jianan-20261009.xlsx"'
    assert rows_of(response) == [HEADER, *ROWS]
    # alice approved the draw: the two tasks not inspected yet were confidential, so the download is recorded
    entry = AuditEntry.objects.get(action="inspections.task_list_viewed")
    assert entry.data == {"tasks": ["JIANAN2026-1-1-Q4-1-0002", "JIANAN2026-1-1-Q4-1-0001"]}


def test_the_export_follows_the_filters(three, client_for, alice):
    assert rows_of(client_for(alice).get(LIST + "?status=checked_in")) == [HEADER, ROWS[1]]
    assert rows_of(client_for(alice).get(LIST + "?q=许昌乙")) == [HEADER, ROWS[0]]
    page = client_for(alice).get("/inspections/?status=checked_in").content.decode()
    assert 'href="/inspections/tasks.xlsx?status=checked_in" id="tasks-xlsx"' in page


def test_an_inspector_downloads_his_own_tasks(three, client_for, bob):
    assert rows_of(client_for(bob).get(MINE)) == [HEADER, ROWS[2], ROWS[1]]  # open ones, by planned start
    assert rows_of(client_for(bob).get(MINE + "?done=1")) == [HEADER, ROWS[2], ROWS[1], ROWS[0]]
    assert client_for(bob).get(LIST).status_code == 403  # the bureau's list is not his
    assert not AuditEntry.objects.filter(action="inspections.task_list_viewed").exists()  # his own team's


def test_who_gets_which_rows(three, client_for, bureau, grace, carol, dave, mallory):
    assert rows_of(client_for(grace).get(LIST)) == [HEADER, ROWS[0]]  # another lead: no confidential task
    assert rows_of(client_for(dave).get(LIST)) == [HEADER, *ROWS]  # the auditor
    assert rows_of(client_for(mallory).get(LIST)) == [HEADER]  # another bureau: nothing of ours
    assert client_for(carol).get(LIST).status_code == 403
    assert client_for(carol).get(MINE).status_code == 403
    assert client_for(dave).post(LIST).status_code == 405


@pytest.mark.parametrize("url", [LIST, MINE])
def test_the_exports_run_a_fixed_number_of_queries(frozen, url, client_for, bureau, draw, bob, partner, alice):
    user = alice if url == LIST else bob
    client = client_for(user)
    counts = []
    for _ in range(2):
        make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
        if not counts:
            client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as captured:
            rows = rows_of(client.get(url))
        counts.append((len(rows) - 1, len(captured)))
        make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    assert [n for n, _ in counts] == [1, 3]
    assert counts[0][1] == counts[1][1] <= 16, counts
    assert InspectionTask.objects.filter(status=InspectionTaskStatus.ASSIGNED).count() == 4
