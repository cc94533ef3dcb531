"""Issue 16 in a real browser: a lead opens 建议列入经营异常名录 from the follow-up page, downloads it, opens an
enterprise's credit record from it, and from there the risk weight rule as published on the public site."""

from datetime import date

import pytest

from tests.browser.test_followup_flow import moment, signed_in
from tests.factories import InspectorFactory
from tests.followup.test_credit import _unreachable
from tests.inspections.factories import DrawFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_abnormal_list_credit_record_and_public_rule(browser, page, live_server, bureau, alice, frank, bob):
    partner = InspectorFactory(bureau=bureau, code="ZF002", name="陈执法", certificate_number="豫环执20260002")
    draw = DrawFactory(task__plan__bureau=bureau, created_by=frank, executed_by=frank, approved_by=alice)
    task = _unreachable(bureau, draw, bob, partner, frank, address="工业园区纬三路8号", day=date(2026, 10, 9))
    with moment(date(2026, 10, 12)):
        lead = signed_in(browser, live_server, "alice")
        lead.goto(f"{live_server.url}/followup/")
        lead.click("#abnormal-link")
        lead.wait_for_load_state("networkidle")
        assert lead.locator("h1").inner_text() == "建议列入经营异常名录"
        row = lead.locator(f"#abnormal-{task.publication.pk}").inner_text().split("\t")
        assert row == [
            task.enterprise.name,
            task.enterprise.uscc,
            "工业园区纬三路8号",
            task.publication.inspection_number,
            "2026-10-09",
            "通过登记的住所（经营场所）无法联系",
        ]
        with lead.expect_download() as download:
            lead.click("#abnormal-xlsx")
        assert download.value.suggested_filename == "abnormal-jianan.xlsx"
        lead.click(f"#abnormal-{task.publication.pk} a")
        lead.wait_for_load_state("networkidle")
        assert lead.locator("#weight-title").inner_text() == "今日风险权重：1"
        assert lead.locator("#entries tbody tr").first.inner_text().split("\t") == [
            "2026-10-09",
            "已公示的检查结果",
            "通过登记的住所（经营场所）无法联系",
            task.publication.inspection_number,
        ]
        lead.click("#risk-rule-link")
        lead.wait_for_load_state("networkidle")
        assert lead.locator("h1").inner_text() == "随机抽取的风险权重规则"
        assert lead.url.endswith("/public/draws/risk-weights/#bureau-jianan")  # the enterprise's bureau's rule
        assert "最多加 3 张" in lead.locator("#bureau-jianan .risk-rule-terms").inner_text()
        lead.context.close()
