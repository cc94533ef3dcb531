"""Pages of the registry and the checklist: who may do what, what each page shows, and query counts."""

import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core.enums import JobStatus
from core.excel import read_sheet
from core.imports import sheet_pack
from core.jobs import run_job
from core.models import AuditEntry, Job
from enterprises.enums import EnterpriseStatus
from enterprises.forms import EnterpriseForm
from enterprises.models import CheckItem, Enterprise, EnterpriseImport, EnterpriseRecord, EnterpriseStatusChange
from enterprises.services import enterprise_import_run
from enterprises.spreadsheet import HEADER
from tests.edit_forms import english_client
from tests.enterprises.conftest import row_for
from tests.factories import CheckItemFactory, EnterpriseFactory, valid_uscc
from tests.spreadsheets import make_xlsx


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2026-11-23 10:00 +0800", tick=True):
        yield


@pytest.fixture
def as_user():
    """as_user(user) -> a logged-in client that asks for English pages."""
    return english_client


@pytest.fixture
def item(bureau):
    return CheckItemFactory(bureau=bureau, code="SJ-01", name="重点排污单位检查")


def form_data(form) -> dict:
    """What a browser would post for an unbound form's initial values."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    return data


NEW = {
    "name": "许昌新登记化工有限公司",
    "uscc": valid_uscc(500),
    "tier": "key",
    "key_criteria": "on",
    "permit_category": "key",
    "construction_status": "in_production",
    "scale": "medium",
    "production_cycle": "continuous",
    "monitoring_type": "automatic",
    "performance_grade": "none",
    "credit_rating": "none",
    "status": "operating",
    "pollutes_air": "on",
}


# --- access ---------------------------------------------------------------------------------------

READ_URLS = ["list", "checklist", "export", "import-template"]
EDIT_URLS = ["create", "import", "checklist-create"]


@pytest.mark.parametrize("name", READ_URLS + EDIT_URLS)
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(f"enterprises:{name}"))
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={reverse(f'enterprises:{name}')}"


def test_anonymous_is_sent_to_login_from_object_pages(client, enterprise, item):
    for url in (
        reverse("enterprises:detail", args=[enterprise.pk]),
        reverse("enterprises:edit", args=[enterprise.pk]),
        reverse("enterprises:checklist-edit", args=[item.pk]),
        reverse("enterprises:checklist-detail", args=[item.pk]),
    ):
        assert client.get(url)["Location"].startswith("/login/")


@pytest.mark.parametrize("persona", ["alice", "bob", "carol", "dave", "erin"])
def test_every_staff_role_can_read(request, as_user, persona, enterprise, item):
    client = as_user(request.getfixturevalue(persona))
    pages = {
        reverse("enterprises:list"): "许昌宏达化工有限公司",
        reverse("enterprises:checklist"): "重点排污单位检查",
        reverse("enterprises:detail", args=[enterprise.pk]): enterprise.uscc,
        reverse("enterprises:checklist-detail", args=[item.pk]): "SJ-01",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
    for name in ("export", "import-template"):  # spreadsheets: an xlsx (a zip) with the registry's columns
        response = client.get(reverse(f"enterprises:{name}"))
        assert response.status_code == 200 and response["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ), name
        assert response.content[:2] == b"PK", name


@pytest.mark.parametrize("persona", ["carol", "erin"])
def test_registry_editors_can_open_the_forms(request, as_user, persona, enterprise, item):
    client = as_user(request.getfixturevalue(persona))
    # each form, with a field it must have; the edit forms filled with the object's values
    forms = [
        (reverse("enterprises:create"), 'name="uscc"'),
        (reverse("enterprises:import"), 'type="file"'),
        (reverse("enterprises:checklist-create"), 'name="legal_basis"'),
        (reverse("enterprises:edit", args=[enterprise.pk]), 'value="许昌宏达化工有限公司"'),
        (reverse("enterprises:checklist-edit", args=[item.pk]), 'value="重点排污单位检查"'),
    ]
    for url, field in forms:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<form method="post"' in html and field in html, url


@pytest.mark.parametrize("persona", ["alice", "bob", "dave"])
def test_readers_cannot_write(request, as_user, persona, enterprise, item):
    client = as_user(request.getfixturevalue(persona))
    posts = [
        (reverse("enterprises:create"), NEW),
        (reverse("enterprises:edit", args=[enterprise.pk]), {**NEW, "uscc": enterprise.uscc}),
        (reverse("enterprises:status", args=[enterprise.pk]), {"status": "closed", "effective_date": "2026-11-01"}),
        (
            reverse("enterprises:record-add", args=[enterprise.pk]),
            {"kind": "violation", "date": "2026-11-01", "description": "x"},
        ),
        (reverse("enterprises:import"), {"file": make_upload(make_xlsx(HEADER, [row_for(valid_uscc(501), "甲")]))}),
        (reverse("enterprises:checklist-create"), {"code": "X", "name": "x"}),
        (reverse("enterprises:checklist-edit", args=[item.pk]), {"code": "X"}),
        (reverse("enterprises:checklist-deactivate", args=[item.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("enterprises:create")).status_code == 403
    assert Enterprise.objects.count() == 1
    enterprise.refresh_from_db()
    item.refresh_from_db()
    assert (enterprise.name, enterprise.status, item.code, item.active) == (
        "许昌宏达化工有限公司",
        "operating",
        "SJ-01",
        True,
    )
    assert not EnterpriseStatusChange.objects.exists()
    assert not EnterpriseRecord.objects.exists()
    assert not AuditEntry.objects.exists()


def test_other_bureau_objects_answer_404(as_user, mallory, enterprise, item):
    client = as_user(mallory)
    assert client.get(reverse("enterprises:detail", args=[enterprise.pk])).status_code == 404
    assert client.get(reverse("enterprises:edit", args=[enterprise.pk])).status_code == 404
    assert client.post(reverse("enterprises:edit", args=[enterprise.pk]), NEW).status_code == 404
    assert (
        client.post(
            reverse("enterprises:status", args=[enterprise.pk]), {"status": "closed", "effective_date": "2026-11-01"}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("enterprises:record-add", args=[enterprise.pk]), {"kind": "violation"}).status_code == 404
    )
    assert client.get(reverse("enterprises:checklist-edit", args=[item.pk])).status_code == 404
    assert client.get(reverse("enterprises:checklist-detail", args=[item.pk])).status_code == 404
    assert client.post(reverse("enterprises:checklist-deactivate", args=[item.pk])).status_code == 404
    enterprise.refresh_from_db()
    assert enterprise.status == "operating"
    assert not AuditEntry.objects.exists()


def test_other_bureau_lists_do_not_show_our_rows(as_user, mallory, enterprise, foreign_enterprise, item):
    client = as_user(mallory)
    page = client.get(reverse("enterprises:list")).content.decode()
    assert foreign_enterprise.name in page
    assert enterprise.name not in page
    assert "重点排污单位检查" not in client.get(reverse("enterprises:checklist")).content.decode()
    exported = client.get(reverse("enterprises:export")).content
    assert enterprise.uscc.encode() not in exported


def test_transitions_refuse_get(as_user, carol, enterprise, item):
    client = as_user(carol)
    assert client.get(reverse("enterprises:status", args=[enterprise.pk])).status_code == 405
    assert client.get(reverse("enterprises:record-add", args=[enterprise.pk])).status_code == 405
    assert client.get(reverse("enterprises:checklist-deactivate", args=[item.pk])).status_code == 405
    assert not AuditEntry.objects.exists()


# --- list -----------------------------------------------------------------------------------------


def names_on(response) -> list[str]:
    return re.findall(r'<td class="cell-name"><a href="/enterprises/\d+/">([^<]+)</a>', response.content.decode())


def test_list_search_by_name_and_uscc(as_user, carol, bureau):
    a = EnterpriseFactory(bureau=bureau, name="许昌宏达化工有限公司", uscc=valid_uscc(510))
    EnterpriseFactory(bureau=bureau, name="许昌金源食品有限公司", uscc=valid_uscc(511))
    client = as_user(carol)
    assert names_on(client.get(reverse("enterprises:list"), {"q": "宏达"})) == ["许昌宏达化工有限公司"]
    assert names_on(client.get(reverse("enterprises:list"), {"q": a.uscc.lower()})) == ["许昌宏达化工有限公司"]
    assert names_on(client.get(reverse("enterprises:list"), {"q": "不存在"})) == []


@pytest.mark.parametrize(
    ("params", "hit", "miss"),
    [
        ({"tier": "special"}, {"tier": "special"}, {"tier": "general"}),
        ({"status": "suspended"}, {"status": "suspended"}, {"status": "operating"}),
        ({"construction_status": "trial"}, {"construction_status": "trial"}, {}),
        ({"scale": "large"}, {"scale": "large"}, {"scale": "small"}),
        ({"production_cycle": "seasonal"}, {"production_cycle": "seasonal"}, {}),
        ({"monitoring_type": "automatic"}, {"monitoring_type": "automatic"}, {}),
        ({"performance_grade": "A"}, {"performance_grade": "A"}, {"performance_grade": "B"}),
        ({"permit_category": "simplified"}, {"permit_category": "simplified"}, {}),
        ({"credit_rating": "bad"}, {"credit_rating": "bad"}, {"credit_rating": "good"}),
        ({"positive_list": "yes"}, {"positive_list": True}, {}),
        ({"positive_list": "no"}, {}, {"positive_list": True}),
        ({"pollution": "solid"}, {"pollutes_solid": True}, {"pollutes_water": True}),
        ({"division": "411003100"}, {"division_code": "411003100"}, {"division_code": "411003101"}),
        ({"division": "411003"}, {"division_code": "411003100"}, {}),
        ({"industry": "26"}, {"industry_code": "2614"}, {"industry_code": "1431"}),
        ({"industry": "C"}, {"industry_code": "2614"}, {"industry_code": "0313"}),
    ],
)
def test_list_filters_by_tier_status_and_every_tag(as_user, carol, bureau, params, hit, miss):
    from enterprises.models import Division, Industry

    def make(name, attrs):
        attrs = dict(attrs)
        if "division_code" in attrs:
            attrs["division"] = Division.objects.get(code=attrs.pop("division_code"))
        if "industry_code" in attrs:
            attrs["industry"] = Industry.objects.get(code=attrs.pop("industry_code"))
        EnterpriseFactory(bureau=bureau, name=name, **attrs)

    make("命中企业", hit)
    make("未命中企业", miss)
    response = as_user(carol).get(reverse("enterprises:list"), params)
    assert names_on(response) == ["命中企业"]
    export = reverse("enterprises:export") + "?" + "&amp;".join(f"{k}={v}" for k, v in params.items())
    assert export in response.content.decode()


def test_list_pages_by_50(as_user, carol, bureau):
    for n in range(51):
        EnterpriseFactory(bureau=bureau, name=f"企业{n:02d}")
    client = as_user(carol)
    assert len(names_on(client.get(reverse("enterprises:list")))) == 50
    assert names_on(client.get(reverse("enterprises:list"), {"page": 2})) == ["企业50"]
    assert "page=2" in client.get(reverse("enterprises:list")).content.decode()


def test_list_invalid_filter_value_is_reported(as_user, carol, enterprise):
    response = as_user(carol).get(reverse("enterprises:list"), {"tier": "top"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(as_user, carol, bureau, town, chem, django_assert_num_queries):
    client = as_user(carol)
    EnterpriseFactory(bureau=bureau, division=town, industry=chem, pollutes_air=True)
    one = _queries(client, reverse("enterprises:list"))
    for _ in range(2):
        EnterpriseFactory(bureau=bureau, division=town, industry=chem, positive_list=True)
    with django_assert_num_queries(one):
        client.get(reverse("enterprises:list"))
    with django_assert_num_queries(one):
        client.get(reverse("enterprises:list"), {"tier": "general", "industry": "C", "division": "411003"})


def test_checklist_query_count_does_not_grow_with_rows(as_user, carol, bureau, django_assert_num_queries):
    client = as_user(carol)
    CheckItemFactory(bureau=bureau)
    one = _queries(client, reverse("enterprises:checklist"))
    CheckItemFactory(bureau=bureau)
    CheckItemFactory(bureau=bureau, active=False)
    with django_assert_num_queries(one):
        client.get(reverse("enterprises:checklist"))


def test_list_renders_in_chinese_by_default(client_for, carol, enterprise):
    page = client_for(carol).get(reverse("enterprises:list")).content.decode()
    assert "检查对象名录库" in page
    assert "导出此列表" in page


# --- detail, create, edit, status, records ---------------------------------------------------------


def test_detail_shows_fields_history_records_and_past_inspections(as_user, carol, enterprise):
    EnterpriseStatusChange.objects.create(
        enterprise=enterprise,
        old_status="operating",
        new_status="suspended",
        effective_date=date(2026, 3, 1),
        reason="停产整治",
    )
    EnterpriseRecord.objects.create(
        enterprise=enterprise, kind="complaint", date=date(2026, 2, 1), description="异味扰民"
    )
    page = as_user(carol).get(reverse("enterprises:detail", args=[enterprise.pk])).content.decode()
    assert f'<dd class="code" id="uscc">{enterprise.uscc}</dd>' in page
    assert "将官池镇" in page and "有机化学原料制造" in page
    assert "停产整治" in page and "2026-03-01" in page
    assert "异味扰民" in page
    assert 'id="past-inspections"' in page and "No inspections recorded yet." in page
    assert "Risk weight 2" in page


def test_detail_hides_write_forms_from_readers(as_user, dave, carol, enterprise):
    assert (
        "Record the status change"
        not in as_user(dave).get(reverse("enterprises:detail", args=[enterprise.pk])).content.decode()
    )
    assert (
        "Record the status change"
        in as_user(carol).get(reverse("enterprises:detail", args=[enterprise.pk])).content.decode()
    )


def test_create_registers_an_enterprise(as_user, carol, bureau):
    response = as_user(carol).post(reverse("enterprises:create"), NEW)
    enterprise = Enterprise.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:detail", args=[enterprise.pk])
    assert (enterprise.bureau, enterprise.name, enterprise.uscc, enterprise.tier, enterprise.key_criteria) == (
        bureau,
        "许昌新登记化工有限公司",
        valid_uscc(500),
        "key",
        True,
    )
    assert AuditEntry.objects.get().action == "enterprises.enterprise_created"


def test_create_form_errors_keep_what_was_typed(as_user, carol):
    response = as_user(carol).post(
        reverse("enterprises:create"),
        {
            **NEW,
            "uscc": "91411081380244962d",
            "address": "许昌市建安区测试大道9号",
            "tier": "general",
            "city_controlled_key": "on",
            "key_criteria": "",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="许昌新登记化工有限公司"' in page
    assert 'value="许昌市建安区测试大道9号"' in page
    assert "USCC 91411081380244962D has a wrong check character." in page
    assert "A city-controlled or higher key emitter is in the key tier" in page
    assert not Enterprise.objects.exists()


def test_create_duplicate_uscc_is_refused_in_the_form(as_user, carol, enterprise):
    response = as_user(carol).post(reverse("enterprises:create"), {**NEW, "uscc": enterprise.uscc})
    assert response.status_code == 200
    assert (
        f"USCC {enterprise.uscc} is already registered in this bureau for 许昌宏达化工有限公司."
        in response.content.decode()
    )
    assert Enterprise.objects.count() == 1


def test_edit_changes_and_audits_only_what_changed(as_user, carol, enterprise):
    data = form_data(EnterpriseForm(instance=enterprise))
    data["phone"] = "0374-7654321"
    response = as_user(carol).post(reverse("enterprises:edit", args=[enterprise.pk]), data)
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.phone == "0374-7654321"
    assert AuditEntry.objects.get().data == {"before": {"phone": ""}, "after": {"phone": "0374-7654321"}}


def test_edit_form_error_keeps_input(as_user, carol, enterprise):
    data = form_data(EnterpriseForm(instance=enterprise))
    data.update(name="", phone="0374-0000000")
    response = as_user(carol).post(reverse("enterprises:edit", args=[enterprise.pk]), data)
    assert response.status_code == 200
    assert 'value="0374-0000000"' in response.content.decode()
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.phone) == ("许昌宏达化工有限公司", "")


def test_status_change_from_the_detail_page(as_user, carol, enterprise):
    client = as_user(carol)
    response = client.post(
        reverse("enterprises:status", args=[enterprise.pk]),
        {"status": "suspended", "effective_date": "2026-11-01", "reason": "停产整治"},
    )
    assert response.status_code == 302
    change = EnterpriseStatusChange.objects.get()
    assert (change.old_status, change.new_status, change.effective_date, change.reason) == (
        "operating",
        "suspended",
        date(2026, 11, 1),
        "停产整治",
    )
    enterprise.refresh_from_db()
    assert (enterprise.status, enterprise.status_since) == (EnterpriseStatus.SUSPENDED, date(2026, 11, 1))
    # Same status again: a no-op.
    client.post(
        reverse("enterprises:status", args=[enterprise.pk]), {"status": "suspended", "effective_date": "2026-11-02"}
    )
    assert EnterpriseStatusChange.objects.count() == 1


def test_status_change_errors_are_shown_with_the_form(as_user, carol, enterprise):
    response = as_user(carol).post(
        reverse("enterprises:status", args=[enterprise.pk]), {"status": "closed", "effective_date": "2027-01-01"}
    )
    assert response.status_code == 400
    assert "A status change cannot take effect in the future." in response.content.decode()
    assert not EnterpriseStatusChange.objects.exists()


def test_record_add_from_the_detail_page(as_user, carol, enterprise):
    response = as_user(carol).post(
        reverse("enterprises:record-add", args=[enterprise.pk]),
        {
            "kind": "penalty",
            "date": "2026-06-01",
            "description": "未按规定运行污染防治设施",
            "reference": "建环罚〔2026〕9号",
        },
    )
    assert response.status_code == 302
    assert list(EnterpriseRecord.objects.values_list("kind", "date", "description", "reference")) == [
        ("penalty", date(2026, 6, 1), "未按规定运行污染防治设施", "建环罚〔2026〕9号")
    ]


def test_record_add_invalid_keeps_input(as_user, carol, enterprise):
    response = as_user(carol).post(
        reverse("enterprises:record-add", args=[enterprise.pk]),
        {"kind": "penalty", "date": "", "description": "罚款记录"},
    )
    assert response.status_code == 400
    assert 'value="罚款记录"' in response.content.decode()
    assert not EnterpriseRecord.objects.exists()


# --- import ---------------------------------------------------------------------------------------


def make_upload(data: bytes, name="名录.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_import_page_small_file_is_imported_inline(as_user, carol, bureau):
    data = make_xlsx(HEADER, [row_for(valid_uscc(520), "甲"), row_for(valid_uscc(521), "乙")])
    response = as_user(carol).post(reverse("enterprises:import"), {"file": make_upload(data)}, follow=True)
    assert response.redirect_chain == [(reverse("enterprises:list"), 302)]
    assert "Imported 2 rows: 2 enterprises created, 0 updated, 0 unchanged." in response.content.decode()
    assert set(Enterprise.objects.values_list("name", flat=True)) == {"甲", "乙"}


def test_import_page_lists_every_error_by_row_and_column(as_user, carol):
    data = make_xlsx(
        HEADER,
        [
            row_for(valid_uscc(530), "甲"),
            row_for("91411081380244962D", ""),
            row_for(valid_uscc(531), "丙", 生产规模="巨型"),
        ],
    )
    response = as_user(carol).post(reverse("enterprises:import"), {"file": make_upload(data)})
    page = response.content.decode()
    assert response.status_code == 400
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", page)
    assert rows == [
        ("3", "企业名称", "This cell is required."),
        ("3", "统一社会信用代码", "USCC 91411081380244962D has a wrong check character."),
        ("4", "生产规模", "“巨型” is not one of: 大型、中型、小型、微型."),
    ]
    assert not Enterprise.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"%PDF-1.4 not a workbook", "The file is not an Excel workbook (.xlsx)."),
    ],
)
def test_import_page_bad_files_show_a_clear_error(as_user, carol, data, message):
    response = as_user(carol).post(reverse("enterprises:import"), {"file": make_upload(data)})
    assert message in response.content.decode()
    assert not Enterprise.objects.exists()


def test_import_page_oversized_file(as_user, carol, settings):
    settings.IMPORT_MAX_BYTES = 100
    data = make_xlsx(HEADER, [row_for(valid_uscc(540), "甲")])
    response = as_user(carol).post(reverse("enterprises:import"), {"file": make_upload(data)})
    assert "The file is too large" in response.content.decode()
    assert not Enterprise.objects.exists()


def test_import_page_large_file_runs_as_a_background_job(
    as_user, carol, bureau, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 2
    settings.JOBS_INLINE = True
    data = make_xlsx(HEADER, [row_for(valid_uscc(550 + n), f"后台{n}") for n in range(3)])
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(carol).post(reverse("enterprises:import"), {"file": make_upload(data, "大文件.xlsx")})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:job-detail", args=[job.pk])
    assert (job.kind, job.status, job.bureau, job.created_by) == ("enterprises.import", JobStatus.DONE, bureau, carol)
    assert job.result["summary"] == "Imported 3 rows: 3 enterprises created, 0 updated, 0 unchanged."
    assert job.result["url"] == reverse("enterprises:list")
    assert Enterprise.objects.filter(bureau=bureau).count() == 3
    record = EnterpriseImport.objects.get()
    assert (record.filename, record.rows, bytes(record.sheet), record.result["created"]) == ("大文件.xlsx", 3, b"", 3)
    assert record.finished_at is not None
    page = as_user(carol).get(reverse("core:job-detail", args=[job.pk])).content.decode()
    assert "Imported 3 rows" in page
    # Safe to run twice: nothing more is written.
    audit_count = AuditEntry.objects.count()
    run_job(str(job.pk))
    assert enterprise_import_run(record=record).created == 3
    assert Enterprise.objects.count() == 3
    assert AuditEntry.objects.count() == audit_count


def test_background_import_with_errors_writes_nothing(as_user, carol, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_INLINE_MAX_ROWS = 1
    settings.JOBS_INLINE = True
    data = make_xlsx(HEADER, [row_for(valid_uscc(560), "甲"), row_for(valid_uscc(561), "乙", 企业分类="一般")])
    with django_capture_on_commit_callbacks(execute=True):
        as_user(carol).post(reverse("enterprises:import"), {"file": make_upload(data)})
    job = Job.objects.get()
    assert job.status == JobStatus.DONE
    assert job.result["errors"] == [
        {
            "row": 3,
            "column": "企业分类",
            "message": "A city-controlled or higher key emitter is in the key tier unless it meets the special or the "
            "general criteria.",
        }
    ]
    assert job.result["url"] == reverse("enterprises:import")
    assert not Enterprise.objects.exists()
    assert EnterpriseImport.objects.get().result["error_count"] == 1


def test_background_import_progress_is_reported(bureau, carol, settings):
    from core.jobs import job_submit  # noqa: F401 - the handler is registered

    record = EnterpriseImport.objects.create(
        bureau=bureau,
        filename="x.xlsx",
        size=1,
        sha256="0" * 64,
        sheet=sheet_pack(read_sheet(make_xlsx(HEADER, [row_for(valid_uscc(570), "甲")]), max_bytes=10_000_000)),
        rows=1,
    )
    seen = []
    result = enterprise_import_run(record=record, progress=lambda percent, message: seen.append(percent))
    assert result.created == 1
    assert seen == sorted(seen) and seen[0] == 2 and seen[-1] == 80


# --- checklist ------------------------------------------------------------------------------------

ITEM_FORM = {
    "code": "SJ-05",
    "name": "自动监控基站监督检查",
    "category": "自动监控",
    "legal_basis": "《污染源自动监控管理办法》",
    "content": "自动监测设备日常运行",
    "method": "现场检查",
    "applies_to_key": "on",
    "applies_to_special": "on",
    "order": "5",
}


def test_checklist_create_edit_withdraw_and_restore(as_user, carol, bureau):
    client = as_user(carol)
    assert client.post(reverse("enterprises:checklist-create"), ITEM_FORM).status_code == 302
    item = CheckItem.objects.get()
    assert (item.bureau, item.code, item.applies_to_general, item.applies_to_key, item.active) == (
        bureau,
        "SJ-05",
        False,
        True,
        True,
    )
    client.post(reverse("enterprises:checklist-edit", args=[item.pk]), {**ITEM_FORM, "method": "现场检查、调阅台账"})
    client.post(reverse("enterprises:checklist-deactivate", args=[item.pk]))
    item.refresh_from_db()
    assert (item.method, item.active) == ("现场检查、调阅台账", False)
    page = client.get(reverse("enterprises:checklist")).content.decode()
    assert "Withdrawn" in page
    client.post(reverse("enterprises:checklist-reactivate", args=[item.pk]))
    item.refresh_from_db()
    assert item.active
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "enterprises.checkitem_created",
        "enterprises.checkitem_updated",
        "enterprises.checkitem_deactivated",
        "enterprises.checkitem_reactivated",
    ]


def test_checklist_form_errors(as_user, carol, item):
    client = as_user(carol)
    response = client.post(
        reverse("enterprises:checklist-create"),
        {**ITEM_FORM, "code": "SJ-01", "applies_to_key": "", "applies_to_special": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The code SJ-01 is already used by another checklist item." in page
    assert "A checklist item must apply to at least one tier." in page
    assert 'value="自动监控基站监督检查"' in page
    assert CheckItem.objects.count() == 1


def test_checklist_shows_legal_basis_method_and_tiers(as_user, dave, bureau):
    CheckItemFactory(
        bureau=bureau,
        code="SJ-02",
        name="非重点排污单位检查",
        legal_basis="《环境保护法》第二十四条",
        method="现场检查、查阅资料",
        applies_to_key=False,
        applies_to_special=False,
    )
    page = as_user(dave).get(reverse("enterprises:checklist")).content.decode()
    assert "非重点排污单位检查" in page and "《环境保护法》第二十四条" in page and "现场检查、查阅资料" in page
    assert "New item" not in page


def test_checklist_detail_shows_the_item_and_its_history(as_user, carol, dave, bureau):
    client = as_user(carol)
    client.post(reverse("enterprises:checklist-create"), ITEM_FORM)
    item = CheckItem.objects.get()
    detail = reverse("enterprises:checklist-detail", args=[item.pk])
    response = client.post(
        reverse("enterprises:checklist-edit", args=[item.pk]), {**ITEM_FORM, "method": "现场检查、调阅台账"}
    )
    assert response["Location"] == detail
    assert client.post(reverse("enterprises:checklist-deactivate", args=[item.pk]))["Location"] == detail

    response = as_user(dave).get(detail)
    page = response.content.decode()
    assert response.status_code == 200
    assert "《污染源自动监控管理办法》" in page and "自动监测设备日常运行" in page
    assert '<dd id="item-tiers"><span>Key</span><span>、Special</span></dd>' in page
    assert "Edit" not in page  # the auditor reads only
    history = page[page.index('id="item-history"') : page.index("</table>", page.index('id="item-history"'))]
    rows = [
        [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", history.split("<tbody>")[1], re.S)
    ]
    assert rows == [
        ["2026-11-23 10:00", "赵名录", "Withdrawn from the checklist", "—"],
        [
            "2026-11-23 10:00",
            "赵名录",
            "Changed",
            "<div><strong>method</strong>: <del>现场检查</del> → 现场检查、调阅台账</div>",
        ],
        ["2026-11-23 10:00", "赵名录", "Added to the checklist", "—"],
    ]


def test_checklist_detail_query_count_does_not_grow_with_history(as_user, carol, item, django_assert_num_queries):
    client = as_user(carol)
    url = reverse("enterprises:checklist-detail", args=[item.pk])
    one = _queries(client, url)
    client.post(reverse("enterprises:checklist-deactivate", args=[item.pk]))
    client.post(reverse("enterprises:checklist-reactivate", args=[item.pk]))
    with django_assert_num_queries(one):
        client.get(url)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "所提交的是空文件。"),  # Django's own check of an empty upload
        (b"name,uscc\n", "该文件不是 Excel 工作簿（.xlsx）。"),
    ],
)
def test_import_page_explains_an_unreadable_file_in_chinese(client_for, carol, data, message):
    with translation.override("zh-hans"):
        response = client_for(carol).post(reverse("enterprises:import"), {"file": make_upload(data, "名录.xlsx")})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Enterprise.objects.exists()
    assert not AuditEntry.objects.exists()
