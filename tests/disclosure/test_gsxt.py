"""Issue 16 item 4 (results half): the GSXT results exchange file, checked column by column against a fixture.

The fixture (fixtures/gsxt_results.csv) is written by hand. Its columns follow the brief's list of GSXT's
双随机 抽查检查结果 import (统一社会信用代码/注册号, 企业名称, 抽查检查类型, 抽查检查日期, 抽查检查结果,
检查实施机关 …): no authoritative copy of GSXT's import template was found (see disclosure/exports.py), so
it checks this layout, not a verified official one. Outcome wording and code: inspections.enums.GSXT_OUTCOMES
(RECTIFICATION_ORDERED → 发现问题已责令改正, CASE_FILED → 发现问题待后续处理, written out here by hand).
"""

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from inspections.models import Publication
from tests.public.world import make_publications

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).with_name("fixtures") / "gsxt_results.csv"


def fixture_rows() -> list[list[str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def pubs(bureau, alice, other_bureau, mallory):
    first, second, outside = (
        make_publications(bureau, alice, ["甲"])[0],
        make_publications(bureau, alice, ["乙"])[0],
        make_publications(bureau, alice, ["丙"])[0],
    )
    common = {
        "plan_number": "JA-2026-01",
        "plan_task_number": "JA-2026-01-1",
        "plan_task_name": "重点排污单位双随机抽查",
        "bureau_name": "建安区生态环境分局",
    }
    Publication.objects.filter(pk=first.pk).update(
        uscc="91411000MA00000001",
        enterprise_name="许昌甲化工有限公司",
        draw_type="untargeted",
        inspected_on=date(2026, 10, 9),
        outcome="no_problem",
        published_on=date(2026, 10, 12),
        **common,
    )
    Publication.objects.filter(pk=second.pk).update(
        uscc="91411000MA00000002",
        enterprise_name="=HYPERLINK(1)公司",
        draw_type="targeted",
        inspected_on=date(2026, 11, 2),
        outcome="case_filed",
        published_on=date(2026, 11, 5),
        **common,
    )
    # Published in the next quarter: outside Q4's range of 2026-10-01…2026-12-31 only when asked for Q3.
    Publication.objects.filter(pk=outside.pk).update(published_on=date(2027, 1, 4))
    other = make_publications(other_bureau, mallory, ["丁"])[0]
    Publication.objects.filter(pk=other.pk).update(published_on=date(2026, 10, 20))  # another bureau's
    return first, second


def test_csv_matches_the_fixture_column_by_column(client_for, alice, pubs):
    response = client_for(alice).get("/publication/gsxt/", {"year": "2026", "quarter": "4", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="gsxt-jianan-20261001-20261231.csv"'
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert "\r\n" in body
    rows = list(csv.reader(io.StringIO(body[1:])))
    expected = fixture_rows()
    assert rows[0] == expected[0]
    assert len(rows) == len(expected)
    for got, want in zip(rows[1:], expected[1:], strict=True):
        for column, (cell, value) in enumerate(zip(got, want, strict=True)):
            assert cell == value, f"column {expected[0][column]}"


def test_xlsx_matches_the_fixture_and_holds_text_cells(client_for, alice, pubs):
    response = client_for(alice).get(
        "/publication/gsxt/", {"date_from": "2026-10-01", "date_to": "2026-11-30", "format": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="gsxt-jianan-20261001-20261130.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "抽查检查结果"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == fixture_rows()
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row)  # no formula, dates as text


def test_a_date_range_narrows_the_rows(client_for, alice, pubs):
    response = client_for(alice).get(
        "/publication/gsxt/", {"date_from": "2026-10-12", "date_to": "2026-10-12", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))
    assert [row[0] for row in rows[1:]] == ["91411000MA00000001"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"quarter": "4", "format": "csv"}, "year"),
        ({"date_from": "2026-10-01", "format": "csv"}, "date_to"),
        ({"date_from": "2026-10-02", "date_to": "2026-10-01", "format": "csv"}, "date_to"),
        ({"year": "2026", "quarter": "4", "date_from": "2026-10-01", "format": "csv"}, "date_from"),
        ({"format": "csv"}, "quarter"),
        ({"year": "2026", "quarter": "4", "format": "exe"}, "format"),
    ],
)
def test_bad_periods_are_named(client_for, alice, params, field):
    response = client_for(alice).get("/publication/gsxt/", params)
    assert response.status_code == 400
    assert field in response.context["form"].errors


def test_staff_only(client, client_for, bob, carol, alice, pubs):
    params = {"year": "2026", "quarter": "4", "format": "csv"}
    assert client.get("/publication/gsxt/", params).status_code == 302  # to the login page
    assert client_for(bob).get("/publication/gsxt/", params).status_code == 403
    assert client_for(carol).get("/publication/gsxt/", params).status_code == 403
    page = client_for(alice).get("/publication/gsxt/")
    assert page.status_code == 200
    assert "统一社会信用代码/注册号" in page.content.decode()
