"""The closed loop in a real browser (任务—扫码入企—结果上传—企业评价): the inspector's task list on a phone, the
notice PDF, the enterprise's QR check-in without an account, the result with findings and a photo (recorded
late), a lead's approval, then the enterprise's rating through the same code.
"""

import io
import os
import re
from datetime import datetime, time, timedelta

import pytest
import segno
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from core.models import AuditEntry
from inspections.enums import InspectionTaskStatus
from inspections.models import Attachment, CheckIn, Evaluation, InspectionResult
from inspections.services import result_due
from tests.browser.conftest import login
from tests.factories import InspectorFactory
from tests.inspections.factories import DrawFactory, make_task
from tests.pdf import assert_shipped_font_embedded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("SSJ_SCREENSHOT_DIR")


def shot(page, name):
    """Keep a screenshot when SSJ_SCREENSHOT_DIR is set (to look at the pages)."""
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"inspection-{name}.png"), full_page=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def task(bureau, alice, frank, bob):
    """A task of a draw run by frank and approved by alice; its team is bob and 陈执法 (no account).
    Its period began 20 days ago: the enterprise confirms the arrival 14 days ago."""
    partner = InspectorFactory(bureau=bureau, code="ZF002", name="陈执法", certificate_number="豫环执20260002")
    draw = DrawFactory(task__plan__bureau=bureau, created_by=frank, executed_by=frank, approved_by=alice)
    today = timezone.localdate()
    return make_task(
        bureau=bureau,
        inspectors=[bob.inspector, partner],
        draw=draw,
        joint_units="县公安局",
        planned_start=today - timedelta(days=20),
        planned_end=today + timedelta(days=10),
    )


