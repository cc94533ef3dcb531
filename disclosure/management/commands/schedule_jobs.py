from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from disclosure.schedule import schedule_next


class Command(BaseCommand):
    help = (
        "Schedule the periodic jobs on RQ (production, REDIS_URL set): the daily publication scan at 09:00 "
        "Asia/Shanghai. Idempotent: run it after every deploy; a worker with --with-scheduler runs the jobs."
    )

    def handle(self, *args, **options):
        if settings.JOBS_INLINE:
            raise CommandError(
                "REDIS_URL is not set: there is no queue to schedule on. In the embedded setup run "
                "`manage.py publication_scan` from cron (docs/deployment.md)."
            )
        job_id, run_at, created = schedule_next()
        state = "scheduled" if created else "already scheduled"
        self.stdout.write(f"publication_scan: {state} for {run_at.isoformat()} (job {job_id})")
