from datetime import date

from django.core.management.base import BaseCommand, CommandError

from core.calendar_seed import seed_calendar
from core.models import CalendarDay, CalendarYear
from core.workdays import add_working_days_db


class Command(BaseCommand):
    help = "Working-day calendar: `add DATE N` prints the date N working days after DATE; `seed` loads library years."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="the date N working days after DATE, counting from the next day")
        add.add_argument("start", help="YYYY-MM-DD")
        add.add_argument("days", type=int)
        sub.add_parser("seed", help="load every year the chinesecalendar library knows and that is not loaded")

    def handle(self, *args, **options):
        if options["action"] == "seed":
            years = seed_calendar(CalendarYear, CalendarDay)
            self.stdout.write(f"loaded years: {', '.join(map(str, years)) or 'none (all known years already loaded)'}")
            return
        try:
            start = date.fromisoformat(options["start"])
        except ValueError as exc:
            raise CommandError(f"not a date: {options['start']!r} (expected YYYY-MM-DD)") from exc
        if options["days"] < 0:
            raise CommandError("N must not be negative")
        result = add_working_days_db(start, options["days"])
        if result.provisional:
            years = ", ".join(map(str, result.unknown_years))
            self.stdout.write(f"{result.date.isoformat()} (provisional: holiday notice for {years} not loaded)")
        else:
            self.stdout.write(result.date.isoformat())
