"""Two members of a team, each in his own browser, open the result form of the same task and both save it.

The first is saved; the second sees the conflict page: his entries kept, the fields the first member changed
(old → new) and the first member's name; saving again from that page then replaces the first result knowingly.
"""

import pytest

from core.models import AuditEntry
from inspections import services
from inspections.models import InspectionResult
from tests.browser.conftest import login
from tests.factories import InspectorFactory, MembershipFactory, UserFactory
from tests.inspections.conftest import enterprise_code
from tests.inspections.factories import DrawFactory, make_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def heidi(bureau):
    user = UserFactory(username="heidi", first_name="郑检查")
    MembershipFactory(user=user, bureau=bureau, role="inspector")
    InspectorFactory(bureau=bureau, code="ZF003", name="郑检查", user=user)
    return user


@pytest.fixture
def task(bureau, alice, frank, bob, heidi):
    draw = DrawFactory(task__plan__bureau=bureau, created_by=frank, executed_by=frank, approved_by=alice)
    task = make_task(bureau=bureau, inspectors=[bob.inspector, heidi.inspector], draw=draw)
    services.checkin_confirm(
        code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待", ip="10.0.0.9", user_agent="pytest"
    )
    return task


def second_page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url
    return page


def fill_result(page, task, summary):
    page.select_option("#id_outcome", "no_problem")
    for item in task.check_items.all():
        page.check(f"input[name='item-{item.pk}-compliant'][value='yes']")
    page.fill("#id_summary", summary)


def test_second_member_is_told_in_the_browser(browser, page, live_server, task, bob, heidi):
    other = second_page(browser, live_server)
    login(page, "bob")
    login(other, "heidi")
    url = f"{live_server.url}/inspections/{task.pk}/result/"
    page.goto(url)
    other.goto(url)

    fill_result(page, task, "王：现场未发现问题")
    page.click("#save-result")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/inspections/{task.pk}/")

    fill_result(other, task, "郑：废气治理设施运行正常")
    with other.expect_response(url) as answer:
        other.click("#save-result")
    assert answer.value.status == 409
    conflict = other.locator("section.conflict")
    assert "期间的修改" in conflict.inner_text() and "王检查" in conflict.inner_text()
    cells = conflict.locator("tr", has_text="王：现场未发现问题").locator("td").all_inner_texts()
    assert cells == ["概览", "—", "王：现场未发现问题"]  # the form's own label of the summary
    assert "您打开表单后，他人已修改了此记录" in other.locator("main").inner_text()
    assert other.input_value("#id_summary") == "郑：废气治理设施运行正常"
    assert InspectionResult.objects.get(task=task).summary == "王：现场未发现问题"
    assert AuditEntry.objects.filter(action__startswith="inspections.result_").count() == 1

    # Saving again from the conflict page replaces the first member's result, knowingly.
    other.click("#save-result")
    other.wait_for_load_state("networkidle")
    assert other.url.endswith(f"/inspections/{task.pk}/")
    result = InspectionResult.objects.get(task=task)
    assert result.summary == "郑：废气治理设施运行正常"
    edits = AuditEntry.objects.filter(action="inspections.result_edited")
    assert [(e.actor_name, e.data["after"]) for e in edits] == [("郑检查", {"summary": "郑：废气治理设施运行正常"})]
    other.context.close()
