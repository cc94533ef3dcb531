from django.core.management.base import BaseCommand

from disclosure import opendata


class Command(BaseCommand):
    help = (
        "Builds the open-data files (all years, each year and each quarter; CSV, JSON, their .gz, and .xlsx) "
        "into OPEN_DATA_ROOT, renaming each into place. Groups whose rows did not change keep their files."
    )

    def handle(self, *args, **options):
        manifest = opendata.build()
        self.stdout.write(
            f"open data: {manifest['rows']} published results, {len(manifest['files'])} files in {opendata.root()}"
        )
