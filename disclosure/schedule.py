"""The daily publication scan (and audit anchor) on RQ in production: a scheduled job that schedules its successor.

RQ's own scheduler (a worker started with ``--with-scheduler``, already part of the deployment) moves
a job scheduled with ``enqueue_at`` to its queue when its time comes. ``manage.py schedule_jobs``
places the next run (09:00 Asia/Shanghai) under an id that names its day, so running the command
again, or on several hosts, finds the job there and adds nothing. Each run first schedules the next
day's run and then scans, so a scan that fails does not break the chain. The scan itself is safe to
run twice (:func:`inspections.publication.publication_scan`).

Without Redis (the embedded setup) there is no queue: cron runs ``manage.py publication_scan``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from core.audit import anchor_write
from followup.jobs import visit_deadline_scan
from inspections.publication import publication_scan

from . import opendata

QUEUE = "default"
RUN_AT = time(9, 0)  # local time (settings.TIME_ZONE, Asia/Shanghai)
JOB_PREFIX = "ssj-periodic-publication-scan-"
LIVE_STATES = {"scheduled", "queued", "started", "deferred"}


def next_run(now: datetime | None = None) -> datetime:
    """The next 09:00 local time strictly after ``now``."""
    local = timezone.localtime(now or timezone.now())
    candidate = local.replace(hour=RUN_AT.hour, minute=RUN_AT.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), RUN_AT))
    return candidate


def job_id_for(run_at: datetime) -> str:
    return f"{JOB_PREFIX}{timezone.localtime(run_at):%Y%m%d}"


def _queue():
    import django_rq  # noqa: PLC0415 - only with Redis configured

    return django_rq.get_queue(QUEUE)


def schedule_next(*, now: datetime | None = None, queue=None) -> tuple[str, datetime, bool]:
    """Make sure the next run is scheduled, exactly once. Returns ``(job id, run at, created)``.

    Other future runs (left by an earlier time of day) are cancelled; a run already due is left for
    the scheduler to hand over.
    """
    queue = queue or _queue()
    now = now or timezone.now()
    run_at = next_run(now)
    job_id = job_id_for(run_at)
    registry = queue.scheduled_job_registry
    for other in registry.get_job_ids():
        if other.startswith(JOB_PREFIX) and other != job_id:
            at = registry.get_scheduled_time(other)
            if at is not None and at > now:
                registry.remove(other, delete_job=True)
    existing = queue.fetch_job(job_id)
    if existing is not None:
        if existing.get_status(refresh=False) in LIVE_STATES:
            return job_id, run_at, False
        existing.delete()  # a stale record under the id of a run still to come
    queue.enqueue_at(
        run_at,
        "disclosure.schedule.scheduled_publication_scan",
        job_id=job_id,
        description="publication_scan (daily)",
        result_ttl=7 * 24 * 3600,
        failure_ttl=30 * 24 * 3600,
    )
    return job_id, run_at, True


def scheduled_publication_scan() -> dict:
    """The RQ job: schedule tomorrow's run, anchor the audit chain's head (core.audit.anchor_write), then scan today."""
    schedule_next()
    anchor_write()
    report = publication_scan().as_dict()
    report["visit_notices"] = visit_deadline_scan()  # e-mails 5 and 1 working days before a follow-up visit
    opendata.build()  # the nightly build of the open-data files (also rebuilt after each change)
    return report
