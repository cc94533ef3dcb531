"""The staff pages: dashboard, publish (one, batch), exemption, reports and their downloads."""

import io
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.enums import Role
from disclosure import views
from enterprises.models import CheckItem
from inspections.enums import InspectionTaskStatus as S
from inspections.models import Evaluation, Exemption, Publication
from sampling.models import QuotaPolicy
from tests.conftest import _member
from tests.factories import CheckItemFactory
from tests.inspections.factories import DrawFactory, PlanFactory, PlanTaskFactory, make_task
from tests.pdf import (
    assert_shipped_font_embedded,
    capture_html,
    pdf_without_system_fonts,
    pdffonts,
    pdfinfo,
    pdftext,
    shipped_fonts,
)
from tests.tamper import triggers_disabled

from .conftest import add_result

pytestmark = pytest.mark.django_db
NOV_23 = "2026-11-23 10:00:00+08:00"
DASHBOARD = reverse("disclosure:dashboard")
CONFIRM = {"confirm": "1"}  # the confirmed POST of an action that cannot be undone
REPORTS = reverse("disclosure:reports")


def status_of(task):
    task.refresh_from_db()
    return task.status


# --- the dashboard -----------------------------------------------------------------------------------


@time_machine.travel(NOV_23, tick=False)
def test_dashboard_sorts_results_by_deadline(make, client_for, alice):
    overdue = make(inspected_on=date(2026, 10, 9))
    soon = make(inspected_on=date(2026, 10, 27), status=S.RESULT_RECORDED)
    later = make(inspected_on=date(2026, 11, 20))
    response = client_for(alice).get(DASHBOARD)
    assert response.status_code == 200
    sections = {key: [row.task.pk for row in rows] for key, _label, rows in response.context["sections"]}
    assert sections == {"overdue": [overdue.pk], "due_soon": [soon.pk], "open": [later.pk]}
    html = response.content.decode()
    assert "2026-11-05" in html and "2026-11-24" in html and "2026-12-18" in html
    assert f'name="task" value="{overdue.pk}"' in html and f'name="task" value="{later.pk}"' in html
    assert f'name="task" value="{soon.pk}"' not in html  # awaiting approval: not publishable
    assert response.context["rate"]["overdue"] == 1 and response.context["rate"]["pending"] == 2
    assert 'id="weeks-chart-t"' in html and 'id="quota-chart-t"' in html


@time_machine.travel("2026-12-15 10:00:00+08:00", tick=False)
def test_dashboard_marks_provisional_deadlines(make, client_for, alice, without_2027):
    make(inspected_on=date(2026, 12, 14))  # the deadline runs into 2027, whose notice is not loaded
    response = client_for(alice).get(DASHBOARD)
    row = response.context["sections"][2][2][0]
    assert row.deadline.provisional is True and row.deadline.date == date(2027, 1, 11)
    assert "暂定" in response.content.decode() or "provisional" in response.content.decode()


def test_dashboard_readers_and_refusals(approved_task, client_for, alice, dave, erin, bob, carol):
    for user in (alice, dave, erin):  # the result awaiting publication, by its number and enterprise
        response = client_for(user).get(DASHBOARD)
        html = response.content.decode()
        assert response.status_code == 200 and approved_task.number in html, user.username
        assert approved_task.enterprise.name in html, user.username
    for user in (bob, carol):
        assert client_for(user).get(DASHBOARD).status_code == 403
    html = client_for(dave).get(DASHBOARD).content.decode()
    assert 'name="task"' not in html and reverse("disclosure:publish", args=[approved_task.pk]) not in html