def enterprise_page(browser):
    """The enterprise's phone: no account, no cookie of the bureau's staff."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def emailed_code(address: str) -> str:
    """The one-time code of the last e-mail sent to ``address`` (the test mail outbox)."""
    message = [m for m in mail.outbox if address in m.to][-1]
    return re.search(r"(?<!\d)(\d{6})(?!\d)", message.body).group(1)


def test_inspection_closed_loop_in_the_browser(browser, phone_page, page, live_server, task, bob, alice, tmp_path):
    inspector = phone_page
    enterprise = task.enterprise
    enterprise.contact_email = "huanbao@hongda.example"  # the contact that receives the one-time codes
    enterprise.save(update_fields=["contact_email"])
    items = list(task.check_items.order_by("order", "code"))

    # 1. The inspector's own tasks, on a phone.
    login(inspector, "bob")
    inspector.goto(f"{live_server.url}/inspections/mine/")
    card = inspector.locator(f"#task-{task.pk}")
    assert enterprise.name in card.inner_text() and task.number in card.inner_text()
    assert "陈执法" in card.inner_text()
    assert fits_the_screen(inspector)
    shot(inspector, "1-my-tasks")

    # 2. The task, its QR code and the notice PDF with the shipped CJK font embedded.
    card.locator("h2 a").click()
    inspector.wait_for_load_state("networkidle")
    assert inspector.url.endswith(f"/inspections/{task.pk}/")
    assert inspector.locator("#qr svg").count() == 1
    assert "豫环执20260002" in inspector.locator("#team").inner_text()
    shot(inspector, "2-task")
    notice = inspector.request.get(live_server.url + inspector.locator("#notice-link").get_attribute("href"))
    assert notice.status == 200 and notice.headers["content-type"] == "application/pdf"
    assert notice.body().startswith(b"%PDF-")
    assert_shipped_font_embedded(notice.body(), tmp_path)
    assert AuditEntry.objects.filter(action="inspections.notice_issued", actor=bob).count() == 1
    checkin_path = inspector.locator("#qr .url").inner_text().strip().removeprefix(settings.SITE_URL)
    assert checkin_path.startswith("/c/")

    # 3. The enterprise scans the code on arrival, 14 days ago, and confirms it without an account.
    arrival_day = timezone.localdate() - timedelta(days=14)
    phone = enterprise_page(browser)
    with time_machine.travel(timezone.make_aware(datetime.combine(arrival_day, time(9, 30))), tick=True):
        phone.goto(live_server.url + checkin_path)
        team = phone.locator("#team-title").locator("..").inner_text()
        assert "王检查" in team and "陈执法" in team and "豫环执20260002" in team
        assert fits_the_screen(phone)
        shot(phone, "3-checkin")
        phone.click("#send-arrival-code")  # the code goes to the enterprise's registered contact only
        phone.wait_for_load_state("networkidle")
        phone.fill("#id_confirmed_by_name", "周接待")
        phone.fill("#id_code", emailed_code(enterprise.contact_email))
        phone.click("#confirm-arrival")
        phone.wait_for_load_state("networkidle")
        assert "周接待" in phone.locator("#arrival-recorded").inner_text()
    checkin = CheckIn.objects.get(task=task)
    assert (checkin.method, checkin.confirmed_by_name, timezone.localtime(checkin.at).date()) == (
        "qr",
        "周接待",
        arrival_day,
    )
    shot(phone, "4-checked-in")

    # 4. Back on the inspector's list: the result is overdue, its deadline shown.
    due = result_due(arrival_day).date
    inspector.goto(f"{live_server.url}/inspections/mine/")
    assert f"结果已逾期（应于 {due.isoformat()} 前）" in card.inner_text()
    shot(inspector, "5-overdue")

    # 5. The result: one item complies, the other not (corrected on the spot), with a photo.
    card.locator("a[href$='/result/']").click()
    inspector.wait_for_load_state("networkidle")
    assert inspector.locator("#id_inspected_on").input_value() == arrival_day.isoformat()
    inspector.check(f"input[name='item-{items[0].pk}-compliant'][value='yes']")
    inspector.check(f"input[name='item-{items[1].pk}-compliant'][value='no']")
    inspector.fill(f"#id_item-{items[1].pk}-finding", "排污许可证执行报告未按时提交，已当场责令改正。")
    inspector.select_option("#id_outcome", "corrected")
    inspector.fill("#id_summary", "现场检查两项，一项已责令改正。")
    photo = io.BytesIO()
    segno.make_qr("现场照片").save(photo, kind="png", scale=8)
    inspector.set_input_files(
        "#id_files", files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": photo.getvalue()}]
    )
    assert fits_the_screen(inspector)
    shot(inspector, "6-result-form")
    inspector.click("#save-result")
    inspector.wait_for_load_state("networkidle")
    assert inspector.url.endswith(f"/inspections/{task.pk}/")
    body = inspector.locator("main").inner_text()
    assert f"超过 {due.isoformat()} 的录入期限，该结果标记为逾期录入。" in body
    assert "逾期录入" in inspector.locator("#result").inner_text()
    assert "现场照片.png" in inspector.locator("#attachments").inner_text()
    shot(inspector, "7-result-recorded")
    result = InspectionResult.objects.get(task=task)
    assert (result.outcome, result.inspected_on, result.due_date, result.late, result.recorded_by) == (
        "corrected",
        arrival_day,
        due,
        True,
        bob,
    )
    assert [(f.check_item_id, f.compliant) for f in result.findings.order_by("check_item__order")] == [
        (items[0].pk, True),
        (items[1].pk, False),
    ]
    (attachment,) = Attachment.objects.filter(result=result)
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "现场照片.png",
        "image/png",
        len(photo.getvalue()),
    )

    # 6. A lead who was not on the team approves it for publication.
    login(page, "alice")
    page.goto(f"{live_server.url}/inspections/{task.pk}/")
    assert "逾期录入" in page.locator("#result").inner_text()
    page.click("#approve-button")
    page.wait_for_load_state("networkidle")
    page.click("#confirm")  # the confirmation step
    page.wait_for_load_state("networkidle")
    assert "已审核通过，同意公示。" in page.locator("main").inner_text()
    assert page.locator("#approve-button").count() == 0
    shot(page, "8-approved")
    result.refresh_from_db()
    task.refresh_from_db()
    assert (task.status, result.approved_by) == (InspectionTaskStatus.RESULT_APPROVED, alice)

    # 7. The enterprise rates the inspection with the same QR code and a new one-time code.
    phone.goto(live_server.url + checkin_path)
    phone.click("#send-evaluation-code")
    phone.wait_for_load_state("networkidle")
    phone.fill("#id_code", emailed_code(enterprise.contact_email))
    phone.check("input[name='rating'][value='5']")
    phone.fill("#id_comment", "检查人员出示证件，程序规范。")
    shot(phone, "9-evaluation-form")
    phone.click("#submit-evaluation")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("#evaluation-recorded").is_visible()
    shot(phone, "10-evaluated")
    evaluation = Evaluation.objects.get(task=task)
    assert (evaluation.rating, evaluation.comment) == (5, "检查人员出示证件，程序规范。")
    phone.context.close()

    # The lead sees the rating; every step is in the audit trail.
    page.goto(f"{live_server.url}/inspections/evaluations/")
    assert enterprise.name in page.locator("main").inner_text()
    shot(page, "11-evaluations")
    assert list(
        AuditEntry.objects.filter(object_id=str(task.pk), action__startswith="inspections.")
        .exclude(action="inspections.notice_issued")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "inspections.checkin_confirmed",
        "inspections.result_recorded",
        "inspections.attachment_added",
        "inspections.result_approved",
        "inspections.evaluation_submitted",
    ]
