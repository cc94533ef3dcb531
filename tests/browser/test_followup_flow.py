"""After the inspection, in a real browser: a lead approves a result that found a problem (the rectification
deadline is set on the working-day calendar), the visit is not on the inspector's list before 5 working days
before it is due and is flagged overdue after, he records it not rectified (a case opens), a lead files the case, records the penalty (the enterprise's credit
record shows it, and a higher risk weight with its reason) and closes it — and the public result is checked at
each step.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from followup.enums import CaseStatus
from followup.models import Case, Rectification
from inspections import services
from inspections.codes import code_issue
from inspections.models import InspectionResult, Publication
from inspections.publication import publication_publish
from tests.browser.conftest import login
from tests.factories import InspectorFactory
from tests.inspections.factories import DrawFactory, findings_for, make_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def moment(day: date, hour: int = 10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def signed_in(browser, live_server, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url
    login(page, username)
    return page


def public_row(page, live_server, publication) -> str:
    page.goto(f"{live_server.url}/public/results/")
    return page.locator("table.results-table tbody tr").filter(has_text=publication.enterprise_name).inner_text()


def submit_and_confirm(page, form_id):
    page.click(f"#{form_id} button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.click("#confirm")
    page.wait_for_load_state("networkidle")


def test_problem_rectification_visit_case_penalty_closed(browser, page, live_server, bureau, alice, frank, bob):
    partner = InspectorFactory(bureau=bureau, code="ZF002", name="陈执法", certificate_number="豫环执20260002")
    draw = DrawFactory(task__plan__bureau=bureau, created_by=frank, executed_by=frank, approved_by=alice)
    inspected = date(2026, 9, 25)
    with moment(inspected, 9):
        task = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
        task.enterprise.contact_email = "contact@enterprise.example"
        task.enterprise.save(update_fields=["contact_email"])
        services.checkin_confirm(code=code_issue(task=task, purpose="arrival"), task=task, confirmed_by_name="周接待")
        bad = [task.check_items.order_by("order").first().pk]
        result, _changed = services.result_record(
            actor=bob,
            task=task,
            outcome="rectification_ordered",
            inspected_on=inspected,
            findings=findings_for(task, finding="废气处理设施未运行", bad_items=bad),
        )

    # 1. frank approves the result with a problem: a rectification of 20 working days is ordered.
    with moment(inspected, 15):
        lead = signed_in(browser, live_server, "frank")
        lead.goto(f"{live_server.url}/inspections/{task.pk}/")
        lead.click("#approve-button")
        lead.wait_for_load_state("networkidle")
        if lead.locator("#confirm").count():
            lead.click("#confirm")
            lead.wait_for_load_state("networkidle")
        assert InspectionResult.objects.get(pk=result.pk).approved_at is not None
        lead.click("#followup-link")
        lead.wait_for_load_state("networkidle")
        assert lead.locator("#rectification-deadline").inner_text().startswith("2026-10-29")
        assert "待整改回访" in lead.locator("#rectification-status").inner_text()
        publication = publication_publish(actor=frank, task=task)
        row = public_row(page, live_server, publication)
        assert "发现问题已责令整改" in row and "整改情况" not in row
        lead.context.close()

    # 2. On 10-21 the visit is not on bob's list yet (it is from 10-22); on 10-30 it is overdue, also in the to-do.
    with moment(date(2026, 10, 21)):
        inspector = signed_in(browser, live_server, "bob")
        inspector.goto(f"{live_server.url}/followup/")
        assert inspector.locator("#visits tbody tr").inner_text() == "没有整改回访。"
        inspector.context.close()
    with moment(date(2026, 10, 30)):
        inspector = signed_in(browser, live_server, "bob")
        inspector.goto(f"{live_server.url}/")
        assert "已逾期的整改回访" in inspector.locator(".todo").inner_text()
        inspector.goto(f"{live_server.url}/followup/")
        visit_row = inspector.locator(f"#visit-{Rectification.objects.get(task=task).pk}")
        assert "2026-10-29" in visit_row.inner_text() and "已逾期" in visit_row.inner_text()
        visit_row.locator("a").click()
        inspector.wait_for_load_state("networkidle")

        # 3. bob records the visit: not rectified, a date before the inspection first (refused, named).
        inspector.check("#visit-form input[value=no]")
        inspector.fill("#id_visited_on", "2026-09-01")
        inspector.fill("#id_findings", "废气处理设施仍未运行")
        submit_and_confirm(inspector, "visit-form")
        assert "日期不能早于检查日期（2026-09-25）。" in inspector.locator("#visit-form").inner_text()
        assert inspector.locator("#id_findings").input_value() == "废气处理设施仍未运行"
        inspector.fill("#id_visited_on", "2026-10-30")
        submit_and_confirm(inspector, "visit-form")
        assert inspector.locator("#rectification-status").inner_text() == "未整改"
        assert inspector.locator("#case-status").inner_text() == "待立案"
        row = public_row(page, live_server, publication)
        assert "整改情况：未整改" in row and "发现问题已责令整改" in row
        inspector.context.close()

    # 4. alice files the case, records a penalty of 50,000 yuan and closes it.
    with moment(date(2026, 11, 20)):
        lead = signed_in(browser, live_server, "alice")
        lead.goto(f"{live_server.url}/followup/task/{task.pk}/")
        lead.fill("#id_case_number", "建环罚立〔2026〕12号")
        lead.fill("#id_filed_on", "2026-11-02")
        lead.fill("#id_legal_basis", "《中华人民共和国大气污染防治法》第一百零八条")
        submit_and_confirm(lead, "case-file-form")
        assert lead.locator("#case-status").inner_text() == "已立案"
        assert "整改情况：未整改" in public_row(page, live_server, publication)
        # the credit record before the penalty: the visit's violation only, weight 1 + 1
        credit = signed_in(browser, live_server, "alice")
        credit.goto(f"{live_server.url}/enterprises/{task.enterprise_id}/")
        credit.click("#credit-record-link")
        credit.wait_for_load_state("networkidle")
        assert credit.locator("#weight-title").inner_text() == "今日风险权重：2"
        assert credit.locator("#term-records").inner_text().split("\t") == [
            "违法违规、投诉和处罚记录",
            "2023-11-20 之后至 2026-11-20 的记录 1 条（最多计 3 条）",
            "1",
        ]
        assert "行政处罚" not in credit.locator("#entries").inner_text()
        lead.fill("#id_decision_number", "建环罚〔2026〕12号")
        lead.fill("#id_decided_on", "2026-11-20")
        lead.select_option("#id_penalty_category", "fine")
        lead.fill("#id_penalty_content", "罚款人民币伍万元整")
        lead.fill("#id_fine", "-1")
        submit_and_confirm(lead, "case-decide-form")
        assert "金额不能小于零。" in lead.locator("#case-decide-form").inner_text()
        lead.fill("#id_fine", "50000")
        submit_and_confirm(lead, "case-decide-form")
        assert lead.locator("#case-status").inner_text() == "已作出处罚决定"
        assert lead.locator("#case-fine").inner_text() == "50000.00"
        # after the penalty: on the credit record, and the weight is higher, with its reason
        credit.reload()
        assert credit.locator("#weight-title").inner_text() == "今日风险权重：3"
        assert credit.locator("#term-records").inner_text().split("\t") == [
            "违法违规、投诉和处罚记录",
            "2023-11-20 之后至 2026-11-20 的记录 2 条（最多计 3 条）",
            "2",
        ]
        assert credit.locator("#entries tbody tr").first.inner_text().split("\t") == [
            "2026-11-20",
            "行政处罚",
            "罚款：罚款人民币伍万元整",
            "建环罚〔2026〕12号",
        ]
        credit.context.close()
        lead.fill("#id_closed_on", "2026-11-20")
        lead.select_option("#id_conclusion", "violation")
        submit_and_confirm(lead, "case-close-form")
        assert lead.locator("#case-status").inner_text() == "已结案"
        row = public_row(page, live_server, publication)
        assert "发现问题已责令整改" in row and "整改情况：未整改" in row
        page.goto(f"{live_server.url}/public/results/{publication.pk}/")
        assert page.locator("#rectification").inner_text() == "未整改"
        lead.context.close()
    case = Case.objects.get(task=task)
    assert (case.status, case.case_number, str(case.fine), case.closed_on) == (
        CaseStatus.CLOSED,
        "建环罚立〔2026〕12号",
        "50000.00",
        date(2026, 11, 20),
    )
    assert Publication.objects.get(pk=publication.pk).outcome == "rectification_ordered"
