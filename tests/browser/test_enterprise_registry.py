"""The enterprise registry in a real browser: carol uploads a bad .xlsx (row/column errors, nothing imported),
then a good one, finds an enterprise by name and by USCC, and a large file goes through a background job.
The checklist: carol adds an item and sees its detail page with its history."""

import os

import pytest

from core.models import AuditEntry
from enterprises.models import CheckItem, Enterprise
from tests.browser.conftest import login
from tests.factories import valid_uscc
from tests.spreadsheets import xlsx_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = os.environ.get("SSJ_SCREENSHOT_DIR", "/tmp")
HEADER = ["企业名称", "统一社会信用代码", "行政区划代码", "行业代码", "污染类型", "企业分类", "重点监管条件"]


def xlsx_file(tmp_path, name, rows) -> str:
    return xlsx_path(tmp_path, name, HEADER, rows)


def good_rows():
    return [
        ["许昌浏览器测试化工有限公司", valid_uscc(901), "411003100", "2614", "废水、废气", "重点", "是"],
        ["许昌浏览器测试纺织有限公司", valid_uscc(902), "", "1713", "废水", "一般", "否"],
        ["许昌浏览器测试建材有限公司", valid_uscc(903), "", "", "", "", ""],
    ]


def upload(page, path):
    page.set_input_files("#id_file", path)
    page.click("main button[type=submit] >> text=检查并导入")
    page.wait_for_load_state("networkidle")


def test_carol_imports_a_file_and_finds_an_enterprise(page, carol, bureau, tmp_path):
    login(page, "carol")
    page.click("nav.main-nav >> text=检查对象")
    assert page.locator("h1").inner_text() == "检查对象名录库"
    page.click("text=从 Excel 导入")

    # A bad file: a wrong check character and an unknown tier. Every error by row and column; nothing imported.
    wrong = valid_uscc(904)
    wrong = wrong[:17] + ("0" if wrong[17] != "0" else "1")
    bad = xlsx_file(
        tmp_path,
        "bad.xlsx",
        [
            ["许昌浏览器测试化工有限公司", valid_uscc(901), "", "", "", "重点", "是"],
            ["错误校验位有限公司", wrong, "", "", "", "", ""],
            ["错误分类有限公司", valid_uscc(905), "", "", "", "超级", ""],
        ],
    )
    upload(page, bad)
    assert "未导入任何数据：发现 2 个错误。" in page.locator(".import-errors").inner_text()
    rows = page.locator(".errors-table tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").all_inner_texts() == [
        "3",
        "统一社会信用代码",
        f"统一社会信用代码 {wrong} 校验位错误",
    ]
    assert rows.nth(1).locator("td").all_inner_texts()[:2] == ["4", "企业分类"]
    assert "“超级”不是以下之一：一般、重点、特殊。" in rows.nth(1).inner_text()
    page.screenshot(path=os.path.join(SCREENSHOT, "enterprise-import-errors.png"), full_page=True)
    assert not Enterprise.objects.exists()

    # The corrected file goes in whole.
    upload(page, xlsx_file(tmp_path, "good.xlsx", good_rows()))
    assert page.locator("h1").inner_text() == "检查对象名录库"
    assert "已导入 3 行：新增 3 家，更新 0 家，未变 0 家。" in page.locator(".messages").inner_text()
    assert AuditEntry.objects.filter(action="enterprises.import").count() == 1

    # Found by part of its name…
    page.fill("input[name=q]", "纺织")
    page.click("form.filter-bar .filter-search-button >> text=搜索")
    page.wait_for_load_state("networkidle")
    names = page.locator("table tbody td.cell-name").all_inner_texts()
    assert names == ["许昌浏览器测试纺织有限公司"]
    page.screenshot(path=os.path.join(SCREENSHOT, "enterprise-search.png"), full_page=True)

    # …and by its USCC, typed in lower case; the detail page shows what the file said.
    page.fill("input[name=q]", valid_uscc(901).lower())
    page.click("form.filter-bar .filter-search-button >> text=搜索")
    page.wait_for_load_state("networkidle")
    assert page.locator("table tbody td.cell-name").all_inner_texts() == ["许昌浏览器测试化工有限公司"]
    page.click("text=许昌浏览器测试化工有限公司")
    page.wait_for_load_state("networkidle")
    assert page.locator("#uscc").inner_text() == valid_uscc(901)
    assert "重点" in page.locator("p.tags").inner_text()
    assert "2614" in page.locator("main").inner_text()
    page.screenshot(path=os.path.join(SCREENSHOT, "enterprise-detail.png"), full_page=True)


