"""python manage.py import_enterprises FILE.xlsx --bureau CODE

The same all-or-nothing import as the web page. Prints the rows created and updated, or every error
(row and column) and exits non-zero, having changed nothing.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.management.options import bureau_option
from enterprises.services import enterprise_import_start


class Command(BaseCommand):
    help = "Import enterprises from an .xlsx file into a bureau's registry (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file (columns as in the import template)")
        parser.add_argument("--bureau", required=True, help="the bureau's code, e.g. jianan")
        parser.add_argument("--user", help="username recorded as the actor in the audit trail")

    def handle(self, *args, **options):
        bureau = bureau_option(options["bureau"])
        actor = "manage.py import_enterprises"
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user {options['user']!r}.")
        path = Path(options["file"])
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        with handle:
            try:
                outcome = enterprise_import_start(
                    actor=actor, bureau=bureau, upload=File(handle, name=path.name), inline=True
                )
            except DomainError as exc:
                raise CommandError(f"{path.name}: {exc}") from exc
        result = outcome.result
        if not result.ok:
            for error in result.errors:
                column = f", {error['column']}" if error["column"] else ""
                self.stderr.write(f"row {error['row']}{column}: {error['message']}")
            raise CommandError(result.summary())
        self.stdout.write(
            f"{result.rows} rows: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
            f" ({result.status_changes} status changes)."
        )