def test_dashboard_shows_only_the_active_bureau(approved_task, client_for, mallory):
    response = client_for(mallory).get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["pending_count"] == 0 and approved_task.number not in response.content.decode()


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def dashboard_rows(make, client):
    """One result of each kind on the dashboard: overdue, due soon (awaiting approval), later, published, exempt."""
    make(inspected_on=date(2026, 10, 9))
    make(inspected_on=date(2026, 10, 27), status=S.RESULT_RECORDED)
    make(inspected_on=date(2026, 11, 20))
    client.post(reverse("disclosure:publish", args=[make(inspected_on=date(2026, 11, 2)).pk]), CONFIRM)
    make(status=S.EXEMPT, confidential_reason="涉及国家秘密")


@time_machine.travel(NOV_23, tick=False)
def test_dashboard_query_count_does_not_grow_with_rows(make, client_for, alice, django_assert_num_queries):
    client = client_for(alice)
    dashboard_rows(make, client)
    one = queries_of(client, DASHBOARD)
    dashboard_rows(make, client)
    dashboard_rows(make, client)
    assert Publication.objects.count() == 3
    with django_assert_num_queries(one):
        response = client.get(DASHBOARD)
    assert response.context["pending_count"] == 9 and len(response.context["exempt"]) == 3


# --- publish one -------------------------------------------------------------------------------------


def test_publish_by_a_lead(approved_task, client_for, alice):
    response = client_for(alice).post(reverse("disclosure:publish", args=[approved_task.pk]), CONFIRM)
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert status_of(approved_task) == S.PUBLISHED
    assert Publication.objects.get().published_by == alice


