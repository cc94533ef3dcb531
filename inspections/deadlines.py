"""The publication deadline (DESIGN §3 rule 10): 20 working days after the task's completion.

A task is complete on the day its inspection ended — the result's ``inspected_on``. The deadline
counts working days on the Chinese calendar (statutory holidays and make-up working days, 调休)
from the next day; it is *provisional* when a year it reaches has no holiday notice loaded (weekends
alone are counted there). A result whose deadline is at most :data:`DUE_SOON_WORKING_DAYS` working
days away is "due soon"; after its deadline it is "overdue".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.workdays import WorkCalendar, WorkdayResult, add_working_days, load_calendar, working_days_between

from .enums import DeadlineState

PUBLICATION_WORKING_DAYS = 20
DUE_SOON_WORKING_DAYS = 5
# Quarterly statistics are due this many working days after the quarter (seed 004).
STATISTICS_WORKING_DAYS = 3


def working_calendar() -> WorkCalendar:
    """The whole working-day calendar (two small queries), to compute many deadlines at once."""
    return load_calendar()


def publication_deadline(inspected_on: date, calendar: WorkCalendar | None = None) -> WorkdayResult:
    """The last day to publish a result whose inspection ended on ``inspected_on``."""
    return add_working_days(inspected_on, PUBLICATION_WORKING_DAYS, calendar or working_calendar())


def deadline_state(deadline: date, today: date, calendar: WorkCalendar) -> str:
    if today > deadline:
        return DeadlineState.OVERDUE
    if working_days_between(today, deadline, calendar) <= DUE_SOON_WORKING_DAYS:
        return DeadlineState.DUE_SOON
    return DeadlineState.OPEN


@dataclass(frozen=True)
class Deadline:
    date: date
    provisional: bool
    state: str
    working_days_left: int  # negative once overdue

    @property
    def overdue(self) -> bool:
        return self.state == DeadlineState.OVERDUE

    @property
    def due_soon(self) -> bool:
        return self.state == DeadlineState.DUE_SOON


def deadline_for(inspected_on: date, today: date, calendar: WorkCalendar) -> Deadline:
    due = publication_deadline(inspected_on, calendar)
    return Deadline(
        date=due.date,
        provisional=due.provisional,
        state=deadline_state(due.date, today, calendar),
        working_days_left=working_days_between(today, due.date, calendar),
    )
