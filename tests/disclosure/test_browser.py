"""The publication dashboard in a real browser: a lead publishes a batch and exempts a result."""

from datetime import date

import pytest

from inspections.enums import InspectionTaskStatus as S
from inspections.models import Exemption, Publication
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_publishes_a_batch_and_exempts_one(page, make, alice):
    first, second, third = make(inspected_on=date(2026, 10, 9)), make(), make()
    waiting = make(status=S.RESULT_RECORDED)
    login(page, "alice")
    page.click("nav.main-nav >> text=结果公示")
    assert page.locator("h1").inner_text() == "检查结果公示"
    assert page.locator("svg#weeks-chart, svg[aria-labelledby^='weeks-chart']").count() == 1
    assert page.locator(f"input[name=task][value='{waiting.pk}']").count() == 0
    page.check(f"input[name=task][value='{first.pk}']")
    page.check(f"input[name=task][value='{second.pk}']")
    page.click("#publish-selected")
    page.wait_for_load_state()
    assert first.number in page.locator("[data-testid=confirm]").inner_text()  # what will be published, then 确认
    page.click("#confirm")
    page.wait_for_load_state()
    assert "已公示2条检查结果。" in page.locator(".messages").inner_text()
    assert sorted(Publication.objects.values_list("task_id", flat=True)) == sorted([first.pk, second.pk])
    page.click(f"tr:has(input[value='{third.pk}']) >> text=不予公开…")
    page.fill("textarea[name=reason]", "涉及国家安全")
    page.click("text=记录为不予公开")
    page.wait_for_load_state()
    assert "涉及国家安全" in page.locator("[data-testid=confirm]").inner_text()
    page.click("#confirm")
    page.wait_for_load_state()
    assert "已记录为不予公开" in page.locator(".messages").inner_text()
    assert Exemption.objects.get().task_id == third.pk
    # the dashboard lists the exempt results of a year (the draw's): on another year's clock, ask for it
    page.goto(f"{page.base_url}/publication/?year={third.draw.year}")
    assert "涉及国家安全" in page.locator("#exempt").inner_text()


def test_phone_layout_of_the_dashboard(phone_page, make, alice):
    make()
    login(phone_page, "alice")
    for url in ("/publication/", "/publication/reports/"):
        phone_page.goto(phone_page.base_url + url)
        overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"


def test_select_all_on_this_page(browser, live_server, make, alice):
    approved = [make(), make(), make()]
    make(status=S.RESULT_RECORDED)  # awaiting approval: no checkbox
    for javascript in (True, False):
        context = browser.new_context(
            locale="zh-CN", viewport={"width": 1366, "height": 900}, java_script_enabled=javascript
        )
        page = context.new_page()
        page.base_url = live_server.url
        login(page, "alice")
        page.goto(live_server.url + "/publication/")
        boxes = page.locator("#batch-form input[name=task]")
        assert boxes.count() == 3
        if javascript:
            master = page.locator("#select-all")
            assert master.is_visible()
            master.check()
            assert [boxes.nth(i).is_checked() for i in range(3)] == [True, True, True]
            boxes.nth(1).uncheck()
            assert page.evaluate("document.querySelector('#select-all').indeterminate") is True
            master.check()
            assert [boxes.nth(i).is_checked() for i in range(3)] == [True, True, True]
            master.uncheck()
            assert [boxes.nth(i).is_checked() for i in range(3)] == [False, False, False]
            master.check()
        else:
            assert not page.locator("#select-all").is_visible()  # nothing that would not work
            page.check(f"input[name=task][value='{approved[0].pk}']")
        page.click("#publish-selected")
        page.wait_for_load_state()
        confirm = page.locator("[data-testid=confirm]").inner_text()
        expected = approved if javascript else approved[:1]
        assert all(task.number in confirm for task in expected)
        assert sum(task.number in confirm for task in approved) == len(expected)
        context.close()
