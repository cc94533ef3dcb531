"""Put on the enterprises' records the results published before that record existed (the risk weight's
clean-inspection term), or not as published."""

from django.core.management.base import BaseCommand

from core.management.options import bureau_option
from inspections.publication import inspection_records_backfill

ACTOR = "manage.py backfill_inspection_records"


class Command(BaseCommand):
    help = (
        "Put every published result on its enterprise's record (whether it found no problem: the clean-inspection "
        "term of the risk weight) where it is missing or differs from the public row. Audited; running it again "
        "writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bureau", help="only this bureau (its code)")

    def handle(self, *args, **options):
        bureau = bureau_option(options["bureau"])
        written = inspection_records_backfill(actor=ACTOR, bureau=bureau)
        for task_id in written:
            self.stdout.write(f"task {task_id}: on the record")
        self.stdout.write(f"{len(written)} result(s) put on the record")
