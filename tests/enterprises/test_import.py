"""The spreadsheet import: all rows or none, every error listed by row and column, updates audited."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit import verify_chain
from core.errors import DomainError
from core.models import AuditEntry
from enterprises import services
from enterprises.enums import EnterpriseStatus, Tier
from enterprises.models import Enterprise, EnterpriseStatusChange
from enterprises.spreadsheet import HEADER, _parse_date
from tests.enterprises.conftest import row_for
from tests.factories import EnterpriseFactory, valid_uscc
from tests.spreadsheets import make_xlsx


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        yield


def run(bureau, actor, data, filename="名录.xlsx"):
    return services.enterprises_import(actor=actor, bureau=bureau, data=data, filename=filename)


def test_import_good_file_creates_exact_rows(bureau, carol, town, chem):
    data = make_xlsx(
        HEADER,
        [
            row_for(valid_uscc(100), "许昌甲化工有限公司"),
            row_for(
                valid_uscc(101).lower(),
                "许昌乙食品有限公司",
                企业分类="",
                市控及以上重点="否",
                正面清单="是",
                污染类型="废水，噪声",
                行政区划代码="将官池镇",
                行业代码="1431",
                经度="",
                纬度="",
                投产时间="2019年7月",
                排污许可类别="登记管理",
                信用评价="",
                运行状态="停产",
                状态起始日期="2026/10/1",
            ),
        ],
    )
    result = run(bureau, carol, data)
    assert (result.ok, result.rows, result.created, result.updated, result.unchanged) == (True, 2, 2, 0, 0)
    first = Enterprise.objects.get(uscc=valid_uscc(100))
    assert {
        name: getattr(first, name)
        for name in (
            "bureau_id",
            "name",
            "address",
            "phone",
            "legal_representative",
            "contact_name",
            "contact_phone",
            "environmental_officer",
            "division_id",
            "authority",
            "river_basin",
            "longitude",
            "latitude",
            "industry_id",
            "pollutes_water",
            "pollutes_air",
            "pollutes_noise",
            "pollutes_solid",
            "production_start",
            "products_and_scale",
            "permit_number",
            "permit_category",
            "tier",
            "key_criteria",
            "special_criteria",
            "general_criteria",
            "city_controlled_key",
            "status",
            "status_since",
            "construction_status",
            "scale",
            "production_cycle",
            "monitoring_type",
            "performance_grade",
            "credit_rating",
            "positive_list",
            "notes",
        )
    } == {
        "bureau_id": bureau.pk,
        "name": "许昌甲化工有限公司",
        "address": "许昌市建安区示例路88号",
        "phone": "0374-3389001",
        "legal_representative": "张三",
        "contact_name": "李四",
        "contact_phone": "13800000000",
        "environmental_officer": "王五",
        "division_id": town.pk,
        "authority": "许昌市生态环境局建安分局",
        "river_basin": "清潩河",
        "longitude": Decimal("113.812345"),
        "latitude": Decimal("34.012345"),
        "industry_id": chem.pk,
        "pollutes_water": True,
        "pollutes_air": True,
        "pollutes_noise": False,
        "pollutes_solid": False,
        "production_start": date(2015, 3, 1),
        "products_and_scale": "年产有机化工原料5000吨",
        "permit_number": "91411003MA44B7QX2L001P",
        "permit_category": "key",
        "tier": "key",
        "key_criteria": False,
        "special_criteria": False,
        "general_criteria": False,
        "city_controlled_key": True,
        "status": "operating",
        "status_since": None,
        "construction_status": "in_production",
        "scale": "medium",
        "production_cycle": "continuous",
        "monitoring_type": "automatic",
        "performance_grade": "B",
        "credit_rating": "good",
        "positive_list": False,
        "notes": "",
    }
    second = Enterprise.objects.get(uscc=valid_uscc(101))
    assert (second.tier, second.positive_list, second.pollution_types) == (Tier.GENERAL, True, ["water", "noise"])
    assert (second.division, second.industry.code, second.longitude, second.production_start) == (
        town,
        "1431",
        None,
        date(2019, 7, 1),
    )
    assert (second.permit_category, second.credit_rating, second.status, second.status_since) == (
        "registration",
        "none",
        "suspended",
        date(2026, 10, 1),
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.bureau) == ("enterprises.import", carol, bureau)
    assert entry.data["created"] == 2
    assert entry.data["file"] == "名录.xlsx"
    assert len(entry.data["sha256"]) == 64


def test_import_the_template_example_row_is_valid(bureau, carol, client_for):
    from django.urls import reverse

    template = client_for(carol).get(reverse("enterprises:import-template")).content
    result = run(bureau, carol, template)
    assert (result.ok, result.created) == (True, 1)
    assert Enterprise.objects.get().uscc == "91411003MA44B7QX2L"


def test_import_mixed_errors_are_all_listed_and_nothing_is_written(bureau, carol):
    existing = EnterpriseFactory(bureau=bureau, uscc=valid_uscc(120), name="原名称")
    audit_before = AuditEntry.objects.count()
    rows = [
        row_for(valid_uscc(121), "好的一行"),  # row 2: fine
        row_for("91411081380244962D", "校验位错误"),  # row 3
        row_for(valid_uscc(122), "", 行政区划代码="999999"),  # row 4: two errors
        row_for(valid_uscc(121), "重复", 经度="200"),  # row 5: duplicate USCC + longitude
        row_for(valid_uscc(123), "分类冲突", 企业分类="一般"),  # row 6: city-controlled but general
        row_for(
            valid_uscc(124), "坏值", 排污许可类别="超级", 投产时间="去年", 正面清单="也许", 污染类型="辐射"
        ),  # row 7
        row_for(valid_uscc(120), "更新", 行业代码="2699"),  # row 8: update with an unknown industry
        row_for(valid_uscc(125), "未来", 运行状态="停产", 状态起始日期="2027-01-01"),  # row 9
    ]
    result = run(bureau, carol, make_xlsx(HEADER, rows))
    assert not result.ok
    assert [(e["row"], e["column"]) for e in result.errors] == [
        (3, "统一社会信用代码"),
        (4, "企业名称"),
        (4, "行政区划代码"),
        (5, "统一社会信用代码"),
        (5, "经度"),
        (6, "企业分类"),
        (7, "污染类型"),
        (7, "投产时间"),
        (7, "排污许可类别"),
        (7, "正面清单"),
        (8, "行业代码"),
        (9, "状态起始日期"),
    ]
    messages = {(e["row"], e["column"]): e["message"] for e in result.errors}
    assert messages[3, "统一社会信用代码"] == "USCC 91411081380244962D has a wrong check character."
    assert messages[4, "企业名称"] == "This cell is required."
    assert messages[5, "统一社会信用代码"] == f"USCC {valid_uscc(121)} is already on row 2."
    assert messages[5, "经度"] == "Longitude 200 is outside China (73 to 136)."
    assert messages[7, "排污许可类别"] == "“超级” is not one of: 重点管理、简化管理、登记管理、无."
    assert messages[8, "行业代码"] == (
        "Industry code “2699” is not in the industry table (GB/T 4754-2017). The nearest code in the table is 26."
    )
    assert messages[9, "状态起始日期"] == "2027-01-01 is in the future."
    assert Enterprise.objects.count() == 1
    existing.refresh_from_db()
    assert existing.name == "原名称"
    assert AuditEntry.objects.count() == audit_before
    assert result.summary() == "Nothing was imported: 12 errors were found. Correct them and upload the file again."


def test_import_tier_conflict_on_an_otherwise_good_file_writes_nothing(bureau, carol):
    rows = [row_for(valid_uscc(130), "甲"), row_for(valid_uscc(131), "乙", 企业分类="一般")]
    result = run(bureau, carol, make_xlsx(HEADER, rows))
    assert result.errors == [
        {
            "row": 3,
            "column": "企业分类",
            "message": "A city-controlled or higher key emitter is in the key tier unless it meets the special or the "
            "general criteria.",
        }
    ]
    assert not Enterprise.objects.exists()


def test_import_updates_by_uscc_and_audits_before_and_after(bureau, carol, town):
    target = EnterpriseFactory(bureau=bureau, uscc=valid_uscc(140), name="许昌旧名称有限公司", phone="0374-1111111")
    same = EnterpriseFactory(bureau=bureau, uscc=valid_uscc(141), name="不变有限公司", phone="0374-2222222")
    header = ["统一社会信用代码", "企业名称", "单位电话", "行政区划代码", "污染类型", "运行状态"]
    rows = [
        [valid_uscc(140), "许昌新名称有限公司", "0374-9999999", "411003100", "废气", "正常生产"],
        [valid_uscc(141), "不变有限公司", "0374-2222222", "", "", "正常生产"],
        [valid_uscc(142), "新企业有限公司", "", "", "", "正常生产"],
    ]
    result = run(bureau, carol, make_xlsx(header, rows), filename="更新.xlsx")
    assert (result.ok, result.created, result.updated, result.unchanged) == (True, 1, 1, 1)
    target.refresh_from_db()
    same.refresh_from_db()
    assert (target.name, target.phone, target.division, target.pollutes_air) == (
        "许昌新名称有限公司",
        "0374-9999999",
        town,
        True,
    )
    assert target.address == "许昌市建安区测试路1号"  # not a column of the file: kept
    assert same.name == "不变有限公司"
    update, summary = AuditEntry.objects.order_by("id")
    assert (update.action, update.object_id, update.actor) == ("enterprises.enterprise_updated", str(target.pk), carol)
    assert update.data == {
        "before": {"name": "许昌旧名称有限公司", "phone": "0374-1111111", "division": None, "pollutes_air": False},
        "after": {"name": "许昌新名称有限公司", "phone": "0374-9999999", "division": "411003100", "pollutes_air": True},
        "source": "import",
        "file": "更新.xlsx",
    }
    assert summary.action == "enterprises.import"
    assert {k: summary.data[k] for k in ("rows", "created", "updated", "unchanged", "status_changes")} == {
        "rows": 3,
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "status_changes": 0,
    }
    assert verify_chain().ok


def test_import_blank_cells_of_present_columns_clear_the_value(bureau, carol):
    target = EnterpriseFactory(bureau=bureau, uscc=valid_uscc(150), phone="0374-1111111", scale="large")
    result = run(
        bureau,
        carol,
        make_xlsx(["统一社会信用代码", "企业名称", "单位电话", "生产规模"], [[target.uscc, target.name, "", ""]]),
    )
    assert result.updated == 1
    target.refresh_from_db()
    assert (target.phone, target.scale) == ("", "small")


def test_import_status_change_is_dated_history(bureau, carol):
    target = EnterpriseFactory(bureau=bureau, uscc=valid_uscc(160))
    header = ["统一社会信用代码", "企业名称", "运行状态", "状态起始日期"]
    result = run(bureau, carol, make_xlsx(header, [[target.uscc, target.name, "关闭", "2026-11-01"]]))
    assert (result.updated, result.status_changes) == (1, 1)
    target.refresh_from_db()
    assert (target.status, target.status_since) == (EnterpriseStatus.CLOSED, date(2026, 11, 1))
    change = EnterpriseStatusChange.objects.get()
    assert (change.enterprise, change.old_status, change.new_status, change.effective_date, change.recorded_by) == (
        target,
        "operating",
        "closed",
        date(2026, 11, 1),
        carol,
    )
    assert change.reason == "Spreadsheet import 名录.xlsx"
    # A status date before the last recorded change is refused.
    result = run(bureau, carol, make_xlsx(header, [[target.uscc, target.name, "正常生产", "2026-10-01"]]))
    assert [(e["row"], e["column"]) for e in result.errors] == [(2, "状态起始日期")]
    # Without a date the change takes effect today.
    result = run(bureau, carol, make_xlsx(header[:3], [[target.uscc, target.name, "正常"]]))
    target.refresh_from_db()
    assert (target.status, target.status_since) == (EnterpriseStatus.OPERATING, date(2026, 11, 23))


def test_import_header_errors(bureau, carol):
    result = run(bureau, carol, make_xlsx(["企业名称", "电话号码", "企业名称", "备注"], [["甲", "1", "甲", ""]]))
    assert [(e["row"], e["column"], e["message"]) for e in result.errors] == [
        (1, "电话号码", "Unknown column. The accepted column titles are listed on the import page."),
        (1, "企业名称", "This column appears twice."),
        (1, "统一社会信用代码", "This required column is missing."),
    ]
    assert not Enterprise.objects.exists()


def test_import_blank_rows_are_skipped_and_row_numbers_kept(bureau, carol):
    rows = [row_for(valid_uscc(170), "甲"), [None] * len(HEADER), row_for("bad", "丙")]
    result = run(bureau, carol, make_xlsx(HEADER, rows))
    assert [(e["row"], e["column"]) for e in result.errors] == [(4, "统一社会信用代码")]


def test_import_export_round_trip_changes_nothing(bureau, carol, client_for):
    from django.urls import reverse

    assert run(bureau, carol, make_xlsx(HEADER, [row_for(valid_uscc(181), "乙")])).created == 1
    EnterpriseFactory(bureau=bureau, uscc=valid_uscc(180), name='=HYPERLINK("http://x")有限公司', phone="+86 374 1")
    exported = client_for(carol).get(reverse("enterprises:export")).content
    before = AuditEntry.objects.count()
    result = run(bureau, carol, exported)
    assert (result.ok, result.created, result.updated, result.unchanged) == (True, 0, 0, 2)
    assert Enterprise.objects.get(uscc=valid_uscc(180)).name == '=HYPERLINK("http://x")有限公司'
    assert AuditEntry.objects.count() == before + 1  # only the summary


def test_import_queries_do_not_grow_with_rows(bureau, carol):
    def count(n, start):
        data = make_xlsx(HEADER, [row_for(valid_uscc(start + i), f"企业{start + i}") for i in range(n)])
        with CaptureQueriesContext(connection) as queries:
            assert run(bureau, carol, data).created == n
        return len(queries)

    assert count(3, 1000) == count(20, 2000)  # within one batch of rows


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"this is not a spreadsheet at all", "The file is not an Excel workbook (.xlsx)."),
        (b"PK\x03\x04garbage", "The file is not an Excel workbook (.xlsx)."),
    ],
)
def test_import_unreadable_files_change_nothing(bureau, carol, data, message):
    with pytest.raises(DomainError) as exc:
        run(bureau, carol, data)
    assert str(exc.value) == message
    assert not Enterprise.objects.exists()
    assert not AuditEntry.objects.exists()


def test_import_a_zip_that_is_not_a_workbook(bureau, carol):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(DomainError, match=r"not an Excel workbook"):
        run(bureau, carol, buffer.getvalue())


def test_import_header_only_file(bureau, carol):
    with pytest.raises(DomainError, match="no data rows"):
        run(bureau, carol, make_xlsx(HEADER, []))


def test_import_empty_sheet(bureau, carol):
    with pytest.raises(DomainError, match="The sheet is empty"):
        run(bureau, carol, make_xlsx([], []))


def test_import_oversized_file_is_refused(bureau, carol, settings):
    data = make_xlsx(HEADER, [row_for(valid_uscc(190), "甲")])
    settings.IMPORT_MAX_BYTES = len(data) - 1
    with pytest.raises(DomainError, match=r"The file is too large"):
        run(bureau, carol, data)
    assert not Enterprise.objects.exists()


def test_import_zip_bomb_is_refused(bureau, carol):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<sheetData>" + b"0" * (60 * 1024 * 1024) + b"</sheetData>")
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(DomainError, match="implausible size"):
        run(bureau, carol, data)
    assert not Enterprise.objects.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-03-01", date(2015, 3, 1)),
        ("2015/3/1", date(2015, 3, 1)),
        ("2015.03.01", date(2015, 3, 1)),
        ("2015年3月1日", date(2015, 3, 1)),
        ("2015年3月", date(2015, 3, 1)),
        ("2015-03", date(2015, 3, 1)),
        ("20150301", date(2015, 3, 1)),
        ("2015-03-01 00:00:00", date(2015, 3, 1)),
        ("42064", date(2015, 3, 1)),  # an Excel serial number
        ("", None),
    ],
)
def test_import_date_formats(text, expected):
    assert _parse_date(text) == expected


@pytest.mark.parametrize("text", ["2015-02-30", "去年", "1800-01-01", "15/3/1"])
def test_import_bad_dates(text):
    from enterprises.spreadsheet import CellError

    with pytest.raises(CellError):
        _parse_date(text)


def test_import_date_cells_and_number_cells(bureau, carol):
    header = ["统一社会信用代码", "企业名称", "投产时间", "经度", "纬度", "行业代码", "联系人电话"]
    rows = [[valid_uscc(195), "甲", date(2012, 5, 6), 113.5, 34.25, 2614, 13800138000]]
    result = run(bureau, carol, make_xlsx(header, rows))
    assert result.ok, result.errors
    row = Enterprise.objects.get()
    assert (row.production_start, row.longitude, row.latitude, row.industry.code, row.contact_phone) == (
        date(2012, 5, 6),
        Decimal("113.5"),
        Decimal("34.25"),
        "2614",
        "13800138000",
    )


def test_import_repeated_cells_are_checked_on_every_row(bureau, carol, town, chem):
    """Repeated cells of choice/code/date columns are parsed once per import; an error still names every row."""
    rows = [
        row_for(valid_uscc(190), "甲", 生产规模="巨型", 行业代码="9999", 污染类型="废水、辐射"),
        row_for(valid_uscc(191), "乙", 生产规模="中型", 行业代码="2614", 污染类型="废水、废气"),
        row_for(valid_uscc(192), "丙", 生产规模="巨型", 行业代码="9999", 污染类型="废水、辐射"),
        row_for(valid_uscc(193), "丁", 生产规模="中型", 行业代码="2614", 污染类型="废水、废气"),
    ]
    result = run(bureau, carol, make_xlsx(HEADER, rows))
    assert [(e["row"], e["column"]) for e in result.errors] == [
        (2, "行业代码"),
        (2, "污染类型"),
        (2, "生产规模"),
        (4, "行业代码"),
        (4, "污染类型"),
        (4, "生产规模"),
    ]
    assert not Enterprise.objects.exists()
    good = run(bureau, carol, make_xlsx(HEADER, [rows[1], rows[3]]))
    assert good.created == 2
    assert list(
        Enterprise.objects.order_by("uscc").values_list("scale", "industry__code", "pollutes_water", "pollutes_air")
    ) == sorted(
        [("medium", "2614", True, True), ("medium", "2614", True, True)],
    )
