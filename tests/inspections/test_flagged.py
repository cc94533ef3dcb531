"""Issue 13 item 2: a confirmation or a rating from an address, browser or session seen for a team member is
flagged on the task page, and on the home page and the flagged list of the bureau's team leads and auditors."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from inspections.models import CheckIn, Evaluation

from .factories import DrawFactory, make_task

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=TZ)
ARRIVAL = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)
RATED = datetime(2026, 11, 23, 11, 5, tzinfo=TZ)
TODO_LABEL = "与检查组成员共用设备的确认"


@pytest.fixture(autouse=True)
def fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


def task_with(bureau, draw, team, number, *, status="checked_in", checkin=None, evaluation=None):
    task = make_task(bureau=bureau, inspectors=team, draw=draw, number=number, status=status)
    if checkin is not None:
        CheckIn.objects.create(task=task, at=ARRIVAL, confirmed_by_name="周接待", suspicions=checkin)
    if evaluation is not None:
        Evaluation.objects.create(task=task, rating=5, at=RATED, suspicions=evaluation)
    return task


@pytest.fixture
def flagged(bureau, other_bureau, draw, bob, partner):
    """Two flagged tasks of the bureau (an arrival, a rating), one not flagged, one flagged in another bureau."""
    team = [bob.inspector, partner]
    arrival = task_with(bureau, draw, team, "JIANAN2026-F-0001", checkin=["ip", "browser"])
    rating = task_with(
        bureau, draw, team, "JIANAN2026-F-0002", status="result_approved", checkin=[], evaluation=["session"]
    )
    task_with(bureau, draw, team, "JIANAN2026-F-0003", checkin=[])
    elsewhere = DrawFactory(task__plan__bureau=other_bureau)
    task_with(other_bureau, elsewhere, [], "YANLING2026-F-0001", checkin=["ip"])
    return arrival, rating


def todo_of(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return {item.label: item for item in response.context["todo"]}


@pytest.mark.parametrize("who", ["alice", "dave"])
def test_the_home_page_lists_the_flagged_tasks_with_their_reason(request, client_for, flagged, who):
    arrival, rating = flagged
    item = todo_of(client_for(request.getfixturevalue(who)))[TODO_LABEL]
    assert (item.count, item.url, item.urgent) == (2, "/inspections/flagged/", True)
    assert item.details == (
        ("JIANAN2026-F-0002：评价来自同一登录会话", f"/inspections/{rating.pk}/"),
        ("JIANAN2026-F-0001：到达确认来自同一网络地址、同一浏览器", f"/inspections/{arrival.pk}/"),
    )
    page = client_for(request.getfixturevalue(who)).get(reverse("core:home")).content.decode()
    assert f'<a href="/inspections/{arrival.pk}/">JIANAN2026-F-0001：到达确认来自同一网络地址、同一浏览器</a>' in page


@pytest.mark.parametrize("who", ["bob", "carol", "erin"])
def test_other_roles_are_not_shown_the_flags(request, client_for, flagged, who):
    assert TODO_LABEL not in todo_of(client_for(request.getfixturevalue(who)))


def test_another_bureau_sees_only_its_own(client_for, flagged, mallory):
    item = todo_of(client_for(mallory))[TODO_LABEL]
    assert item.count == 1 and [text for text, _url in item.details] == ["YANLING2026-F-0001：到达确认来自同一网络地址"]


def test_nothing_flagged_nothing_shown(client_for, bureau, draw, bob, partner, alice):
    task_with(bureau, draw, [bob.inspector, partner], "JIANAN2026-F-0009", checkin=[])
    assert TODO_LABEL not in todo_of(client_for(alice))


def test_the_flagged_list(client_for, flagged, alice):
    arrival, rating = flagged
    response = client_for(alice).get("/inspections/flagged/")
    assert response.status_code == 200
    rows = [
        (task.pk, [(str(what), at, shared) for what, at, shared in reasons])
        for task, reasons in response.context["rows"]
    ]
    assert rows == [
        (rating.pk, [("评分", RATED, "同一登录会话")]),
        (arrival.pk, [("到达确认", ARRIVAL, "同一网络地址、同一浏览器")]),
    ]
    page = response.content.decode()
    assert "到达确认（2026-11-23 09:30）与检查组成员来自同一网络地址、同一浏览器" in page
    assert "评分（2026-11-23 11:05）与检查组成员来自同一登录会话" in page
    assert f'<a class="mono" href="/inspections/{arrival.pk}/">JIANAN2026-F-0001</a>' in page
    assert "JIANAN2026-F-0003" not in page and "YANLING2026-F-0001" not in page
    # alice, not on the team, saw a task still before its inspection: written to the trail
    entry = AuditEntry.objects.get(action="inspections.task_list_viewed")
    assert (entry.actor, entry.data["tasks"]) == (alice, ["JIANAN2026-F-0001"])


def test_the_flagged_list_in_english(client_for, flagged, dave):
    client = client_for(dave)
    client.cookies["django_language"] = "en"
    page = client.get("/inspections/flagged/").content.decode()
    assert "Confirmations shared with the inspection team" in page
    assert (
        "Arrival confirmation (2026-11-23 09:30) from the same network address, the same browser as a team member"
        in page
    )


@pytest.mark.parametrize(("who", "code"), [("bob", 403), ("carol", 403), ("erin", 403)])
def test_the_flagged_list_is_refused_to_other_roles(request, client_for, flagged, who, code):
    assert client_for(request.getfixturevalue(who)).get("/inspections/flagged/").status_code == code


def test_the_flagged_list_needs_a_login(client, flagged):
    response = client.get("/inspections/flagged/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/inspections/flagged/"


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_the_flags(client_for, bureau, draw, bob, partner, dave, django_assert_num_queries):
    """The same number of queries for 1 and 3 flagged tasks (on PostgreSQL the audit entry of a confidential
    view takes one more, an advisory lock: hence counted, not written down)."""
    team = [bob.inspector, partner]
    task_with(bureau, draw, team, "JIANAN2026-Q-0000", checkin=["ip"], evaluation=["browser"])
    client = client_for(dave)
    client.get("/inspections/flagged/")  # warm the session
    page, home = count_queries(client, "/inspections/flagged/"), count_queries(client, reverse("core:home"))
    assert home == 8
    for n in (1, 2):
        task_with(bureau, draw, team, f"JIANAN2026-Q-{n:04d}", checkin=["ip"], evaluation=["browser"])
    with django_assert_num_queries(page):
        response = client.get("/inspections/flagged/")
    assert len(response.context["rows"]) == 3
    with django_assert_num_queries(home):
        response = client.get(reverse("core:home"))
    assert len(todo_of_response(response)[TODO_LABEL].details) == 3


def todo_of_response(response):
    return {item.label: item for item in response.context["todo"]}


def test_the_task_page_flags_a_rating(client_for, flagged, alice):
    _arrival, rating = flagged
    page = client_for(alice).get(f"/inspections/{rating.pk}/").content.decode()
    assert 'id="evaluation-flagged"' in page and "(同一登录会话)" in page
    assert timezone.now() == NOW
