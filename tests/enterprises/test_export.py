"""Export of the filtered registry and the import template: .xlsx, bureau-scoped, formula-injection safe."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.excel import XLSX_CONTENT_TYPE
from enterprises.spreadsheet import HEADER, example_row
from tests.factories import EnterpriseFactory, valid_uscc


def open_xlsx(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def test_export_is_filtered_like_the_list_and_scoped_to_the_bureau(client_for, carol, bureau, other_bureau, town, chem):
    EnterpriseFactory(bureau=bureau, name="许昌甲重点有限公司", tier="key", division=town, industry=chem)
    EnterpriseFactory(bureau=bureau, name="许昌乙一般有限公司", tier="general")
    EnterpriseFactory(bureau=other_bureau, name="鄢陵丙重点有限公司", tier="key")
    response = client_for(carol).get(reverse("enterprises:export"), {"tier": "key"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="enterprises-jianan-')
    sheet = open_xlsx(response.content)
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert len(rows) == 2
    row = dict(zip(HEADER, rows[1], strict=True))
    assert (
        row["企业名称"],
        row["企业分类"],
        row["行政区划代码"],
        row["行政区划名称"],
        row["行业代码"],
        row["行业名称"],
    ) == (
        "许昌甲重点有限公司",
        "重点",
        "411003100",
        "将官池镇",
        "2614",
        "有机化学原料制造",
    )


def test_export_everything_without_filters(client_for, carol, bureau):
    for n in range(3):
        EnterpriseFactory(bureau=bureau, name=f"企业{n}")
    sheet = open_xlsx(client_for(carol).get(reverse("enterprises:export")).content)
    assert sheet.max_row == 4


DANGEROUS = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_export_neutralises_formula_injection_cell_by_cell(client_for, carol, bureau):
    for n, text in enumerate(DANGEROUS):
        EnterpriseFactory(
            bureau=bureau,
            uscc=valid_uscc(300 + n),
            name=f"{text} 有限公司",
            address=text,
            phone=text,
            legal_representative=text,
            contact_name=text,
            notes=text,
            products_and_scale=text,
        )
    sheet = open_xlsx(client_for(carol).get(reverse("enterprises:export")).content)
    seen = 0
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), (cell.coordinate, cell.value)
                if cell.value.startswith("'"):
                    assert cell.value[1] in "=+-@\t\r\n"  # XML reads a carriage return back as a newline
                    seen += 1
    assert seen == len(DANGEROUS) * 7


def test_template_has_the_importers_header_and_one_example_row(client_for, carol):
    response = client_for(carol).get(reverse("enterprises:import-template"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="enterprise-import-template.xlsx"'
    rows = list(open_xlsx(response.content).iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert [value if value is not None else "" for value in rows[1]] == example_row()
    assert len(rows) == 2


@pytest.mark.parametrize("name", ["enterprises:export", "enterprises:import-template"])
def test_downloads_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
