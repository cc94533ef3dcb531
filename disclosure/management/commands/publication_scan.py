from datetime import date

from django.core.management.base import BaseCommand, CommandError

from followup.jobs import visit_deadline_scan
from inspections.publication import publication_scan


class Command(BaseCommand):
    help = (
        "The daily publication scan: records exemptions, updates changed outcomes, and reminds team leads of "
        "results due soon or overdue (each reminder once a day: safe to run twice)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Scan as of this day (YYYY-MM-DD); default today in Asia/Shanghai")

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from exc
        report = publication_scan(today=today)
        visits = visit_deadline_scan(today)
        self.stdout.write(
            f"publication scan {report.today.isoformat()}: {report.pending} awaiting publication, "
            f"{report.due_soon} due soon, {report.overdue} overdue"
        )
        self.stdout.write(
            f"reminders: {report.reminders_created} new, {report.reminders_sent} sent in {report.emails} email(s)"
            + (f" ({', '.join(report.bureaus)})" if report.bureaus else "")
        )
        self.stdout.write(f"published outcomes updated: {report.outcomes_updated}")
        self.stdout.write(f"deadline e-mails (5 or 1 working days left): {report.deadline_notices} task(s)")
        self.stdout.write(f"follow-up visit e-mails (5 or 1 working days left): {visits} visit(s)")
