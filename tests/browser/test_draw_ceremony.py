"""The whole ceremony in a real browser: freeze the pool, draw before witnesses, a second lead approves."""

from datetime import date

import pytest
from django.utils import timezone

from core.enums import Role
from inspections.models import InspectionTask
from sampling import plans
from sampling.enums import DrawStatus, PlanStatus, QuotaPreset
from sampling.models import Draw
from tests.browser.conftest import login
from tests.conftest import _member
from tests.factories import CheckItemFactory, EnterpriseFactory, InspectorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ceremony(bureau):
    """建安 in the current year: the 建安 preset, a plan in force with one task, 30 enterprises, 6 inspectors."""
    year = timezone.localdate().year
    alice = _member("alice", bureau, Role.TEAM_LEAD, first_name="张组长")
    frank = _member("frank", bureau, Role.TEAM_LEAD, first_name="李组长")
    for n in range(1, 7):
        InspectorFactory(bureau=bureau, code=f"ZF{n:03d}", name=f"检查员{n}号")
    for i in range(20):
        EnterpriseFactory(bureau=bureau, tier="general", name=f"许昌宏达{i}号化工有限公司")
    for i in range(8):
        EnterpriseFactory(bureau=bureau, tier="key", name=f"许昌金源{i}号水泥有限公司")
    for i in range(2):
        EnterpriseFactory(bureau=bureau, tier="general", status="suspended", name=f"许昌停产{i}号纸业有限公司")
    plans.quota_policy_apply_preset(actor=alice, bureau=bureau, year=year, preset=QuotaPreset.JIANAN)
    plan = plans.plan_create(actor=alice, bureau=bureau, year=year, name=f"{year}年污染源日常环境监管双随机抽查")
    task = plans.plan_task_create(
        actor=alice,
        plan=plan,
        check_items=[CheckItemFactory(bureau=bureau, name="重点排污单位检查")],
        name="一般和重点排污单位抽查",
        include_general=True,
        include_key=True,
        draw_from=date(year, 1, 1),
        draw_until=date(year, 12, 31),
        inspect_from=date(year, 1, 1),
        inspect_until=date(year, 12, 31),
    )
    plans.plan_set_status(actor=alice, plan=plan, status=PlanStatus.ACTIVE)
    return {"alice": alice, "frank": frank, "task": task}


def test_full_ceremony_in_the_browser(page, ceremony):
    task = ceremony["task"]
    login(page, "alice")
    page.goto(f"{page.base_url}/draws/tasks/{task.pk}/")
    page.click("#freeze")
    page.wait_for_load_state("networkidle")
    draw = Draw.objects.get()
    assert page.url.endswith(f"/draws/{draw.pk}/")

    # Before drawing: population and quotas per stratum with their rule, exclusions with reasons, hashes.
    quotas = page.locator("#quotas").inner_text()
    # strata by their names, not their codes (2026Q4/key/uncovered): 重点监管对象（本年度未检查） · 2026年第四季度
    assert "重点监管对象（本年度未检查） · " in quotas and "一般监管对象 · " in quotas
    assert f"{draw.label_prefix}/" not in quotas
    assert "每年至少抽查一次" in quotas and "向上取整" in quotas
    assert page.locator("#exclusions").is_visible()  # a short list is shown open
    exclusions = page.locator("#exclusions").inner_text()
    assert "许昌停产0号纸业有限公司" in exclusions and "非正常生产经营" in exclusions
    assert page.locator("#pool-hash").inner_text() == draw.pool_hash
    assert page.locator("#nonce-hash").inner_text() == draw.nonce_hash
    assert draw.nonce not in page.content()

    # The ceremony.
    page.fill("#id_witnesses", "刘见证（区纪委）\n陈见证（企业代表）")
    page.fill("#id_witness_input", "体彩排列三 第26031期 3 1 7")
    page.click("#execute")
    page.wait_for_load_state("networkidle")
    draw.refresh_from_db()
    assert draw.status == DrawStatus.DRAWN
    assert page.locator("#seed").inner_text() == draw.seed
    rows = page.locator("#result tbody tr")
    assert rows.count() == draw.selected_count > 0
    assert "须由另一位组长审批" in page.content()
    assert page.locator("#approve").count() == 0
    page.screenshot(path="/tmp/draw.png", full_page=True)

    page.click("header form[action='/logout/'] button")
    page.wait_for_load_state("networkidle")
    login(page, "frank")
    page.goto(f"{page.base_url}/draws/{draw.pk}/")
    page.click("#approve")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=confirm]").is_visible()  # what will happen, then 确认
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.DRAWN
    page.click("#confirm")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=locked]").is_visible()
    assert "已审批锁定" in page.locator("#draw-status").inner_text()
    draw.refresh_from_db()
    assert (draw.status, draw.approved_by) == (DrawStatus.APPROVED, ceremony["frank"])
    assert InspectionTask.objects.filter(draw=draw).count() == draw.selected_count
    assert page.locator("#result tbody tr").first.inner_text().count("ZF00") >= 2
