"""The rectification deadline and when its follow-up visit appears on the lists: working days on the
bureau's calendar (core.workdays), pure functions."""

from __future__ import annotations

from datetime import date, timedelta

from core.workdays import WorkCalendar, WorkdayResult, add_working_days

from .enums import VisitState

# A visit is on the inspectors' list and the to-do from this many working days before its deadline
# (the same "due soon" as the publication deadline, inspections.deadlines.DUE_SOON_WORKING_DAYS).
DUE_SOON_WORKING_DAYS = 5


def rectification_deadline(ordered_on: date, working_days: int, calendar: WorkCalendar) -> WorkdayResult:
    """``working_days`` working days after the order, counting from the next day."""
    return add_working_days(ordered_on, working_days, calendar)


def due_soon_from(deadline: date, calendar: WorkCalendar, days: int = DUE_SOON_WORKING_DAYS) -> date:
    """The first day from which at most ``days`` working days remain until ``deadline`` (the working days
    in (day, deadline], as :func:`core.workdays.working_days_between` counts them)."""
    day, remaining = deadline, 0
    while True:
        counted = remaining + (1 if calendar.is_working_day(day) else 0)
        if counted > days:
            return day
        remaining, day = counted, day - timedelta(days=1)


def visit_state(deadline: date, shown_from: date, today: date) -> str:
    if today > deadline:
        return VisitState.OVERDUE
    if today >= shown_from:
        return VisitState.DUE_SOON
    return VisitState.LATER
