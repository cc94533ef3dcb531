"""Issue 16 item 3 in a real browser: an enterprise whose last three published results found no problem holds one
ticket, its credit record says why; the administrator turns the term off in the rule's edit form, and the credit
record and the public rule follow."""

import os
from datetime import date

import pytest

from enterprises.enums import RecordKind
from enterprises.models import EnterpriseRecord
from tests.browser.test_followup_flow import moment, signed_in
from tests.factories import EnterpriseFactory, InspectorFactory
from tests.followup.test_clean_streak import publish_result

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SSJ_SHOTS")  # a folder to keep the screenshots in, if set


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _row(page, term: str) -> list[str]:
    return page.locator(f"#term-{term}").inner_text().split("\t")


def test_clean_run_on_the_credit_record_and_the_rule_edited(browser, live_server, bureau, alice, frank, bob, erin):
    partner = InspectorFactory(bureau=bureau, code="ZF002", name="陈执法", certificate_number="豫环执20260002")
    enterprise = EnterpriseFactory(
        bureau=bureau,
        name="建安精细化工有限公司",
        contact_email="contact@enterprise.example",
        legal_representative="周法人",
    )
    for day in (date(2025, 3, 1), date(2025, 4, 1)):
        EnterpriseRecord.objects.create(enterprise=enterprise, kind=RecordKind.VIOLATION, date=day, description="超标")
    for day in (date(2026, 3, 10), date(2026, 6, 10), date(2026, 9, 10)):
        publish_result(
            bureau=bureau,
            lead=alice,
            approver=frank,
            inspectors=[bob.inspector, partner],
            enterprise=enterprise,
            day=day,
        )
    credit = f"/followup/enterprise/{enterprise.pk}/credit/"
    with moment(date(2026, 12, 1)):
        admin = signed_in(browser, live_server, "erin")
        admin.goto(f"{live_server.url}{credit}")
        assert admin.locator("#weight-title").inner_text() == "今日风险权重：1"
        assert _row(admin, "clean") == ["连续检查未发现问题", "连续 3 次检查未发现问题：权重为 1", "1"]
        assert _row(admin, "records") == [
            "违法违规、投诉和处罚记录",
            "2023-12-01 之后至 2026-12-01 的记录 2 条（最多计 3 条）",
            "2",
        ]
        if SHOTS:
            admin.screenshot(path=f"{SHOTS}/credit-clean.png", full_page=True)

        admin.goto(f"{live_server.url}/enterprises/risk-rule/")
        assert (
            admin.locator("label[for=id_clean_streak]").inner_text().startswith("降低权重所需的连续未发现问题检查次数")
        )
        assert admin.locator("#id_clean_streak").input_value() == "3"
        assert admin.locator("#id_clean_weight").input_value() == "1"
        admin.fill("#id_clean_streak", "11")
        admin.click("#risk-rule-form button[type=submit]")
        admin.wait_for_load_state("networkidle")
        error = admin.locator(".field", has=admin.locator("#id_clean_streak")).locator(".errorlist").inner_text()
        assert error == "确保该值小于或等于10。"
        if SHOTS:
            admin.screenshot(path=f"{SHOTS}/rule-error.png", full_page=True)
        admin.fill("#id_clean_streak", "0")
        admin.click("#risk-rule-form button[type=submit]")
        admin.wait_for_load_state("networkidle")
        assert admin.locator("#id_clean_streak").input_value() == "0"

        admin.goto(f"{live_server.url}{credit}")
        assert admin.locator("#weight-title").inner_text() == "今日风险权重：3"
        assert admin.locator("#term-clean").count() == 0
        admin.goto(f"{live_server.url}/public/draws/risk-weights/")
        assert admin.locator("#clean-term-jianan").count() == 0
        admin.context.close()
