from django.core.management.base import BaseCommand

from core.jobs import requeue_jobs


class Command(BaseCommand):
    help = "Hand pending (and stale running) background jobs to the queue again, e.g. after a Redis outage."

    def handle(self, *args, **options):
        self.stdout.write(f"requeued {requeue_jobs()} job(s)")
