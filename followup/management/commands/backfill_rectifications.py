"""Order the rectifications missing for results approved, with a problem found, before the follow-up existed."""

from django.core.management.base import BaseCommand

from core.management.options import bureau_option
from followup.services import rectifications_backfill

ACTOR = "manage.py backfill_rectifications"


class Command(BaseCommand):
    help = (
        "Order the rectification (with its deadline from the day the inspection ended) of every approved result "
        "with a problem found that has none. Audited; running it again orders nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bureau", help="only this bureau (its code)")

    def handle(self, *args, **options):
        bureau = bureau_option(options["bureau"])
        made = rectifications_backfill(actor=ACTOR, bureau=bureau)
        for r in made:
            self.stdout.write(f"task {r.task_id}: ordered {r.ordered_on}, deadline {r.deadline}")
        self.stdout.write(f"{len(made)} rectification(s) ordered")