def test_publish_without_confirm_asks_first_and_changes_nothing(approved_task, client_for, alice):
    response = client_for(alice).post(reverse("disclosure:publish", args=[approved_task.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="confirm"' in html and 'name="confirm" value="1"' in html and approved_task.number in html
    assert f'href="{DASHBOARD}"' in html  # 取消
    assert status_of(approved_task) == S.RESULT_APPROVED and Publication.objects.count() == 0


def test_batch_without_confirm_lists_the_results_and_changes_nothing(make, client_for, alice):
    a, b = make(), make()
    response = client_for(alice).post(reverse("disclosure:publish-batch"), {"task": [a.pk, b.pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert a.number in html and b.number in html
    assert f'name="task" value="{a.pk}"' in html and f'name="task" value="{b.pk}"' in html
    assert (status_of(a), status_of(b), Publication.objects.count()) == (S.RESULT_APPROVED, S.RESULT_APPROVED, 0)


def test_publish_repeat_is_a_no_op(approved_task, client_for, alice, frank):
    client_for(alice).post(reverse("disclosure:publish", args=[approved_task.pk]), CONFIRM)
    response = client_for(frank).post(reverse("disclosure:publish", args=[approved_task.pk]), CONFIRM, follow=True)
    assert response.status_code == 200
    assert Publication.objects.count() == 1 and Publication.objects.get().published_by == alice
    assert [str(m) for m in response.context["messages"]] == [f"{approved_task.number}已经公示。"]


def test_publish_refused(approved_task, client_for, dave, carol, bob, mallory):
    url = reverse("disclosure:publish", args=[approved_task.pk])
    for user in (dave, carol, bob):
        assert client_for(user).post(url).status_code == 403
    assert client_for(mallory).post(url).status_code == 404
    assert status_of(approved_task) == S.RESULT_APPROVED and Publication.objects.count() == 0


def test_publish_get_changes_nothing(approved_task, client_for, alice):
    assert client_for(alice).get(reverse("disclosure:publish", args=[approved_task.pk])).status_code == 405
    assert status_of(approved_task) == S.RESULT_APPROVED and Publication.objects.count() == 0


def test_publish_of_an_unapproved_result_shows_the_refusal(make, client_for, alice):
    task = make(status=S.RESULT_RECORDED)
    response = client_for(alice).post(reverse("disclosure:publish", args=[task.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert status_of(task) == S.RESULT_RECORDED


# --- publish a batch ---------------------------------------------------------------------------------


def test_batch_publishes_the_selected(make, client_for, alice):
    a, b, c = make(), make(), make()
    response = client_for(alice).post(reverse("disclosure:publish-batch"), {"task": [a.pk, c.pk], **CONFIRM})
    assert response.status_code == 302
    assert (status_of(a), status_of(b), status_of(c)) == (S.PUBLISHED, S.RESULT_APPROVED, S.PUBLISHED)
    assert sorted(Publication.objects.values_list("task_id", flat=True)) == sorted([a.pk, c.pk])


def test_batch_with_a_task_of_another_bureau_publishes_nothing(make, client_for, alice, other_bureau, bob):
    mine = make()
    theirs = make_task(bureau=other_bureau, inspectors=[], items=0, draw=DrawFactory(task__plan__bureau=other_bureau))
    add_result(theirs, inspected_on=date(2026, 11, 2), approver=alice)
    response = client_for(alice).post(reverse("disclosure:publish-batch"), {"task": [mine.pk, theirs.pk]}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert (status_of(mine), status_of(theirs)) == (S.RESULT_APPROVED, S.RESULT_APPROVED)


def test_batch_refused_and_get(make, client_for, dave, carol, mallory, alice):
    task = make()
    url = reverse("disclosure:publish-batch")
    for user in (dave, carol):
        assert client_for(user).post(url, {"task": [task.pk]}).status_code == 403
    mallory_response = client_for(mallory).post(url, {"task": [task.pk]}, follow=True)
    assert [m.level_tag for m in mallory_response.context["messages"]] == ["error"]  # not a task of his bureau
    assert client_for(alice).get(url).status_code == 405
    assert status_of(task) == S.RESULT_APPROVED and Publication.objects.count() == 0


def test_batch_repeat_is_a_no_op(make, client_for, alice):
    a, b = make(), make()
    client = client_for(alice)
    client.post(reverse("disclosure:publish-batch"), {"task": [a.pk, b.pk], **CONFIRM})
    client.post(reverse("disclosure:publish-batch"), {"task": [a.pk, b.pk], **CONFIRM})
    assert Publication.objects.count() == 2


# --- exemptions --------------------------------------------------------------------------------------


def test_exempt_form_then_post(approved_task, client_for, alice):
    url = reverse("disclosure:exempt", args=[approved_task.pk])
    client = client_for(alice)
    response = client.get(url)
    assert response.status_code == 200 and 'name="reason"' in response.content.decode()
    assert status_of(approved_task) == S.RESULT_APPROVED
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and response.context["form"].errors["reason"]
    assert status_of(approved_task) == S.RESULT_APPROVED
    response = client.post(url, {"reason": "涉及国家安全（军工配套）"})  # first the confirmation
    assert response.status_code == 200 and status_of(approved_task) == S.RESULT_APPROVED
    html = response.content.decode()
    assert 'name="reason" value="涉及国家安全（军工配套）"' in html and 'name="confirm" value="1"' in html
    response = client.post(url, {"reason": "涉及国家安全（军工配套）", **CONFIRM})
    assert response.status_code == 302
    assert status_of(approved_task) == S.EXEMPT
    assert Exemption.objects.get().reason == "涉及国家安全（军工配套）"
    again = client.post(url, {"reason": "另一个"})
    assert again.status_code == 302 and Exemption.objects.get().reason == "涉及国家安全（军工配套）"


def test_exempt_refused(approved_task, client_for, dave, bob, carol, mallory):
    url = reverse("disclosure:exempt", args=[approved_task.pk])
    for user in (dave, bob, carol):
        assert client_for(user).post(url, {"reason": "涉密"}).status_code == 403
        assert client_for(user).get(url).status_code == 403
    assert client_for(mallory).post(url, {"reason": "涉密"}).status_code == 404
    assert status_of(approved_task) == S.RESULT_APPROVED and Exemption.objects.count() == 0


def test_a_task_before_its_inspection_is_404_on_the_publication_pages_to_a_lead_not_of_its_draw(
    bureau, draw, team, client_for, alice
):
    """DESIGN §3 rule 8: the exemption page names the enterprise; before the inspection only the task's team,
    its draw's leads (frank ran it, alice approved it) and the auditors may know it was drawn."""
    george = _member("george", bureau, Role.TEAM_LEAD, first_name="周组长")
    task = make_task(bureau=bureau, inspectors=team, draw=draw)  # assigned, its planned end 20 days ahead
    url = reverse("disclosure:exempt", args=[task.pk])
    response = client_for(george).get(url)
    assert response.status_code == 404 and task.enterprise.name not in response.content.decode()
    assert client_for(george).post(url, {"reason": "涉密"}).status_code == 404
    assert client_for(george).post(reverse("disclosure:publish", args=[task.pk]), CONFIRM).status_code == 404
    response = client_for(alice).get(url)  # the draw's lead: the page, with nothing to exempt yet
    html = response.content.decode()
    assert response.status_code == 200 and task.enterprise.name in html and 'name="reason"' not in html
    assert Exemption.objects.count() == 0 and status_of(task) == S.ASSIGNED


def test_exempt_of_a_published_result_is_refused(approved_task, client_for, alice):
    client = client_for(alice)
    client.post(reverse("disclosure:publish", args=[approved_task.pk]), CONFIRM)
    url = reverse("disclosure:exempt", args=[approved_task.pk])
    assert 'name="reason"' not in client.get(url).content.decode()
    response = client.post(url, {"reason": "涉密"})
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    assert status_of(approved_task) == S.PUBLISHED and Exemption.objects.count() == 0


# --- the inspections pages still work with published and exempt tasks --------------------------------


def test_inspection_pages_of_published_and_exempt_tasks(make, client_for, alice, bob):
    published, exempt = make(), make()
    client_for(alice).post(reverse("disclosure:publish", args=[published.pk]), CONFIRM)
    client_for(alice).post(reverse("disclosure:exempt", args=[exempt.pk]), {"reason": "涉密", **CONFIRM})
    for task, status in ((published, S.PUBLISHED), (exempt, S.EXEMPT)):
        assert status_of(task) == status
        for user in (alice, bob):
            response = client_for(user).get(reverse("inspections:task-detail", args=[task.pk]))
            assert response.status_code == 200 and task.number in response.content.decode()
        # The result form of an approved result sends the inspector back to the task page.
        response = client_for(bob).get(reverse("inspections:result", args=[task.pk]))
        assert response.status_code == 302 and response["Location"] == reverse(
            "inspections:task-detail", args=[task.pk]
        )
    for user, page in ((bob, reverse("inspections:my-tasks") + "?done=1"), (alice, reverse("inspections:task-list"))):
        response = client_for(user).get(page)
        html = response.content.decode()
        assert response.status_code == 200 and published.number in html and exempt.number in html, page


# --- reports -----------------------------------------------------------------------------------------


@pytest.fixture
def plans(bureau, draw):
    """The year's plans: the draw's plan (key units, two items) and a second plan with a targeted general task."""
    policy = QuotaPolicy.objects.create(bureau=bureau, year=2026, key_ratio=30, general_per_inspector_per_year=10)
    first = draw.task
    first.name = "建安区2026年重点排污单位抽查"
    first.save(update_fields=["name"])
    first.check_items.set(
        [
            CheckItemFactory(bureau=bureau, code="SJ-02", name="排污许可制度执行情况", order=2),
            CheckItemFactory(bureau=bureau, code="SJ-01", name="污染防治设施运行情况", order=1),
        ]
    )
    second_plan = PlanFactory(bureau=bureau, year=2026, seq=first.plan.seq + 1, name="=2026年专项抽查计划")
    PlanTaskFactory(
        plan=second_plan,
        seq=1,
        name="一般排污单位抽查",
        include_key=False,
        include_general=True,
        draw_from=date(2026, 3, 1),
        draw_until=date(2026, 11, 30),
    )
    return policy, first.plan, second_plan


def test_reports_readable_by_every_staff_role(plans, client_for, alice, bob, carol, dave, erin):
    for user in (alice, bob, carol, dave, erin):
        response = client_for(user).get(REPORTS + "?year=2026&quarter=4")
        assert response.status_code == 200
        assert response.context["stats"]["due"] == date(2027, 1, 5)
    html = response.content.decode()
    assert "2027-01-05" in html and "建安区2026年重点排污单位抽查" in html


def test_reports_of_another_bureau_are_not_shown(plans, client_for, mallory):
    response = client_for(mallory).get(REPORTS + "?year=2026")
    assert response.context["plan_table"] == [] and "建安区2026年重点排污单位抽查" not in response.content.decode()
    data = client_for(mallory).get(reverse("disclosure:plan-table-xlsx", args=[2026])).content
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.max_row == 2  # the title and the column titles only


def test_reports_query_count_does_not_grow_with_plans(plans, bureau, client_for, alice, django_assert_num_queries):
    client = client_for(alice)
    url = REPORTS + "?year=2026&quarter=4"
    one = queries_of(client, url)
    for seq in (10, 11):
        plan = PlanFactory(bureau=bureau, year=2026, seq=seq)
        task = PlanTaskFactory(plan=plan, seq=1)
        task.check_items.set(CheckItem.objects.filter(bureau=bureau))
        DrawFactory(task=task, quotas=[{"tier": "key", "quota": 1, "population": 5}])
    with django_assert_num_queries(one):
        response = client.get(url)
    assert len(response.context["plan_table"]) == 4 and len(response.context["stats"]["rows"]) == 3


def test_plan_table_xlsx_cell_by_cell(plans, client_for, bob):
    response = client_for(bob).get(reverse("disclosure:plan-table-xlsx", args=[2026]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="plan-table-jianan-2026.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "许昌市生态环境局建安分局部门内部抽查工作计划表（2026年度）"
    assert rows[1] == [
        "序号",
        "抽查计划名称",
        "抽查任务名称",
        "抽查事项",
        "抽查对象",
        "抽查比例",
        "抽取日期自",
        "抽取日期至",
    ]
    first_plan_name = plans[1].name
    assert rows[2][:6] == [
        1,
        first_plan_name,
        "建安区2026年重点排污单位抽查",
        "污染防治设施运行情况、排污许可制度执行情况",
        "重点监管对象",
        "重点监管对象每季度不低于30%",
    ]
    assert [v.date() for v in rows[2][6:8]] == [date(2026, 1, 1), date(2026, 12, 31)]
    assert rows[3][:6] == [
        2,
        "'=2026年专项抽查计划",  # a name starting with "=" is never a formula
        "一般排污单位抽查",
        None,  # no item chosen yet
        "一般监管对象",
        "一般监管对象每年不低于1:10（在岗执法人员数:被抽查单位数）",
    ]
    assert [v.date() for v in rows[3][6:8]] == [date(2026, 3, 1), date(2026, 11, 30)]
    assert len(rows) == 4


def test_plan_table_pdf_embeds_the_shipped_cjk_font(plans, client_for, dave, tmp_path):
    response = client_for(dave).get(reverse("disclosure:plan-table-pdf", args=[2026]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert_shipped_font_embedded(response.content, tmp_path)
    text = pdftext(response.content, tmp_path, "-layout")
    for expected in ("部门内部抽查工作计划表（2026年度）", "抽取日期至", "建安区2026年", "2026-11-30"):
        assert expected in text
    assert "841.89 x 595.276 pts (A4)" in pdfinfo(response.content, tmp_path)  # A4 landscape


def test_plan_table_pdf_needs_no_system_font(plans, client_for, dave, monkeypatch, tmp_path):
    pages = capture_html(monkeypatch, views)
    assert client_for(dave).get(reverse("disclosure:plan-table-pdf", args=[2026])).status_code == 200
    pdf = pdf_without_system_fonts(pages[0], tmp_path)
    fonts = pdffonts(pdf, tmp_path)
    assert shipped_fonts(fonts) == fonts, f"a font other than the shipped one: {fonts}"
    assert_shipped_font_embedded(pdf, tmp_path)
    text = "".join(pdftext(pdf, tmp_path).split())
    for expected in ("部门内部抽查工作计划表（2026年度）", "抽取日期至", "建安区2026年", "2026-11-30"):
        assert expected in text, expected


def test_report_downloads_refused_outside_their_range(client_for, alice, bob):
    assert client_for(alice).get(reverse("disclosure:plan-table-xlsx", args=[1999])).status_code == 404
    assert client_for(alice).get(reverse("disclosure:quarterly-xlsx", args=[2026, 5])).status_code == 404


@time_machine.travel(NOV_23, tick=False)
def test_quarterly_xlsx_cell_by_cell(plans, make, draw, bureau, client_for, alice, carol):
    draw.quotas = [
        {"tier": "key", "quota": 3, "population": 10},
        {"tier": "general", "quota": 2, "population": 40},
    ]
    with triggers_disabled("sampling_draw"):  # a draw's frozen quotas, changed for the test
        draw.save(update_fields=["quotas"])
    client = client_for(alice)
    on_time = make(inspected_on=date(2026, 11, 2), joint_kind="internal")
    client.post(reverse("disclosure:publish", args=[on_time.pk]), CONFIRM)
    make(inspected_on=date(2026, 10, 9), outcome="corrected")  # approved, deadline 5 Nov passed: overdue
    make(status=S.EXEMPT, confidential_reason="涉密", stratum="2026Q4/general")
    make_task(bureau=bureau, inspectors=[], items=0, draw=draw, stratum="2026Q4/key")  # drawn, not inspected
    Evaluation.objects.create(task=on_time, rating=4, at=on_time.result.recorded_at)
    response = client_for(carol).get(reverse("disclosure:quarterly-xlsx", args=[2026, 4]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="quarterly-jianan-2026Q4.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "许昌市生态环境局建安分局2026年第4季度“双随机、一公开”监管工作统计表"
    assert rows[1][0] == "统计截至2026-11-23；报送期限：2027-01-05（暂定）（季度结束后3个工作日内）"
    assert rows[2] == [
        "抽查计划编号", "抽查任务名称", "监管类别", "应抽查对象数", "应抽取数", "已抽取数", "已检查数", "发现问题数",
        "按时公示数", "逾期数(逾期公示及逾期未公示)", "不予公开数", "联合检查占比(%)", "企业评价数", "企业评价平均分",
    ]  # fmt: skip
    number = draw.task.plan.number
    task_name = "建安区2026年重点排污单位抽查"
    assert rows[3] == [number, task_name, "重点监管对象", 10, 3, 3, 2, 1, 1, 1, 0, 33.3, 1, 4]
    assert rows[4] == [number, task_name, "一般监管对象", 40, 2, 1, 1, 0, 0, 0, 1, 0, 0, None]
    assert rows[5] == ["合计", None, None, 50, 5, 4, 3, 1, 1, 1, 1, 25, 1, 4]
    # then a blank row and the seed targets (disclosure.targets): 6 of them under their header
    assert rows[7][:5] == ["考核指标", "实际值", "目标值", "差距", "说明"]
    assert len(rows) == 14


def test_batch_without_a_selection_says_so(make, client_for, alice):
    make()
    response = client_for(alice).post(reverse("disclosure:publish-batch"), {}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["请至少选择一条要公示的检查结果。"]
    assert Publication.objects.count() == 0


def test_dashboard_in_english(approved_task, client_for, alice, settings):
    client = client_for(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(DASHBOARD).content.decode()
    assert "Publication of results" in html and "Publish the selected results" in html
