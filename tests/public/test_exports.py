"""Open data: CSV, JSON and .xlsx opened back and checked cell by cell."""

import csv
import io
import json
import re
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from core.enums import Role
from disclosure.exports import OPEN_DATA_HEADER
from inspections.enums import gsxt_code, gsxt_wording
from inspections.models import Publication
from tests.conftest import _member

from .world import make_publications

pytestmark = pytest.mark.django_db

NATIONAL = [
    "抽查计划编号",
    "抽查计划名称",
    "抽查任务编号",
    "抽查任务名称",
    "抽查类型",
    "抽查机关",
    "抽查完成日期",
    "抽查结果",
]


@pytest.fixture
def pubs(bureau, other_bureau):
    lead = _member("lead", bureau, Role.TEAM_LEAD)
    olead = _member("olead", other_bureau, Role.TEAM_LEAD)
    first = make_publications(bureau, lead, ["许昌甲化工有限公司"], outcome="no_problem", tier="key")[0]
    formula = make_publications(bureau, lead, ['=HYPERLINK("http://x")公司'], outcome="case_filed", tier="general")[0]
    other = make_publications(
        other_bureau, olead, ["鄢陵丙制药有限公司"], outcome="corrected", tier="special", quarter=3
    )[0]
    return [first, formula, other]


def expected(pub, tier_name, outcome_name, name=None):
    """The row as published, in the open data's column order (dates as dates, year and quarter as numbers)."""
    return [
        pub.uscc,
        name or pub.enterprise_name,
        pub.plan_number,
        pub.plan_name,
        pub.plan_task_number,
        pub.plan_task_name,
        "不定向抽查",
        pub.bureau_name,
        pub.inspected_on,
        outcome_name,
        pub.inspected_from,
        pub.items_checked,
        tier_name,
        2026,
        pub.quarter,
        pub.inspection_number,
        pub.published_on,
        gsxt_wording(pub.outcome),
        gsxt_code(pub.outcome),  # the project's own stable code (no official code table found)
    ]


def _all_expected(pubs, *, spreadsheet=True):
    """CSV and .xlsx cells starting with = are prefixed with ' (never a formula); JSON keeps the name as it is."""
    first, formula, other = pubs
    return [
        expected(first, "重点监管对象", "未发现问题"),
        expected(
            formula,
            "一般监管对象",
            "发现违法行为已立案调查",
            name='\'=HYPERLINK("http://x")公司' if spreadsheet else None,
        ),
        expected(other, "特殊监管对象", "发现问题已责令改正"),
    ]


def _as_text(row):
    return [v.isoformat() if isinstance(v, date) else str(v) for v in row]


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_header_carries_the_national_credit_publicity_columns():
    assert all(title in OPEN_DATA_HEADER for title in NATIONAL)


def test_csv_cell_by_cell(pubs):
    response = Client().get(reverse("public:results-csv"), follow=True)  # the prebuilt whole file
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="results.csv"'
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == OPEN_DATA_HEADER
    assert rows[1:] == [_as_text(r) for r in _all_expected(pubs)]


def test_csv_filtered_by_bureau_and_quarter(pubs):
    response = Client().get(reverse("public:results-csv"), {"bureau": "yanling", "quarter": 3})
    assert response["Content-Disposition"] == 'attachment; filename="results-yanling-q3.csv"'
    rows = list(csv.reader(io.StringIO(_body(response).decode("utf-8")[1:])))
    assert rows[1:] == [_as_text(_all_expected(pubs)[2])]


def test_json_cell_by_cell(pubs):
    response = Client().get(reverse("public:results-json"), {"year": 2026}, follow=True)  # the year's file
    data = json.loads(_body(response).decode("utf-8"))
    assert data["meta"]["filters"] == {"year": 2026}
    assert list(data["columns"].values()) == OPEN_DATA_HEADER
    keys = list(data["columns"])
    assert [[record[k] for k in keys] for record in data["results"]] == [
        [v.isoformat() if isinstance(v, date) else v for v in row] for row in _all_expected(pubs, spreadsheet=False)
    ]


