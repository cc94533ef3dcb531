"""Two administrators open the working-day calendar's day form and both submit (core/versions.py)."""

from datetime import date

import pytest

from core.enums import Role
from core.models import AuditEntry, CalendarDay
from tests.conftest import _member
from tests.edit_forms import assert_conflict, english_client, shown_form


@pytest.fixture
def ivy(bureau):
    return _member("ivy", bureau, Role.ADMIN, first_name="冯管理")


def test_calendar_day_second_stale_change_is_refused(erin, ivy):
    url = "/calendar/?year=2026&edit=2026-10-01"
    first, second = english_client(erin), english_client(ivy)
    form_a, form_b = shown_form(first, url), shown_form(second, url)
    assert (form_b["date"], form_b["kind"], form_b["name"]) == ("2026-10-01", "holiday", "国庆节")

    assert first.post(url, {**form_a, "name": "国庆节、中秋节"}).status_code == 302
    response = second.post(url, {**form_b, "name": "国庆"})

    assert_conflict(
        response, typed={"name": 'value="国庆"'}, changed=[("Name", "国庆节", "国庆节、中秋节")], by="孙管理"
    )
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).name == "国庆节、中秋节"
    entries = AuditEntry.objects.filter(action="calendar.day_set")
    assert [(e.actor_name, e.data["after"]) for e in entries] == [
        ("孙管理", {"kind": "holiday", "name": "国庆节、中秋节"})
    ]


def test_calendar_new_day_set_twice_at_once_is_refused(erin, ivy):
    url = "/calendar/?year=2030"
    first, second = english_client(erin), english_client(ivy)
    form_a, form_b = shown_form(first, url), shown_form(second, url)
    new_day = {"date": "2030-01-02", "kind": "holiday"}

    assert first.post(url, {**form_a, **new_day, "name": "元旦补休"}).status_code == 302
    response = second.post(url, {**form_b, **new_day, "name": "调休"})

    assert_conflict(
        response,
        typed={"date": 'value="2030-01-02"', "name": 'value="调休"'},
        changed=[("Kind", "—", "Statutory holiday (rest day)"), ("Name", "—", "元旦补休")],
        by="孙管理",
    )
    assert list(CalendarDay.objects.filter(date__year=2030).values_list("name", flat=True)) == ["元旦补休"]
    assert AuditEntry.objects.filter(action="calendar.day_set").count() == 1


def test_calendar_change_link_fills_the_form_from_the_day(erin):
    body = english_client(erin).get("/calendar/?year=2026").content.decode()
    assert 'href="?year=2026&amp;edit=2026-10-01#day-form"' in body
