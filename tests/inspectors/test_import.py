import io
import zipfile
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core import imports as core_imports
from core.audit import audit_log, verify_chain
from core.enums import JobStatus
from core.excel import read_sheet
from core.models import AuditEntry, Job
from inspectors.models import Inspector, InspectorImport
from inspectors.services import inspectors_import
from tests.factories import InspectorFactory
from tests.inspectors.conftest import HEADER, xlsx


def sheet_of(rows):
    return read_sheet(xlsx(rows), max_bytes=10_000_000)


def run_import(carol, bureau, rows, filename="人员.xlsx"):
    return inspectors_import(actor=carol, bureau=bureau, sheet=sheet_of(rows), filename=filename)


GOOD = [
    HEADER,
    [
        "ZF101",
        "刘执法",
        "执法人员",
        "执法大队一中队",
        13800000001,
        "豫环执101",
        date(2024, 1, 1),
        "2028/12/31",
        "2614、27",
        "危废",
        "新元街道",
    ],
    ["ZF102", "陈监管", "日常监管人员", "污染防治股", "", "", None, None, "", "", "411003100"],
]


def test_import_good_file_creates_exact_rows_and_audits(carol, bureau):
    result = run_import(carol, bureau, GOOD)
    assert (result.created, result.updated, result.unchanged) == (["ZF101", "ZF102"], [], 0)
    rows = list(
        Inspector.objects.filter(bureau=bureau)
        .order_by("code")
        .values_list(
            "code",
            "name",
            "kind",
            "unit",
            "phone",
            "certificate_number",
            "certificate_valid_from",
            "certificate_valid_until",
            "specialty_note",
            "region__code",
            "active",
        )
    )
    assert rows == [
        (
            "ZF101",
            "刘执法",
            "enforcement",
            "执法大队一中队",
            "13800000001",
            "豫环执101",
            date(2024, 1, 1),
            date(2028, 12, 31),
            "危废",
            "411003001",
            True,
        ),
        ("ZF102", "陈监管", "supervision", "污染防治股", "", "", None, None, "", "411003100", True),
    ]
    first = Inspector.objects.get(code="ZF101")
    assert sorted(first.specialties.values_list("code", flat=True)) == ["2614", "27"]
    assert list(AuditEntry.objects.order_by("id").values_list("action", "object_repr")) == [
        ("inspectors.inspector_created", "刘执法 (ZF101)"),
        ("inspectors.inspector_created", "陈监管 (ZF102)"),
        ("inspectors.imported", "人员.xlsx"),
    ]
    created = AuditEntry.objects.filter(action="inspectors.inspector_created").order_by("id").first()
    assert created.data["source"] == "import" and created.data["after"]["specialties"] == ["2614", "27"]
    assert verify_chain().ok


def test_import_accepts_english_titles_any_order_and_extra_columns(carol, bureau):
    with translation.override("en"):
        result = run_import(
            carol,
            bureau,
            [
                ["Notes", "Name*", "Staff code*", "Kind of staff"],
                ["ignored", "王英文", "ZF201", "Daily-supervision staff"],
            ],
        )
    assert result.created == ["ZF201"]
    assert Inspector.objects.get(code="ZF201").kind == "supervision"


def test_import_lists_every_error_by_row_and_column_and_writes_nothing(carol, bureau):
    InspectorFactory(bureau=bureau, code="ZF001", name="王检查", certificate_number="豫环执001")
    rows = [
        HEADER,
        ["ZF101", "", "执法人员", "", "", "豫环执101", "2024-01-01", "2028-12-31", "", "", ""],
        ["ZF102", "乙", "局长", "", "", "豫环执102", "2024-13-01", "2028-12-31", "", "", ""],
        ["ZF103", "丙", "", "", "", "", None, None, "2614,9999;ABC", "", "火星镇"],
        ["ZF101", "丁", "", "", "", "", None, None, "", "", ""],
        ["ZF 105", "戊", "", "", "", "豫环执001", "2024-01-01", "2023-01-01", "", "", ""],
        ["ZF106", "己", "", "", "", "豫环执106", "", "", "", "", ""],
    ]
    before = AuditEntry.objects.count()
    result = run_import(carol, bureau, rows)
    assert result.errors == [
        {"row": 2, "column": "姓名", "message": "此项必填。"},
        {"row": 3, "column": "人员类别", "message": "人员类别 局长 无效，请填写 执法人员 / 日常监管人员。"},
        {"row": 3, "column": "执法证有效期起", "message": "2024-13-01 不是有效日期，请按 2024-01-31 的格式填写。"},
        {"row": 4, "column": "专长行业代码", "message": "行业代码不存在：9999、ABC。"},
        {"row": 4, "column": "所在区域", "message": "没有代码或名称为 火星镇 的行政区划。"},
        {"row": 5, "column": "人员编号", "message": "人员编号 ZF101 与第 2 行重复。"},
        {"row": 6, "column": "人员编号", "message": "只能使用字母、数字、- 和 _。"},
        {"row": 6, "column": "执法证号", "message": "执法证 豫环执001 同时登记在名录库中的 ZF001。"},
        {"row": 6, "column": "执法证有效期止", "message": "执法证有效期止不能早于有效期起。"},
        {"row": 7, "column": "执法证有效期起", "message": "请填写执法证有效期（起止日期）。"},
        {"row": 7, "column": "执法证有效期止", "message": "请填写执法证有效期（起止日期）。"},
    ]
    assert result.summary == "文件未导入：发现 11 处问题，未做任何修改。"
    assert list(Inspector.objects.values_list("code", flat=True)) == ["ZF001"]
    assert AuditEntry.objects.count() == before


