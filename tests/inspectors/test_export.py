import io
from datetime import date, datetime

import time_machine
from openpyxl import load_workbook

from core.excel import read_sheet
from core.models import AuditEntry
from inspectors.models import LeavePeriod
from inspectors.services import inspectors_import
from tests.factories import InspectorFactory
from tests.inspectors.conftest import HEADER

EXPORT_HEADER = (*HEADER, "在岗状态", "调离日期", "调离原因", "执法证状态")


def workbook_rows(response):
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    return sheet, list(sheet.iter_rows(values_only=True))


@time_machine.travel(datetime(2026, 3, 2, 10, 0))
def test_export_neutralises_formula_injection(client_for, dave, bureau):
    InspectorFactory(
        bureau=bureau,
        code="ZF001",
        name='=HYPERLINK("http://evil.example","点我")',
        unit="+1+1",
        phone="-2+3",
        specialty_note="@SUM(A1:A9)",
        certificate_number="豫环执1",
        certificate_valid_until=date(2026, 5, 1),
    )
    response = client_for(dave).get("/inspectors/export.xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="inspectors-20260302.xlsx"'
    sheet, rows = workbook_rows(response)
    assert rows[0] == EXPORT_HEADER
    assert rows[1] == (
        "ZF001",
        '\'=HYPERLINK("http://evil.example","点我")',
        "执法人员",
        "'+1+1",
        "'-2+3",
        "豫环执1",
        datetime(2024, 1, 1),
        datetime(2026, 5, 1),
        None,
        "'@SUM(A1:A9)",
        None,
        "在岗",
        None,
        None,
        "90日内到期",
    )
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_export_keeps_the_list_filters(client_for, carol, bureau):
    InspectorFactory(bureau=bureau, code="ZF001", name="在岗甲")
    InspectorFactory(
        bureau=bureau,
        code="ZF002",
        name="调离乙",
        active=False,
        inactive_since=date(2026, 1, 5),
        inactive_reason="退休",
    )
    _sheet, rows = workbook_rows(client_for(carol).get("/inspectors/export.xlsx", {"active": "0"}))
    assert [row[:2] for row in rows[1:]] == [("ZF002", "调离乙")]
    assert rows[1][11:14] == ("已调离/停用", datetime(2026, 1, 5), "退休")
    list_page = client_for(carol).get("/inspectors/", {"active": "0", "q": "乙"}).content.decode()
    assert 'href="/inspectors/export.xlsx?active=0&amp;q=%E4%B9%99"' in list_page


def test_export_can_be_imported_again_without_changes(client_for, carol, bureau, industry, division):
    first = InspectorFactory(
        bureau=bureau, code="ZF001", name="甲", unit="一中队", phone="13800000000", region=division("411003001")
    )
    first.specialties.set([industry("2614"), industry("27")])
    InspectorFactory(
        bureau=bureau,
        code="ZF002",
        name="乙",
        kind="supervision",
        certificate_number="",
        certificate_valid_from=None,
        certificate_valid_until=None,
    )
    LeavePeriod.objects.create(inspector=first, start=date(2026, 12, 1), end=date(2026, 12, 2))
    response = client_for(carol).get("/inspectors/export.xlsx")
    result = inspectors_import(
        actor=carol, bureau=bureau, sheet=read_sheet(response.content, max_bytes=10_000_000), filename="导出.xlsx"
    )
    assert (result.created, result.updated, result.unchanged) == ([], [], 2)
    assert AuditEntry.objects.count() == 0


def test_import_template_has_the_column_titles(client_for, dave, bureau):
    _sheet, rows = workbook_rows(client_for(dave).get("/inspectors/import/template.xlsx"))
    assert rows == [("人员编号*", "姓名*", *HEADER[2:])]
