"""The publication deadline: 20 working days on the Chinese calendar (holidays, make-up days, provisional)."""

from datetime import date

import pytest

from core.workdays import WorkCalendar
from disclosure.queries import quarter_end, quarterly_statistics
from inspections.deadlines import deadline_for, publication_deadline, working_calendar
from inspections.enums import DeadlineState

# A small calendar: 2026 known, one holiday week (Mon 5 Oct – Wed 7 Oct) and a make-up Saturday (10 Oct).
SMALL = WorkCalendar(
    holidays=frozenset({date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7)}),
    makeup_workdays=frozenset({date(2026, 10, 10)}),
    known_years=frozenset({2026}),
)


def test_deadline_counts_weekdays_from_the_next_day():
    # Mon 2 Nov 2026 + 20 working days: 3 Nov … 30 Nov, four weeks of five days.
    result = publication_deadline(date(2026, 11, 2), SMALL)
    assert (result.date, result.provisional) == (date(2026, 11, 30), False)


def test_deadline_skips_holidays_and_counts_the_makeup_saturday():
    # Fri 2 Oct: 8, 9, (Sat) 10, 12-16, 19-23, 26-30 = 18, then 2 and 3 Nov.
    result = publication_deadline(date(2026, 10, 2), SMALL)
    assert result.date == date(2026, 11, 3)
    without_makeup = WorkCalendar(holidays=SMALL.holidays, known_years=SMALL.known_years)
    assert publication_deadline(date(2026, 10, 2), without_makeup).date == date(2026, 11, 4)


def test_deadline_reaching_an_unknown_year_is_provisional():
    result = publication_deadline(date(2026, 12, 15), SMALL)
    assert result.provisional is True
    assert result.unknown_years == (2027,)
    # Weekends alone in 2027: 1 Jan counts as a working day there.
    assert result.date == date(2027, 1, 12)


@pytest.mark.django_db
def test_deadline_on_the_loaded_calendar_national_day():
    calendar = working_calendar()
    # The library fact of LIBRARIES.md: 20 working days after 25 Sep 2026 (Mid-Autumn, National Day) is 29 Oct.
    assert publication_deadline(date(2026, 9, 25), calendar).date == date(2026, 10, 29)
    # Spring Festival 2026 (16–23 Feb off, 14 and 28 Feb worked).
    assert publication_deadline(date(2026, 1, 30), calendar).date == date(2026, 3, 5)
    assert publication_deadline(date(2026, 12, 15), calendar).provisional is True
    assert publication_deadline(date(2026, 12, 1), calendar).provisional is False


def test_deadline_states_due_soon_and_overdue():
    inspected = date(2026, 11, 2)  # deadline Mon 30 Nov on SMALL
    assert deadline_for(inspected, date(2026, 11, 20), SMALL).state == DeadlineState.OPEN  # 6 left
    soon = deadline_for(inspected, date(2026, 11, 23), SMALL)  # 5 working days left
    assert (soon.state, soon.working_days_left) == (DeadlineState.DUE_SOON, 5)
    assert deadline_for(inspected, date(2026, 11, 30), SMALL).state == DeadlineState.DUE_SOON  # the last day
    late = deadline_for(inspected, date(2026, 12, 2), SMALL)
    assert (late.state, late.working_days_left, late.overdue) == (DeadlineState.OVERDUE, -2, True)


@pytest.mark.django_db
def test_quarterly_statistics_due_three_working_days_after_the_quarter(bureau, without_2027):
    calendar = working_calendar()
    assert quarter_end(2026, 3) == date(2026, 9, 30)
    q3 = quarterly_statistics(bureau, 2026, 3, date(2026, 10, 1), calendar)
    # 1–7 Oct are off; 8 (Thu), 9 (Fri) and the make-up Saturday 10 Oct are the three working days.
    assert (q3["due"], q3["due_provisional"]) == (date(2026, 10, 10), False)
    q4 = quarterly_statistics(bureau, 2026, 4, date(2026, 12, 1), calendar)
    assert (q4["due"], q4["due_provisional"]) == (date(2027, 1, 5), True)


def test_due_soon_is_true_only_within_five_working_days_and_not_once_overdue():
    inspected = date(2026, 11, 2)  # deadline Mon 30 Nov on SMALL
    open_ = deadline_for(inspected, date(2026, 11, 20), SMALL)
    soon = deadline_for(inspected, date(2026, 11, 23), SMALL)
    late = deadline_for(inspected, date(2026, 12, 1), SMALL)
    assert (open_.due_soon, open_.overdue) == (False, False)
    assert (soon.due_soon, soon.overdue) == (True, False)
    assert (late.due_soon, late.overdue) == (False, True)


def test_deadline_for_gives_the_date_and_whether_it_is_provisional():
    settled = deadline_for(date(2026, 11, 2), date(2026, 11, 3), SMALL)
    assert (settled.date, settled.provisional, settled.working_days_left) == (date(2026, 11, 30), False, 19)
    reaching_2027 = deadline_for(date(2026, 12, 15), date(2026, 12, 15), SMALL)
    assert (reaching_2027.date, reaching_2027.provisional) == (date(2027, 1, 12), True)
