"""The inspector registry in a real browser: carol adds an inspector, records a leave, sees the page."""

import os
from datetime import date

import pytest

from inspectors.models import Inspector, LeavePeriod
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = os.environ.get("SSJ_SCREENSHOT_DIR", "/tmp")


def test_carol_adds_an_inspector_and_a_leave_period(page, carol, bureau):
    login(page, "carol")
    page.click("nav.main-nav >> text=检查人员")
    assert page.locator("h1").inner_text() == "检查人员名录库"
    page.click("text=新增检查人员")

    page.fill("#id_code", "ZF300")
    page.fill("#id_name", "吴新人")
    page.select_option("#id_kind", "enforcement")
    page.fill("#id_unit", "执法大队二中队")
    page.fill("#id_phone", "13900000000")
    page.fill("#id_certificate_number", "豫环执41100300")
    page.fill("#id_certificate_valid_from", "2025-01-01")
    page.fill("#id_certificate_valid_until", "2026-01-31")  # expired: the page must say so
    page.select_option("#id_specialties", label="\u3000\u3000\u30002614 有机化学原料制造")
    page.select_option("#id_region", label="新元街道 (411003001)")
    page.click("button[type=submit] >> text=保存")
    page.wait_for_load_state("networkidle")

    assert page.locator("h1").inner_text().startswith("吴新人")
    assert "已新增检查人员 吴新人 (ZF300)。" in page.locator(".messages").inner_text()
    assert "已过期" in page.locator(".page-head").inner_text()

    page.fill("#id_leave-start", "2026-12-01")
    page.fill("#id_leave-end", "2026-12-15")
    page.fill("#id_leave-reason", "年休假")
    page.click("#leave button[type=submit] >> text=登记休假")
    page.wait_for_load_state("networkidle")

    leave_table = page.locator("#leave table").inner_text()
    assert "2026-12-01" in leave_table and "2026-12-15" in leave_table and "年休假" in leave_table
    history = page.locator("#history").inner_text()
    assert "登记请假" in history and "录入名录库" in history
    page.screenshot(path=os.path.join(SCREENSHOT, "inspector-detail.png"), full_page=True)

    inspector = Inspector.objects.get(code="ZF300")
    assert list(inspector.specialties.values_list("code", flat=True)) == ["2614"]
    assert list(LeavePeriod.objects.filter(inspector=inspector).values_list("start", "end")) == [
        (date(2026, 12, 1), date(2026, 12, 15))
    ]


def test_inspector_pages_do_not_scroll_sideways_on_a_phone(phone_page, carol, bureau):
    login(phone_page, "carol")
    for url in ("/inspectors/", "/inspectors/new/", "/inspectors/import/", "/inspectors/experts/"):
        phone_page.goto(phone_page.base_url + url)
        overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"
