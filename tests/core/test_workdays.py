from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from core.calendar_seed import library_calendar
from core.enums import CalendarDayKind
from core.models import AuditEntry, CalendarDay, CalendarYear
from core.workdays import WorkCalendar, add_working_days, add_working_days_db, load_calendar, working_days_between


@pytest.fixture
def cal(db):
    return load_calendar()


def test_seeded_years_cover_the_library(db):
    years = set(CalendarYear.objects.values_list("year", flat=True))
    assert {2004, 2020, 2025, 2026} <= years
    assert years == library_calendar()[2]


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2025, 1, 1), False),  # 元旦
        (date(2025, 1, 26), True),  # Sunday, make-up for 春节
        (date(2025, 1, 28), False),  # 春节
        (date(2025, 2, 4), False),
        (date(2025, 2, 8), True),  # Saturday, make-up
        (date(2025, 4, 27), True),  # Sunday, make-up for 劳动节
        (date(2025, 5, 5), False),
        (date(2025, 9, 28), True),  # Sunday, make-up for 国庆
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),  # Saturday, make-up
        (date(2026, 1, 2), False),
        (date(2026, 1, 4), True),  # Sunday, make-up
        (date(2026, 2, 14), True),  # Saturday, make-up for 春节
        (date(2026, 2, 16), False),
        (date(2026, 2, 28), True),  # Saturday, make-up
        (date(2026, 5, 9), True),  # Saturday, make-up
        (date(2026, 9, 20), True),  # Sunday, make-up
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday, make-up
        (date(2026, 10, 11), False),  # plain Sunday
        (date(2026, 10, 12), True),  # plain Monday
    ],
)
def test_known_holidays_and_makeup_days(cal, day, working):
    assert cal.is_working_day(day) is working


def test_twenty_working_days_after_2026_09_25_is_2026_10_29(cal):
    result = add_working_days(date(2026, 9, 25), 20, cal)
    assert result.date == date(2026, 10, 29)
    assert result.provisional is False


def test_counting_starts_the_next_day(cal):
    # Friday 2026-11-20 + 1 working day = Monday 2026-11-23.
    assert add_working_days(date(2026, 11, 20), 1, cal).date == date(2026, 11, 23)
    assert add_working_days(date(2026, 11, 20), 0, cal).date == date(2026, 11, 20)


def test_makeup_saturday_counts_as_a_working_day(cal):
    # Friday 2026-10-09 + 1 = Saturday 2026-10-10, a make-up working day.
    assert add_working_days(date(2026, 10, 9), 1, cal).date == date(2026, 10, 10)


def test_unknown_year_is_counted_on_weekends_and_marked_provisional(without_2027):
    result = add_working_days(date(2026, 12, 20), 20, load_calendar())
    # Working days Mon–Fri from 2026-12-21; 2027's notice is not loaded (元旦 is ignored: provisional).
    assert result.date == date(2027, 1, 15)
    assert result.provisional is True
    assert result.unknown_years == (2027,)


def test_weekend_only_calendar():
    empty = WorkCalendar()
    result = add_working_days(date(2030, 1, 4), 5, empty)  # Friday
    assert result.date == date(2030, 1, 11)
    assert result.provisional


def test_working_days_between(cal):
    assert working_days_between(date(2026, 9, 25), date(2026, 10, 29), cal) == 20
    assert working_days_between(date(2026, 10, 29), date(2026, 9, 25), cal) == -20


def test_negative_days_refused():
    with pytest.raises(ValueError) as info:
        add_working_days(date(2026, 1, 1), -1, WorkCalendar())
    assert str(info.value) == "days must not be negative"


def test_load_calendar_of_some_years_holds_only_those_years(db):
    calendar = load_calendar(range(2025, 2026))
    assert calendar.known_years == frozenset({2025})
    assert {day.year for day in calendar.holidays | calendar.makeup_workdays} == {2025}
    assert date(2025, 1, 1) in calendar.holidays and date(2025, 1, 26) in calendar.makeup_workdays


def test_db_calendar_edit_changes_the_result(db):
    assert add_working_days_db(date(2026, 9, 25), 20).date == date(2026, 10, 29)
    CalendarDay.objects.create(date=date(2026, 10, 20), kind=CalendarDayKind.HOLIDAY, name="测试")
    assert add_working_days_db(date(2026, 9, 25), 20).date == date(2026, 10, 30)


def test_workdays_command_prints_the_date(db, capsys):
    call_command("workdays", "add", "2026-09-25", "20")
    assert capsys.readouterr().out == "2026-10-29\n"


def test_workdays_command_marks_provisional(without_2027, capsys):
    call_command("workdays", "add", "2026-12-20", "20")
    assert capsys.readouterr().out == "2027-01-15 (provisional: holiday notice for 2027 not loaded)\n"


@time_machine.travel(date(2026, 11, 23))
def test_calendar_page_defaults_to_this_year_and_marks_provisional_years(client_for, erin, without_2027):
    client = client_for(erin)
    body = client.get("/calendar/").content.decode()
    assert "2026" in body and "2026-10-10" in body
    body_2027 = client.get("/calendar/?year=2027").content.decode()
    assert "暂定" in body_2027


def test_admin_adds_a_2027_day_and_marks_the_year_loaded(client_for, erin, without_2027):
    client = client_for(erin)
    response = client.post("/calendar/", {"action": "set", "date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 302
    client.post("/calendar/", {"action": "year", "year": "2027", "source": "国办发明电〔2026〕1号"})
    assert CalendarDay.objects.get(date=date(2027, 1, 1)).kind == "holiday"
    assert CalendarYear.objects.get(year=2027).source == "国办发明电〔2026〕1号"
    result = add_working_days_db(date(2026, 12, 31), 1)
    assert result.date == date(2027, 1, 4)
    assert result.provisional is False
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "calendar.day_set",
        "calendar.year_loaded",
    ]


def test_calendar_make_up_weekday_is_refused_with_message(client_for, erin):
    response = client_for(erin).post(
        "/calendar/", {"action": "set", "date": "2027-01-05", "kind": "workday", "name": "x"}, follow=True
    )
    assert "只有周六或周日才能设为调休上班日" in response.content.decode()
    assert not CalendarDay.objects.filter(date=date(2027, 1, 5)).exists()


def test_non_admin_cannot_edit_calendar(client_for, alice, dave):
    for user in (alice, dave):
        response = client_for(user).post("/calendar/", {"action": "set", "date": "2027-01-01", "kind": "holiday"})
        assert response.status_code == 403
    assert not CalendarDay.objects.filter(date=date(2027, 1, 1)).exists()


def test_a_span_of_400_working_days_reaches_two_years_on_and_uses_their_holidays(db):
    """add_working_days_db loads the years it can reach (two more per 200 working days counted): 400 working
    days after Mon 3 Jun 2024 run through 2025 into January 2026, whose New Year holiday (1-3 Jan) and
    make-up Sunday (4 Jan) count. Expected value counted with chinese_calendar.is_workday, day by day."""
    result = add_working_days_db(date(2024, 6, 3), 400)
    assert (result.date, result.provisional, result.unknown_years) == (date(2026, 1, 9), False, ())


def test_a_span_of_200_working_days_within_one_year(db):
    result = add_working_days_db(date(2024, 1, 2), 200)
    assert (result.date, result.provisional) == (date(2024, 10, 22), False)