def test_xlsx_cell_by_cell(pubs):
    response = Client().get(reverse("public:results-xlsx"), follow=True)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(_body(response)))
    sheet = book["抽查结果"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == OPEN_DATA_HEADER
    body = [[v.date() if isinstance(v, datetime) else v for v in r] for r in rows[1:]]
    assert body == _all_expected(pubs)
    assert sheet.cell(row=2, column=9).number_format == "yyyy-mm-dd"
    # The formula-looking name is text, never a formula.
    assert sheet.cell(row=3, column=2).data_type == "s"


@pytest.mark.parametrize("name", ["results-csv", "results-json", "results-xlsx"])
def test_a_selection_beyond_the_bound_points_to_the_whole_files(pubs, monkeypatch, name, settings):
    settings.JOBS_INLINE = True  # the files are built on this request (with RQ, by the worker)
    monkeypatch.setattr("disclosure.public_views.FILTERED_MAX_ROWS", 1)
    response = Client().get(reverse(f"public:{name}"), {"bureau": "jianan"})  # 2 rows
    assert response.status_code == 400
    page = response.content.decode()
    assert "筛选结果太多" in page
    assert 'href="/public/data/files/results.csv"' in page
    assert 'href="/public/data/files/results.xlsx"' in page
    monkeypatch.setattr("disclosure.public_views.FILTERED_MAX_ROWS", 2)
    assert Client().get(reverse(f"public:{name}"), {"bureau": "jianan"}).status_code == 200


def test_exports_hold_only_published_rows(world):
    """The world holds results in every unpublished state: the files hold exactly the published ones."""
    expected_usccs = list(Publication.objects.order_by("published_at", "id").values_list("uscc", flat=True))
    whole = {
        name: Client().get(reverse(f"public:{name}"), follow=True)
        for name in ("results-csv", "results-json", "results-xlsx")
    }
    rows = list(csv.reader(io.StringIO(_body(whole["results-csv"]).decode("utf-8")[1:])))
    assert [r[0] for r in rows[1:]] == expected_usccs
    data = json.loads(_body(whole["results-json"]))
    assert [r["uscc"] for r in data["results"]] == expected_usccs
    book = openpyxl.load_workbook(io.BytesIO(_body(whole["results-xlsx"])))
    assert [r[0] for r in book.active.iter_rows(min_row=2, values_only=True)] == expected_usccs


def _read_back_both(data: bytes) -> tuple[list, list]:
    """The first sheet's rows as openpyxl and as python-calamine read them (dates as dates)."""
    from python_calamine import CalamineWorkbook

    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["抽查结果"]
    by_openpyxl = [
        [v.date() if isinstance(v, datetime) else v for v in row] for row in book.active.iter_rows(values_only=True)
    ]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    by_calamine = [
        [v.date() if isinstance(v, datetime) else v for v in row] for row in sheet.to_python(skip_empty_area=False)
    ]
    return by_openpyxl, by_calamine


def test_the_prebuilt_xlsx_reads_back_cell_by_cell_with_openpyxl_and_calamine(pubs, settings, tmp_path):
    """The whole .xlsx (written as sheet XML, not through openpyxl): both readers see every cell as published,
    dates as dates, numbers as numbers, the formula-looking name as text with its apostrophe."""
    from disclosure import opendata

    settings.OPEN_DATA_ROOT = tmp_path
    opendata.build()
    data = (tmp_path / "results.xlsx").read_bytes()
    by_openpyxl, by_calamine = _read_back_both(data)
    assert by_openpyxl == [OPEN_DATA_HEADER, *_all_expected(pubs)]
    assert by_calamine == [OPEN_DATA_HEADER, *_all_expected(pubs)]  # calamine's 2026.0 == 2026
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.cell(row=1, column=1).font.b  # the column titles in bold
    assert sheet.cell(row=2, column=9).number_format == "yyyy-mm-dd"
    assert sheet.cell(row=2, column=14).data_type == "n"
    formula = sheet.cell(row=3, column=2)
    assert (formula.value, formula.data_type) == ('\'=HYPERLINK("http://x")公司', "s")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert not re.search(rb"<f[\s/>]", sheet_xml)  # no formula anywhere
    assert sheet_xml.count(b't="inlineStr"') == 19 + 3 * 14  # the titles, and 14 text cells a row (3 dates, 2 numbers)


def test_xml_special_characters_survive_the_xlsx(bureau, settings, tmp_path):
    from disclosure import opendata

    lead = _member("lead", bureau, Role.TEAM_LEAD)
    names = [" 甲&乙<丙>公司 ", "+86 公司", "-减号公司", "@at公司", "第一行\r\n第二行公司", "控制\x07字符公司"]
    make_publications(bureau, lead, names)
    settings.OPEN_DATA_ROOT = tmp_path
    opendata.build()
    by_openpyxl, by_calamine = _read_back_both((tmp_path / "results.xlsx").read_bytes())
    shown = [" 甲&乙<丙>公司 ", "'+86 公司", "'-减号公司", "'@at公司", "第一行\r\n第二行公司", "控制字符公司"]
    assert [row[1] for row in by_openpyxl[1:]] == shown  # a character XML cannot carry is dropped
    assert [row[1] for row in by_calamine[1:]] == shown
