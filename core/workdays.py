"""Working-day arithmetic on the Chinese calendar (statutory holidays and make-up working days).

Pure functions over a :class:`WorkCalendar`; :func:`load_calendar` builds one from the database,
where an admin keeps each year's State Council notice. A date in a year whose notice is not loaded
is counted on weekends alone and the result is marked provisional.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[date] = field(default_factory=frozenset)
    known_years: frozenset[int] = field(default_factory=frozenset)

    def is_known(self, day: date) -> bool:
        return day.year in self.known_years

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


@dataclass(frozen=True)
class WorkdayResult:
    date: date
    provisional: bool
    unknown_years: tuple[int, ...] = ()

    def __str__(self) -> str:
        return self.date.isoformat()


def add_working_days(start: date, days: int, calendar: WorkCalendar) -> WorkdayResult:
    """The date ``days`` working days after ``start``, counting from the next day.

    ``days == 0`` returns ``start`` itself. The result is provisional when any day counted lies in a
    year whose holiday notice is not loaded.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    unknown: set[int] = set()
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if not calendar.is_known(current):
            unknown.add(current.year)
        if calendar.is_working_day(current):
            remaining -= 1
    return WorkdayResult(current, bool(unknown), tuple(sorted(unknown)))


def working_days_between(start: date, end: date, calendar: WorkCalendar) -> int:
    """Working days in (start, end]: how many have passed from ``start`` to ``end``. Negative if end < start."""
    if end < start:
        return -working_days_between(end, start, calendar)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if calendar.is_working_day(current):
            count += 1
    return count


def load_calendar(years: range | None = None) -> WorkCalendar:
    """Build a calendar from the database (all years, or only ``years``)."""
    from .enums import CalendarDayKind  # noqa: PLC0415 - keeps the arithmetic importable without Django
    from .models import CalendarDay, CalendarYear  # noqa: PLC0415

    days = CalendarDay.objects.all()
    known = CalendarYear.objects.all()
    if years is not None:
        days = days.filter(date__year__gte=years.start, date__year__lt=years.stop)
        known = known.filter(year__gte=years.start, year__lt=years.stop)
    holidays, makeup = set(), set()
    for day, kind in days.values_list("date", "kind"):
        (holidays if kind == CalendarDayKind.HOLIDAY else makeup).add(day)
    return WorkCalendar(frozenset(holidays), frozenset(makeup), frozenset(known.values_list("year", flat=True)))


def add_working_days_db(start: date, days: int) -> WorkdayResult:
    """:func:`add_working_days` on the database calendar, loading only the years it can reach."""
    return add_working_days(start, days, load_calendar(range(start.year, start.year + 2 + days // 200)))