def test_a_large_file_is_imported_by_a_background_job_with_progress(page, carol, bureau, tmp_path, settings):
    settings.IMPORT_INLINE_MAX_ROWS = 2
    settings.JOBS_INLINE = True
    login(page, "carol")
    page.goto(page.base_url + "/enterprises/import/")
    upload(page, xlsx_file(tmp_path, "large.xlsx", good_rows()))
    status = page.locator("#job-status")
    status.locator("text=已导入 3 行").wait_for()
    assert "已导入 3 行：新增 3 家，更新 0 家，未变 0 家。" in status.inner_text()
    page.screenshot(path=os.path.join(SCREENSHOT, "enterprise-import-job.png"), full_page=True)
    status.locator("text=打开检查对象名录库").click()
    page.wait_for_load_state("networkidle")
    assert sorted(page.locator("table tbody td.cell-name").all_inner_texts()) == sorted(r[0] for r in good_rows())


def test_carol_adds_a_checklist_item_and_sees_its_page(page, carol, bureau):
    login(page, "carol")
    page.click("nav.main-nav >> text=抽查事项清单")
    page.click("text=新增事项")
    page.fill("#id_code", "SJ-09")
    page.fill("#id_name", "重点排污单位监督检查")
    page.fill("#id_legal_basis", "《中华人民共和国环境保护法》第二十四条")
    page.fill("#id_content", "污染防治设施运行情况")
    page.fill("#id_method", "现场检查、查阅资料")
    page.uncheck("#id_applies_to_general")
    page.click("main button[type=submit] >> text=保存")
    page.wait_for_load_state("networkidle")

    item = CheckItem.objects.get(code="SJ-09")
    assert page.url.endswith(f"/enterprises/checklist/{item.pk}/")
    assert page.locator("#item-legal-basis").inner_text() == "《中华人民共和国环境保护法》第二十四条"
    assert page.locator("#item-method").inner_text() == "现场检查、查阅资料"
    assert page.locator("#item-tiers").inner_text() == "重点、特殊"
    assert "加入清单" in page.locator("#item-history").inner_text()
    page.screenshot(path=os.path.join(SCREENSHOT, "checklist-detail.png"), full_page=True)

    page.click("main a[role=button] >> text=编辑")
    page.fill("#id_method", "现场检查")
    page.click("main button[type=submit] >> text=保存")
    page.wait_for_load_state("networkidle")
    history = page.locator("#item-history tbody tr").first.inner_text()
    assert "现场检查、查阅资料" in history and "现场检查" in history


def test_registry_pages_do_not_scroll_sideways_on_a_phone(phone_page, carol, bureau):
    item = CheckItem.objects.create(
        bureau=bureau,
        code="SJ-01",
        name="自动监控基站监督检查",
        legal_basis="《中华人民共和国环境保护法》第四十二条；《污染源自动监控管理办法》",
        content="自动监测设备日常运行、数据传输和运维记录",
        method="现场检查、调阅运维台账、比对监测数据",
    )
    login(phone_page, "carol")
    for url in (
        "/enterprises/",
        "/enterprises/new/",
        "/enterprises/import/",
        "/enterprises/checklist/",
        f"/enterprises/checklist/{item.pk}/",
        f"/enterprises/checklist/{item.pk}/edit/",
    ):
        phone_page.goto(phone_page.base_url + url)
        overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"
    phone_page.screenshot(path=os.path.join(SCREENSHOT, "checklist-edit-phone.png"), full_page=True)
