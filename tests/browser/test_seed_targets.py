"""Issue 14: the seed targets recorded through the pages — the annual plan's filing with the higher authority
(from the home page's to-do item) and the off-site checks of the positive-list units (from the dashboard's
target row), each with a refused input first (its error next to the field, what was typed kept).

The live server runs on the real clock: the dates are computed from today's (the test is meant for December,
when the filing reminder shows, but runs in any month: the to-do link is then opened directly).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEntry
from inspections.models import OffsiteCheck
from sampling.models import Plan
from tests.browser.conftest import login
from tests.factories import EnterpriseFactory
from tests.inspections.factories import PlanFactory

METHOD_MISSING = "请说明非现场检查的方式（如自动监控数据）。"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_records_the_plan_filing_and_an_off_site_check(page, bureau, alice):
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    plan = PlanFactory(bureau=bureau, year=today.year + 1, seq=1, name=f"{today.year + 1}年双随机抽查计划")
    first = EnterpriseFactory(bureau=bureau, positive_list=True, name="甲正面清单有限公司")
    EnterpriseFactory(bureau=bureau, positive_list=True, name="乙正面清单有限公司")
    login(page, "alice")

    # The plan filing: from the to-do item (December) to the form on the plan page.
    filing = f"/draws/plans/{plan.pk}/#filing"
    if today.month == 12:
        page.click(f"a[href='{filing}']")
    else:
        page.goto(page.base_url + filing)
    page.wait_for_load_state()
    assert page.locator("#filed-on").inner_text().startswith("尚未备案")
    tomorrow = (today + timedelta(days=1)).isoformat()
    page.fill("#filing input[name=filed_on]", tomorrow)
    page.click("#record-filing")
    page.wait_for_load_state()
    assert "报备日期不能晚于今天。" in page.locator("#filing").inner_text()
    assert page.input_value("#filing input[name=filed_on]") == tomorrow
    filed = (today - timedelta(days=1)).isoformat()
    page.fill("#filing input[name=filed_on]", filed)
    page.click("#record-filing")
    page.wait_for_load_state()
    assert f"已于{filed}报上级备案" in page.locator(".messages").inner_text()
    assert page.locator("#filed-on").inner_text() == filed
    assert Plan.objects.get(pk=plan.pk).filed_on.isoformat() == filed
    assert AuditEntry.objects.filter(action="sampling.plan_filed", object_id=str(plan.pk)).count() == 1

    # The dashboard shows it; its off-site target row leads to the positive-list units of the quarter.
    page.goto(page.base_url + f"/publication/?year={today.year}")
    if today.month == 12:  # the target of this year is next year's plan
        assert filed in page.locator("#target-plan_filing").inner_text()
    page.click("#target-positive_list_offsite a")
    page.wait_for_load_state()
    assert page.locator("#coverage").inner_text().startswith(f"{today.year}年第{quarter}季度：2个单位中已非现场检查0个")
    page.click(f"#unit-{first.pk} a")
    page.wait_for_load_state()
    page.fill("textarea[name=notes]", "在线监控数据连续达标")
    page.click("#record-offsite")
    page.wait_for_load_state()
    assert page.locator("ul.errorlist + #id_method").count() == 1  # the error right above its field
    assert page.locator("ul.errorlist").inner_text() == METHOD_MISSING
    assert page.input_value("textarea[name=notes]") == "在线监控数据连续达标"
    assert not OffsiteCheck.objects.exists()
    page.fill("input[name=method]", "自动监控数据")
    page.fill("input[name=checked_on]", today.isoformat())
    page.click("#record-offsite")
    page.wait_for_load_state()
    assert "非现场检查" in page.locator(".messages").inner_text()
    assert page.locator("#coverage").inner_text().startswith(f"{today.year}年第{quarter}季度：2个单位中已非现场检查1个")
    row = page.locator(f"#unit-{first.pk}").inner_text()
    assert today.isoformat() in row and "自动监控数据" in row and "在线监控数据连续达标" in row
    check = OffsiteCheck.objects.get()
    assert (check.enterprise_id, check.checked_on, check.quarter, check.recorded_by_id) == (
        first.pk,
        today,
        quarter,
        alice.pk,
    )
