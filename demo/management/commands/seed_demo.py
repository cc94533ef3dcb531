import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.enums import BureauKind
from core.models import Bureau
from demo.generate import generate_enterprises, generate_inspectors, seed_demo
from enterprises.models import Enterprise


class Command(BaseCommand):
    help = "Load the demo county (idempotent), or with --province N a province-sized registry for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=1500)
        parser.add_argument("--inspectors", type=int, default=40)
        parser.add_argument("--province", type=int, metavar="N", help="create a bureau 'province' with N enterprises")
        parser.add_argument(
            "--registries-only", action="store_true", help="skip this quarter's plan, draws, inspections, publications"
        )
        parser.add_argument("--force", action="store_true", help="allow in production settings")

    def handle(self, *args, **options):
        if settings.PRODUCTION and not options["force"]:
            raise CommandError("refusing to load demo data with SSJ_ENV=production (use --force on a test system)")
        if options["province"]:
            self._province(options["province"])
            return
        result = seed_demo(
            enterprises=options["enterprises"],
            inspectors=options["inspectors"],
            workflow=not options["registries_only"],
        )
        self.stdout.write(
            f"demo data ready: {result['enterprises_created']} enterprises created, "
            f"{result['draws']} draws approved, {result['published']} results published"
        )

    def _province(self, count: int):
        start = time.perf_counter()
        with transaction.atomic():
            bureau, _ = Bureau.objects.get_or_create(
                code="province",
                defaults={
                    "name": "省级基准测试生态环境厅",
                    "short_name": "省环",
                    "kind": BureauKind.CITY,
                    "division_code": "411003",
                },
            )
            missing = count - Enterprise.objects.filter(bureau=bureau).count()
            if missing > 0:
                generate_enterprises(bureau, missing, seed=count, batch_size=10000, with_records=False)
            generate_inspectors(bureau, 400, seed=11)
        self.stdout.write(f"province registry ready: {count} enterprises in {time.perf_counter() - start:.1f} s")
