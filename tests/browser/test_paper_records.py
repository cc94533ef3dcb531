"""Issue 13 item 2 in a real browser: the arrival at an enterprise without a registered contact, recorded from
the paper record it signed (the scan uploaded on the task page, marked paper); and a confirmation given from
where a team member was seen, flagged on the team lead's home page and on the task."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEntry
from inspections.codes import code_issue
from inspections.models import CheckIn, PaperScan
from tests.browser.conftest import login
from tests.factories import InspectorFactory
from tests.inspections.factories import DrawFactory, make_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def tasks(bureau, alice, frank, bob):
    """Two tasks of bob's team: the first of an enterprise without a registered contact, the second with one."""
    partner = InspectorFactory(bureau=bureau, code="ZF002", name="陈执法", certificate_number="豫环执20260002")
    draw = DrawFactory(task__plan__bureau=bureau, created_by=frank, executed_by=frank, approved_by=alice)
    paper = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    paper.enterprise.contact_email = ""
    paper.enterprise.save(update_fields=["contact_email"])
    coded = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    coded.enterprise.contact_email = "huanbao@example.com"
    coded.enterprise.save(update_fields=["contact_email"])
    return paper, coded


def test_paper_arrival_and_flagged_confirmation(browser, phone_page, page, live_server, tasks, bob, alice):
    paper, coded = tasks
    inspector = phone_page
    login(inspector, "bob")

    # 1. With a registered contact, no paper route is offered.
    inspector.goto(f"{live_server.url}/inspections/{coded.pk}/")
    assert inspector.locator("#checkin-paper-form").count() == 0

    # 2. Without one, bob records the arrival from the signed record and uploads its scan.
    inspector.goto(f"{live_server.url}/inspections/{paper.pk}/")
    inspector.click("#checkin-paper-form summary")
    arrival = timezone.localtime() - timedelta(hours=1)
    inspector.fill("#id_at", arrival.strftime("%Y-%m-%dT%H:%M"))
    inspector.fill("#id_received_by", "周接待")
    inspector.set_input_files("#id_scan", files=[{"name": "签到单.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    inspector.click("#checkin-paper-button")
    inspector.wait_for_load_state("networkidle")
    assert inspector.url.endswith(f"/inspections/{paper.pk}/#checkin")
    assert "已根据企业签字的纸质记录登记到达。" in inspector.locator("main").inner_text()
    assert inspector.locator("#checkin-method").inner_text() == "企业签字的纸质记录（附扫描件）"
    assert "由王检查根据企业签字的纸质记录登记。" in inspector.locator("#checkin-paper").inner_text()
    link = inspector.locator("#checkin-scan")
    assert link.inner_text() == "签字记录: 签到单.pdf"
    download = inspector.request.get(live_server.url + link.get_attribute("href"))
    assert download.status == 200 and download.body() == PDF
    checkin = CheckIn.objects.get(task=paper)
    assert (checkin.method, checkin.confirmed_by_name, checkin.recorded_by, checkin.scan.original_name) == (
        "paper",
        "周接待",
        bob,
        "签到单.pdf",
    )
    assert (
        PaperScan.objects.get().sha256
        and AuditEntry.objects.filter(action="inspections.checkin_recorded_manually", actor=bob).count() == 1
    )

    # 3. bob has held the second task's page; its arrival is then confirmed from the same address and the same
    #    kind of browser (another context without his session: a team member's own session is refused outright).
    inspector.goto(f"{live_server.url}/inspections/{coded.pk}/")
    token_path = inspector.locator("#qr .url").inner_text().strip()
    token_path = token_path[token_path.index("/c/") :]
    context = browser.new_context(locale="zh-CN")
    other = context.new_page()
    other.goto(live_server.url + token_path)
    other.fill("#id_confirmed_by_name", "周接待")
    other.fill("#id_code", code_issue(task=coded, purpose="arrival"))
    other.click("#confirm-arrival")
    other.wait_for_load_state("networkidle")
    assert CheckIn.objects.get(task=coded).suspicions == ["ip", "browser"]  # the same headless Chromium too
    context.close()

    # 4. The lead's home page lists the flagged task with its reason, and leads to the task.
    login(page, "alice")
    page.goto(f"{live_server.url}/")
    todo = page.locator("#todo-heading").locator("..")
    assert "与检查组成员共用设备的确认" in todo.inner_text()
    entry = todo.locator(f"a[href='/inspections/{coded.pk}/']")
    assert entry.inner_text() == f"{coded.number}：到达确认来自同一网络地址、同一浏览器"
    assert paper.number not in todo.inner_text()  # the paper arrival is marked, not flagged
    entry.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#checkin-flagged").is_visible()
    page.goto(f"{live_server.url}/inspections/flagged/")
    assert coded.number in page.locator("#flagged").inner_text()
    assert paper.number not in page.locator("#flagged").inner_text()
    page.goto(f"{live_server.url}/inspections/{paper.pk}/")
    assert page.locator("#checkin-method").inner_text() == "企业签字的纸质记录（附扫描件）"
