from django.core.management.base import BaseCommand, CommandError

from core.audit import verify_chain


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain and name the first broken entry."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"audit chain broken at entry #{report.broken_id}: {report.reason} "
                f"({report.checked} entries before it are intact)"
            )
        self.stdout.write(f"audit chain intact: {report.checked} entries")
