"""The enterprise's right to object (issue 16 item 5) in a real browser: the enterprise opens its objection page
from the notice's second QR code (no account), files an objection with a photo; a team lead rejects it (the
enterprise then reads the reasons) and upholds another (the public row says 经异议更正).
"""

import re
from datetime import timedelta

import pytest
import segno
from django.core import mail
from django.utils import timezone

from core.models import AuditEntry
from inspections import publication, services
from inspections.codes import code_issue
from inspections.models import InspectionResult, Objection
from inspections.objections import objection_file
from inspections.tokens import make_objection_token
from tests.browser.conftest import login
from tests.factories import InspectorFactory
from tests.inspections.factories import DrawFactory, findings_for, make_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _published(bureau, draw, bob, partner, frank, alice, n):
    today = timezone.localdate()
    task = make_task(
        bureau=bureau,
        inspectors=[bob.inspector, partner],
        draw=draw,
        planned_start=today - timedelta(days=3),
        planned_end=today + timedelta(days=3),
    )
    task.enterprise.contact_email = f"contact{n}@enterprise.example"
    task.enterprise.name = f"许昌异议{n}化工有限公司"
    task.enterprise.save(update_fields=["contact_email", "name"])
    services.checkin_confirm(task=task, confirmed_by_name="周接待", code=code_issue(task=task, purpose="arrival"))
    result, _ = services.result_record(
        actor=bob, task=task, outcome="no_problem", inspected_on=today, findings=findings_for(task)
    )
    services.result_approve(actor=frank, result=result)
    publication.publication_publish(actor=alice, task=task)
    task.refresh_from_db()
    return task


@pytest.fixture
def tasks(bureau, alice, frank, bob):
    partner = InspectorFactory(bureau=bureau, code="ZF002", name="陈执法", certificate_number="豫环执20260002")
    draw = DrawFactory(task__plan__bureau=bureau, created_by=frank, executed_by=frank, approved_by=alice)
    return [_published(bureau, draw, bob, partner, frank, alice, n) for n in (1, 2)]


def emailed_code(address: str) -> str:
    message = [m for m in mail.outbox if address in m.to][-1]
    return re.search(r"(?<!\d)(\d{6})(?!\d)", message.body).group(1)


def public_row(page, live_server, name) -> str:
    page.goto(f"{live_server.url}/public/results/")
    return page.locator("tr", has_text=name).inner_text()


def test_objection_filed_rejected_and_upheld_in_the_browser(browser, page, live_server, tasks, alice, tmp_path):
    first, second = tasks
    # 1. The enterprise of the first task opens its page on a phone, without an account, and files with a photo.
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    phone.set_default_timeout(15000)
    url = f"{live_server.url}/o/{make_objection_token(first)}/"
    phone.goto(url)
    assert phone.locator("#published-outcome").inner_text() == "未发现问题"
    phone.click("#send-objection-code")
    phone.wait_for_url(re.compile(r"#file$"))
    photo = tmp_path / "报告.png"
    segno.make_qr("监测报告").save(photo, kind="png", scale=8)
    phone.fill("#id_filed_by_name", "周经理")
    phone.fill("#id_text", "检查当日已提交监测报告，结果有误。")
    phone.set_input_files("#id_files", str(photo))
    phone.fill("#id_code", emailed_code(first.enterprise.contact_email))
    phone.click("#file-objection")
    assert phone.locator("#objection-status").inner_text() == "待处理"
    objection = Objection.objects.get(task=first)
    assert [f.original_name for f in objection.files.all()] == ["报告.png"]
    assert "异议处理中" in public_row(page, live_server, first.enterprise.name)

    # The second enterprise files too (its page was tested above).
    other = objection_file(
        task=second, text="企业已停产。", filed_by_name="李经理", code=code_issue(task=second, purpose="objection")
    )

    # 2. A team lead sees the queue, rejects the first through the confirmation page.
    login(page, "alice")
    page.goto(f"{live_server.url}/inspections/objections/")
    assert page.locator("#objections tbody tr").count() == 2
    page.click(f"text={first.number}")
    assert page.locator("#objection-text").inner_text() == "检查当日已提交监测报告，结果有误。"
    page.fill("#id_reject_reason", "监测报告日期晚于检查日，不能证明检查时的状况。")
    page.click("#reject")
    page.click("#confirm")
    assert page.locator("#objection-status").inner_text() == "已驳回"

    # The enterprise reads the reasons on its page.
    phone.goto(url)
    assert phone.locator("#objection-status").inner_text() == "已驳回"
    assert phone.locator("#decision-reason").inner_text() == "监测报告日期晚于检查日，不能证明检查时的状况。"
    assert "异议处理中" not in public_row(page, live_server, first.enterprise.name)

    # 3. The lead upholds the second: the result is corrected and the public row says 经异议更正.
    page.goto(f"{live_server.url}/inspections/objections/{other.pk}/")
    page.select_option("#id_uphold_outcome", "no_business_activity")
    page.fill("#id_uphold_reason", "企业已停产，未开展相关经营活动。")
    page.click("#uphold")
    page.click("#confirm")
    assert page.locator("#objection-status").inner_text() == "异议成立，结果已更正"
    row = public_row(page, live_server, second.enterprise.name)
    assert "经异议更正" in row and "未发现开展本次抽查涉及的经营活动" in row
    assert InspectionResult.objects.get(task=second).outcome == "no_business_activity"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "inspections.objection_filed",
        "inspections.objection_rejected",
        "inspections.objection_upheld",
        "inspections.result_corrected",
        "publication.objection_marked",
    } <= actions
    context.close()
