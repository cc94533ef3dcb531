"""Issue 14 item 5: the annual plan's filing with the higher authority (seed 003), in the browser's pages."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.models import AuditEntry
from sampling.models import Plan
from sampling.todo import plan_filing_todo
from tests.inspections.factories import PlanFactory


@pytest.fixture(autouse=True)
def december():
    with time_machine.travel(datetime(2026, 12, 21, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def plan(bureau):
    return PlanFactory(bureau=bureau, year=2027, seq=1, name="2027年污染源日常环境监管双随机抽查计划")


def filing_url(plan):
    return f"/draws/plans/{plan.pk}/filing/"


def test_a_lead_records_the_filing_date_shown_on_the_plan_and_the_dashboard(plan, client_for, alice):
    client = client_for(alice)
    page = client.get(f"/draws/plans/{plan.pk}/").content.decode()
    assert 'id="filing"' in page and 'id="filed-on"' in page and "2026-12-20" not in page
    response = client.post(filing_url(plan), {"filed_on": "2026-12-20"})
    assert (response.status_code, response["Location"]) == (302, f"/draws/plans/{plan.pk}/#filing")
    assert Plan.objects.get(pk=plan.pk).filed_on == date(2026, 12, 20)
    (entry,) = AuditEntry.objects.filter(action="sampling.plan_filed")
    assert (entry.actor_id, entry.data["before"], entry.data["after"]) == (
        alice.pk,
        {"filed_on": None},
        {"filed_on": "2026-12-20"},
    )
    page = client.get(f"/draws/plans/{plan.pk}/").content.decode()
    assert '<dd id="filed-on">2026-12-20</dd>' in page
    dashboard = client.get("/publication/?year=2026").content.decode()
    row = dashboard[dashboard.index('id="target-plan_filing"') :]
    row = row[: row.index("</tr>")]
    assert f'href="/draws/plans/{plan.pk}/#filing"' in row and "2026-12-20" in row and plan.number in row


def test_a_correction_is_audited_with_the_old_day_and_a_repeat_is_a_no_op(plan, client_for, erin):
    client = client_for(erin)  # the administrator may record it too
    client.post(filing_url(plan), {"filed_on": "2026-12-18"})
    client.post(filing_url(plan), {"filed_on": "2026-12-18"})
    client.post(filing_url(plan), {"filed_on": "2026-12-19"})
    entries = AuditEntry.objects.filter(action="sampling.plan_filed").order_by("id")
    assert [(e.data["before"]["filed_on"], e.data["after"]["filed_on"]) for e in entries] == [
        (None, "2026-12-18"),
        ("2026-12-18", "2026-12-19"),
    ]


def test_a_refused_date_is_shown_next_to_the_field_with_the_input_kept(plan, client_for, alice):
    client = client_for(alice)
    response = client.post(filing_url(plan), {"filed_on": "2026-12-30"})
    assert response.status_code == 400
    assert response.context["filing_form"].errors == {"filed_on": ["报备日期不能晚于今天。"]}
    assert 'value="2026-12-30"' in response.content.decode()
    response = client.post(filing_url(plan), {"filed_on": "不是日期"})
    assert response.status_code == 400 and "filed_on" in response.context["filing_form"].errors
    assert client.post(filing_url(plan), {}).status_code == 400
    assert Plan.objects.get(pk=plan.pk).filed_on is None
    assert not AuditEntry.objects.filter(action="sampling.plan_filed").exists()


def test_who_may_not_record_it(plan, client_for, bob, carol, dave, mallory):
    for user in (bob, carol, dave):
        assert client_for(user).post(filing_url(plan), {"filed_on": "2026-12-20"}).status_code == 403
        page = client_for(user).get(f"/draws/plans/{plan.pk}/").content.decode()
        assert 'id="filing"' not in page and 'id="filed-on"' in page
    assert client_for(mallory).post(filing_url(plan), {"filed_on": "2026-12-20"}).status_code == 404
    assert client_for(mallory).get(filing_url(plan)).status_code == 405
    assert Plan.objects.get(pk=plan.pk).filed_on is None


def test_the_todo_item_links_to_the_form(bureau, plan, client_for, alice):
    later = PlanFactory(bureau=bureau, year=2027, seq=2)
    assert plan_filing_todo(bureau, date(2026, 12, 1)).url == f"/draws/plans/{plan.pk}/#filing"
    home = client_for(alice).get("/").content.decode()
    assert f'href="/draws/plans/{plan.pk}/#filing"' in home
    Plan.objects.filter(pk__in=[plan.pk, later.pk]).delete()
    assert plan_filing_todo(bureau, date(2026, 12, 1)).url == "/draws/plans/?year=2027"


def test_a_second_stale_filing_date_is_refused_and_the_first_stays(plan, alice, frank):
    from tests.edit_forms import assert_conflict, english_client, shown_form

    page = f"/draws/plans/{plan.pk}/"
    first, second = english_client(alice), english_client(frank)
    form_a, form_b = shown_form(first, page), shown_form(second, page)
    assert first.post(filing_url(plan), {**form_a, "filed_on": "2026-12-18"}).status_code == 302
    response = second.post(filing_url(plan), {**form_b, "filed_on": "2026-12-20"})
    assert_conflict(
        response,
        typed={"filed_on": 'value="2026-12-20"'},
        changed=[("Filed with the higher authority on", "—", "2026-12-18")],
        by=alice.get_full_name(),
    )
    assert Plan.objects.get(pk=plan.pk).filed_on == date(2026, 12, 18)
    assert AuditEntry.objects.filter(action="sampling.plan_filed").count() == 1
