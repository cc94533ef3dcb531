"""The year's results as .xlsx from the publication page (issue 17 item 6): exact rows, formula-safe, for the
roles of the page only, a fixed number of queries."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from inspections.enums import InspectionTaskStatus as S
from inspections.publication import publication_exempt, publication_publish
from tests.factories import EnterpriseFactory

HEADER = ["检查任务编号", "检查对象名称", "统一社会信用代码", "检查日期", "检查结果", "状态", "公示期限", "公示日期"]
URL = "/publication/results.xlsx?year=2026"


def rows_of(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def nov_23():
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        yield


def task_with(make, bureau, n, name, uscc, **fields):
    enterprise = EnterpriseFactory(bureau=bureau, name=name, uscc=uscc)
    return make(enterprise=enterprise, number=f"JIANAN2026-1-1-Q4-1-000{n}", **fields)


def test_the_results_of_the_year_in_excel_exactly(nov_23, make, bureau, alice, client_for):
    published = task_with(make, bureau, 1, "@SUM(1)化工有限公司", "91411003DM93J4CYQE", inspected_on=date(2026, 11, 2))
    publication_publish(actor=alice, task=published)
    task_with(make, bureau, 2, "许昌甲化工有限公司", "914110038LLCF2JX4C", inspected_on=date(2026, 11, 9))
    task_with(
        make, bureau, 3, "许昌乙化工有限公司", "914110031ML29E5H6D",
        inspected_on=date(2026, 11, 9), status=S.RESULT_RECORDED, outcome="corrected",
    )  # fmt: skip
    exempt = task_with(make, bureau, 4, "许昌丙热电有限公司", "91411003NWWK9GCKW4", inspected_on=date(2026, 11, 2))
    publication_exempt(actor=alice, task=exempt, reason="涉及国家安全")
    response = client_for(alice).get(URL)
    assert response["Content-Disposition"] == 'attachment; filename="results-jianan-2026.xlsx"'
    assert rows_of(response) == [
        HEADER,
        # a name that reads as a formula is written as text, an apostrophe first
        ["JIANAN2026-1-1-Q4-1-0001", "'@SUM(1)化工有限公司", "91411003DM93J4CYQE", "2026-11-02", "未发现问题",
         "已公示", "2026-11-30", "2026-11-23"],
        ["JIANAN2026-1-1-Q4-1-0002", "许昌甲化工有限公司", "914110038LLCF2JX4C", "2026-11-09", "未发现问题",
         "已审核，待公示", "2026-12-07", None],
        ["JIANAN2026-1-1-Q4-1-0003", "许昌乙化工有限公司", "914110031ML29E5H6D", "2026-11-09", "发现问题已责令改正",
         "待审核", "2026-12-07", None],
        ["JIANAN2026-1-1-Q4-1-0004", "许昌丙热电有限公司", "91411003NWWK9GCKW4", "2026-11-02", "未发现问题",
         "不予公开", "2026-11-30", None],
    ]  # fmt: skip
    page = client_for(alice).get("/publication/?year=2026").content.decode()
    assert 'href="/publication/results.xlsx?year=2026" id="results-xlsx" download' in page


def test_another_year_and_a_task_without_result_are_not_in_it(nov_23, make, bureau, alice, client_for):
    task_with(make, bureau, 1, "许昌甲化工有限公司", "914110038LLCF2JX4C")
    assert rows_of(client_for(alice).get("/publication/results.xlsx?year=2025")) == [HEADER]


def test_who_may_download_the_results(nov_23, make, bureau, alice, bob, carol, dave, erin, mallory, client_for):
    task_with(make, bureau, 1, "许昌甲化工有限公司", "914110038LLCF2JX4C")
    for user, status in ((alice, 200), (dave, 200), (erin, 200), (mallory, 200), (bob, 403), (carol, 403)):
        assert client_for(user).get(URL).status_code == status, user.username
    assert len(rows_of(client_for(dave).get(URL))) == 2
    assert rows_of(client_for(mallory).get(URL)) == [HEADER]  # another bureau: its own results, none of ours
    assert client_for(alice).post(URL).status_code == 405


def test_the_export_runs_a_fixed_number_of_queries(nov_23, make, bureau, alice, client_for):
    client = client_for(alice)
    counts = []
    for added in (1, 2):  # one result, then three
        for _ in range(added):
            make()
        client.get(URL)  # warm the session
        with CaptureQueriesContext(connection) as captured:
            rows = rows_of(client.get(URL))
        counts.append((len(rows) - 1, len(captured)))
    assert [n for n, _ in counts] == [1, 3]
    assert counts[0][1] == counts[1][1] <= 12, counts
