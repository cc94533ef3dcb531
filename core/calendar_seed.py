"""Seed the working-day calendar from the ``chinesecalendar`` library (years it knows)."""

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def library_calendar() -> tuple[dict, dict, set[int]]:
    """(holidays, make-up workdays, known years) as plain data from chinesecalendar."""
    import chinese_calendar  # noqa: PLC0415 - only needed when seeding

    def name(holiday) -> str:
        value = getattr(holiday, "value", holiday)
        english = value[0] if isinstance(value, tuple) else str(value)
        return HOLIDAY_NAMES.get(english, english)

    holidays = {day: name(h) for day, h in chinese_calendar.holidays.items()}
    workdays = {day: name(h) for day, h in chinese_calendar.workdays.items() if day.weekday() >= 5}
    years = {day.year for day in holidays}
    return holidays, workdays, years


def seed_calendar(CalendarYear, CalendarDay, *, only_missing_years: bool = True) -> list[int]:
    """Load every year the library knows that is not loaded yet. Models are passed in (migration-safe)."""
    holidays, workdays, years = library_calendar()
    loaded = set(CalendarYear.objects.values_list("year", flat=True)) if only_missing_years else set()
    new_years = sorted(years - loaded)
    days = [
        CalendarDay(date=day, kind="holiday", name=label)
        for day, label in holidays.items()
        if day.year in new_years and day.weekday() < 5
    ] + [CalendarDay(date=day, kind="workday", name=label) for day, label in workdays.items() if day.year in new_years]
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)
    CalendarYear.objects.bulk_create(
        [
            CalendarYear(year=year, source=f"国务院办公厅 {year} 年部分节假日安排的通知 (chinesecalendar)")
            for year in new_years
        ]
    )
    return new_years