def test_import_reports_missing_and_repeated_columns_on_row_1(carol, bureau):
    result = run_import(carol, bureau, [["姓名", "联系电话", "联系电话"], ["甲", "1", "2"]])
    assert result.errors == [
        {"row": 1, "column": "联系电话", "message": "此列重复出现。"},
        {"row": 1, "column": "人员编号", "message": "缺少此必填列。"},
    ]


def test_import_of_a_header_without_rows_is_refused(carol, bureau):
    result = run_import(carol, bureau, [HEADER, [None] * len(HEADER)])
    assert result.errors == [{"row": None, "column": "", "message": "工作表中没有数据行。"}]


def test_import_certificate_clash_inside_the_file(carol, bureau):
    rows = [[*HEADER[:2], "执法证号", "执法证有效期起", "执法证有效期止"]]
    rows += [
        ["ZF101", "甲", "豫环执9", "2024-01-01", "2028-12-31"],
        ["ZF102", "乙", "豫环执9", "2024-01-01", "2028-12-31"],
    ]
    result = run_import(carol, bureau, rows)
    assert result.errors == [
        {"row": 2, "column": "执法证号", "message": "执法证 豫环执9 同时登记在第 3 行。"},
        {"row": 3, "column": "执法证号", "message": "执法证 豫环执9 同时登记在第 2 行。"},
    ]


def test_import_updates_matched_codes_only_in_the_given_columns_and_audits(carol, bureau, industry):
    existing = InspectorFactory(
        bureau=bureau, code="ZF001", name="王检查", unit="一中队", phone="111", certificate_number="豫环执001"
    )
    existing.specialties.set([industry("2614")])
    result = run_import(
        carol,
        bureau,
        [["人员编号", "姓名", "联系电话", "专长行业代码"], ["ZF001", "王检查", "13700000000", "2614；2710"]],
    )
    assert (result.created, result.updated) == ([], ["ZF001"])
    existing.refresh_from_db()
    assert (existing.name, existing.unit, existing.phone) == ("王检查", "一中队", "13700000000")
    assert sorted(existing.specialties.values_list("code", flat=True)) == ["2614", "2710"]
    entry = AuditEntry.objects.get(action="inspectors.inspector_updated")
    assert (entry.object_id, entry.actor_name) == (str(existing.pk), "赵名录")
    assert entry.data == {
        "before": {"phone": "111", "specialties": ["2614"]},
        "after": {"phone": "13700000000", "specialties": ["2614", "2710"]},
        "source": "import",
        "file": "人员.xlsx",
    }


def test_import_twice_changes_nothing_the_second_time(carol, bureau):
    run_import(carol, bureau, GOOD)
    count = AuditEntry.objects.count()
    result = run_import(carol, bureau, GOOD)
    assert (result.created, result.updated, result.unchanged) == ([], [], 2)
    assert AuditEntry.objects.count() == count


def test_import_may_move_a_certificate_between_rows_of_the_file(carol, bureau):
    InspectorFactory(bureau=bureau, code="ZF001", certificate_number="豫环执A")
    rows = [["人员编号", "姓名", "执法证号", "执法证有效期起", "执法证有效期止"]]
    rows += [
        ["ZF001", "甲", "豫环执B", "2024-01-01", "2028-12-31"],
        ["ZF002", "乙", "豫环执A", "2024-01-01", "2028-12-31"],
    ]
    run_import(carol, bureau, rows)
    assert dict(Inspector.objects.values_list("code", "certificate_number")) == {"ZF001": "豫环执B", "ZF002": "豫环执A"}


def test_import_accepts_common_date_spellings(carol, bureau):
    rows = [["人员编号", "姓名", "执法证号", "执法证有效期起", "执法证有效期止"]]
    rows += [
        ["ZF1", "甲", "证1", "2024.1.2", "2028年12月31日"],
        ["ZF2", "乙", "证2", "20240103", datetime(2028, 12, 30, 0, 0)],
        ["ZF3", "丙", "证3", "45295", "2028-12-29"],
    ]
    run_import(carol, bureau, rows)
    assert list(
        Inspector.objects.order_by("code").values_list("certificate_valid_from", "certificate_valid_until")
    ) == [
        (date(2024, 1, 2), date(2028, 12, 31)),
        (date(2024, 1, 3), date(2028, 12, 30)),
        (date(2024, 1, 4), date(2028, 12, 29)),  # Excel serial 45292 is 2024-01-01
    ]


