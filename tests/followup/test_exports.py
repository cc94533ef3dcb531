"""The penalty exchange file: every column, code and date format against the template (penalty_template.py)."""

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from followup import exports, services
from followup.models import Case

from . import penalty_template as template
from .conftest import at, inspect

BUREAU_USCC = "11411000MB1A234560"  # check character 0 (GB 32100)


def _penalty(task, alice, *, number, decided_on, fine, category="fine", facts="废气处理设施未运行"):
    case = services.case_open(actor=alice, task=task)
    services.case_file(
        actor=alice,
        case=case,
        case_number=number,
        filed_on=date(2026, 9, 28),
        legal_basis="《中华人民共和国大气污染防治法》第一百零八条",
        violation_type="污染防治设施未正常运行",
        violation_facts=facts,
    )
    return services.case_decide(
        actor=alice,
        case=case,
        decision_number=number.replace("立", ""),
        decided_on=decided_on,
        penalty_category=category,
        penalty_content="罚款",
        fine=fine,
    )


@pytest.fixture
def penalties(bureau, draw, bob, partner, frank, alice, erin, ordered):
    services.policy_update(actor=erin, bureau=bureau, rectification_working_days=20, authority_uscc=BUREAU_USCC)
    second = inspect(bureau, [bob.inspector, partner], draw, outcome="case_filed", approver=frank)
    third = inspect(bureau, [bob.inspector, partner], draw, outcome="case_filed", approver=frank)
    with at(date(2026, 11, 30)):
        first = _penalty(ordered, alice, number="建环罚立〔2026〕1号", decided_on=date(2026, 11, 20), fine="50000.00")
        _penalty(
            second,
            alice,
            number="建环罚立〔2026〕2号",
            decided_on=date(2026, 10, 9),
            fine="12345.67",
            facts="=HYPERLINK(1)",
        )
        _penalty(third, alice, number="建环罚立〔2026〕3号", decided_on=date(2026, 9, 30), fine="100.00")
    return first


def test_header_is_the_template(penalties):
    assert list(exports.HEADER) == template.COLUMNS


def test_q4_rows_every_column(penalties, bureau):
    rows = exports.rows(bureau, date(2026, 10, 1), date(2026, 12, 31))
    assert [r[10] for r in rows] == ["建环罚〔2026〕2号", "建环罚〔2026〕1号"]  # by decision date; Q3's left out
    enterprise = Case.objects.get(case_number="建环罚立〔2026〕1号").task.enterprise
    assert dict(zip(template.COLUMNS, rows[1], strict=True)) == {
        "行政相对人名称": enterprise.name,
        "行政相对人类别": "法人及非法人组织",
        "行政相对人代码_1（统一社会信用代码）": enterprise.uscc,
        "行政相对人代码_2（工商注册号）": "",
        "行政相对人代码_3（组织机构代码）": "",
        "行政相对人代码_4（税务登记号）": "",
        "行政相对人代码_5（事业单位证书号）": "",
        "行政相对人代码_6（社会组织登记证号）": "",
        "法定代表人": "周法人",
        "法定代表人身份证号": "",
        "行政处罚决定书文号": "建环罚〔2026〕1号",
        "违法行为类型": "污染防治设施未正常运行",
        "违法事实": "废气处理设施未运行",
        "处罚依据": "《中华人民共和国大气污染防治法》第一百零八条",
        "处罚类别": "罚款",
        "处罚内容": "罚款",
        "罚款金额（万元）": "5",
        "没收违法所得、没收非法财物的金额（万元）": "",
        "暂扣或吊销证照名称及编号": "",
        "处罚决定日期": "2026/11/20",
        "处罚有效期": "2099/12/31",
        "公示截止期": "2027/11/20",
        "处罚机关": "许昌市生态环境局建安分局",
        "处罚机关统一社会信用代码": BUREAU_USCC,
        "数据来源单位": "许昌市生态环境局建安分局",
        "数据来源单位统一社会信用代码": BUREAU_USCC,
        "备注": "建环罚立〔2026〕1号",
    }
    assert rows[0][16] == "1.234567"
    for row in rows:
        assert row[1] in template.SUBJECT_CATEGORIES
        assert row[14] in template.PENALTY_CATEGORIES
        for column in ("处罚决定日期", "处罚有效期", "公示截止期"):
            assert re.match(template.DATE_PATTERN, row[template.COLUMNS.index(column)])
        assert re.match(template.AMOUNT_PATTERN, row[16])


def test_csv_and_xlsx_carry_the_same_formula_safe_cells(penalties, bureau):
    start, end = date(2026, 10, 1), date(2026, 12, 31)
    data = exports.penalties_csv(bureau, start, end)
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == template.COLUMNS
    assert lines[1][12] == "'=HYPERLINK(1)"
    assert [line[19] for line in lines[1:]] == ["2026/10/09", "2026/11/20"]
    sheet = load_workbook(io.BytesIO(exports.penalties_xlsx(bureau, start, end))).active
    values = [[("" if c is None else c) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0] == template.COLUMNS
    assert values[1:] == lines[1:]
    assert sheet.title == "行政处罚"


def test_quarter_of_the_page(penalties, bureau, client_for, alice):
    response = client_for(alice).get("/followup/penalties/", {"year": 2026, "quarter": 3, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="penalties-jianan-20260701-20260930.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [line[10] for line in lines[1:]] == ["建环罚〔2026〕3号"]
    assert lines[1][16] == "0.01"


def test_export_form_refusals(bureau, client_for, alice, bob, mallory):
    client = client_for(alice)
    response = client.get("/followup/penalties/", {"year": 2026, "format": "csv"})
    assert response.status_code == 400
    assert "请同时填写年度和季度。" in response.content.decode()
    response = client.get(
        "/followup/penalties/", {"date_from": "2026-12-01", "date_to": "2026-11-01", "format": "xlsx"}
    )
    assert response.status_code == 400
    assert "结束日期早于开始日期。" in response.content.decode()
    assert client_for(bob).get("/followup/penalties/").status_code == 403
    # mallory's own bureau: an empty file, never this bureau's penalties.
    response = client_for(mallory).get("/followup/penalties/", {"year": 2026, "quarter": 4, "format": "csv"})
    assert len(response.content.decode("utf-8-sig").strip().splitlines()) == 1
