from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.audit import anchor_write


class Command(BaseCommand):
    help = (
        "Anchor the audit chain outside the database: record its head (last entry and hash) in the list "
        "published at /public/audit-anchors/ and append it to AUDIT_ANCHOR_FILE. Run daily (RQ does, with "
        "the publication scan; or cron) and copy the file off the host."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", help="append to this file instead of AUDIT_ANCHOR_FILE")

    def handle(self, *args, **options):
        path = options["file"] or settings.AUDIT_ANCHOR_FILE
        try:
            anchor = anchor_write(path=path)
        except OSError as exc:
            raise CommandError(f"cannot append to the anchor file {path}: {exc} (nothing was recorded)") from exc
        where = f" and {path}" if path else " (no AUDIT_ANCHOR_FILE: the database and public site only)"
        self.stdout.write(f"anchored entry #{anchor.entry_id} {anchor.hash} at {anchor.created_at.isoformat()}{where}")