def _queries(carol, bureau, count):
    rows = [HEADER] + [
        [f"ZF{i:03d}", f"人员{i}", "", "一中队", "", f"证{i}", "2024-01-01", "2028-12-31", "2614、2710", "", "新元街道"]
        for i in range(count)
    ]
    sheet = sheet_of(rows)
    with CaptureQueriesContext(connection) as captured:
        inspectors_import(actor=carol, bureau=bureau, sheet=sheet)
    return len(captured)


def _audit_entry_queries(carol, bureau):
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        audit_log(actor=carol, action="test.measured", bureau=bureau)
    return len(captured)


def test_import_reads_and_writes_in_bulk(carol, bureau, other_bureau):
    """Only the audit entries (previous hash, insert; a lock on PostgreSQL) grow with the rows that change."""
    per_entry = _audit_entry_queries(carol, bureau)
    one = _queries(carol, bureau, 1)
    three = _queries(carol, other_bureau, 3)
    assert three - one == 2 * per_entry


# --- through the page: bad files -----------------------------------------------------------------


def zipped(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def post_file(client, data, name="人员.xlsx"):
    return client.post("/inspectors/import/", {"file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize(
    ("data", "msgid"),
    [
        (b"", "The submitted file is empty."),
        (b"name,code\n\xe7\x94\xb2,ZF1\n", "The file is not an Excel workbook (.xlsx)."),
        (b"PK\x03\x04 not really a zip", "The file is not an Excel workbook (.xlsx)."),
        (xlsx([]), "The sheet is empty: the first row must hold the column titles."),
        (zipped({"word/document.xml": "<w/>"}), "The file is not an Excel workbook (.xlsx)."),
        (zipped({"xl/workbook.xml": "garbage", "[Content_Types].xml": "<x/>"}), "The workbook could not be read: "),
    ],
)
def test_import_page_refuses_bad_files_and_changes_nothing(client_for, carol, bureau, data, msgid):
    response = post_file(client_for(carol), data)
    assert response.status_code == 200
    with translation.override("zh-hans"):
        message = translation.gettext(msgid + ("%(error)s" if msgid.endswith(": ") else ""))
    assert message.split("%(error)s")[0] in response.content.decode()
    assert Inspector.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_import_page_refuses_an_oversized_file(client_for, carol, bureau, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = post_file(client_for(carol), xlsx(GOOD))
    assert "文件过大" in response.content.decode()
    assert Inspector.objects.count() == 0


def test_import_page_lists_errors_and_changes_nothing(client_for, carol, bureau):
    rows = [HEADER, ["ZF101", "", "", "", "", "", "", "", "", "", ""]]
    body = post_file(client_for(carol), xlsx(rows)).content.decode()
    assert "<td>2</td><td>姓名</td><td>此项必填。</td>" in body
    assert "文件未导入：发现 1 处问题，未做任何修改。" in body
    assert Inspector.objects.count() == 0


def test_import_page_good_file_redirects_to_the_list(client_for, carol, bureau):
    response = post_file(client_for(carol), xlsx(GOOD))
    assert response.status_code == 302 and response["Location"] == "/inspectors/"
    assert set(Inspector.objects.values_list("code", flat=True)) == {"ZF101", "ZF102"}


def test_large_import_runs_as_a_job(client_for, carol, bureau, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.IMPORT_INLINE_MAX_ROWS = 1
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_INLINE = True  # run the handler here, as a worker would
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client_for(carol), xlsx(GOOD))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert (job.kind, job.bureau, job.created_by, job.status) == ("inspectors.import", bureau, carol, JobStatus.DONE)
    assert job.result["summary"] == "新增检查人员 2 名，更新 0 名，0 名无变化。"
    assert set(Inspector.objects.values_list("code", flat=True)) == {"ZF101", "ZF102"}
    assert list(tmp_path.rglob("*.xlsx")) == []  # the upload is removed once imported


def test_an_upload_whose_job_cannot_be_recorded_is_not_kept(client_for, carol, bureau, settings, monkeypatch):
    settings.IMPORT_INLINE_MAX_ROWS = 1

    def fail(**kwargs):
        raise RuntimeError("the database refused the job")

    monkeypatch.setattr(core_imports, "job_submit", fail)
    client = client_for(carol)
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        post_file(client, xlsx(GOOD))
    assert not Job.objects.exists()
    assert not InspectorImport.objects.exists()  # no upload left that no job will read


def test_import_job_reports_row_errors(
    client_for, carol, bureau, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 1
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_INLINE = True  # run the handler here, as a worker would
    rows = [HEADER, ["ZF1", "甲"] + [""] * 9, ["ZF2", ""] + [""] * 9]
    with django_capture_on_commit_callbacks(execute=True):
        post_file(client_for(carol), xlsx(rows))
    job = Job.objects.get()
    assert job.status == JobStatus.DONE
    assert job.result["errors"] == [{"row": 3, "column": "姓名", "message": "此项必填。"}]
    assert Inspector.objects.count() == 0
