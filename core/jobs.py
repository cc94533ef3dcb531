"""Background jobs with a status row.

``job_submit`` writes a :class:`~core.models.Job` row in the caller's transaction and hands its id to
RQ after commit. Without Redis (the embedded default, ``JOBS_INLINE``) the job runs right after
commit in the same process. If Redis is down the row stays *pending* and ``manage.py requeue_jobs``
(run by the scheduler) hands it over again once Redis is back. Handlers must be idempotent: a job
may run twice after a worker is killed.

Handlers register with ``@job_handler("kind")`` in their app's ``jobs.py`` (autodiscovered).
"""

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .enums import JobStatus
from .errors import DomainError
from .models import Job

logger = logging.getLogger(__name__)
HANDLERS: dict[str, Callable[[Job], dict]] = {}
STALE_AFTER = timedelta(minutes=30)
LIVE_RQ_STATES = {"queued", "started", "scheduled", "deferred"}


def job_handler(kind: str):
    def register(func):
        HANDLERS[kind] = func
        return func

    return register


def job_submit(*, kind: str, params: dict, bureau=None, actor=None) -> Job:
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(
        kind=kind, params=params, bureau=bureau, created_by=actor if getattr(actor, "is_authenticated", False) else None
    )
    transaction.on_commit(lambda: dispatch(job.pk))
    return job


def dispatch(job_id, *, force: bool = False) -> bool:
    """Hand a job to the queue (or run it inline). False if the queue is unreachable: it stays pending.

    ``force`` replaces an RQ job that still looks queued or started (its worker was killed).
    """
    if settings.JOBS_INLINE:
        run_job(str(job_id))
        return True
    import django_rq  # noqa: PLC0415 - only with Redis configured
    from redis.exceptions import RedisError  # noqa: PLC0415
    from rq import Retry  # noqa: PLC0415

    rq_id = f"ssj-{job_id}"
    try:
        queue = django_rq.get_queue("default")
        existing = queue.fetch_job(rq_id)
        if existing is not None:
            if not force and existing.get_status(refresh=False) in LIVE_RQ_STATES:
                return True  # already handed over and not lost
            try:
                existing.delete()
            except ValueError:
                # RQ cannot delete a job whose execution record expired with its dead worker's heartbeat;
                # dropping the job's own key is enough for the new one (the registry entry expires on its own).
                existing.connection.delete(existing.key)
        queue.enqueue("core.jobs.run_job", str(job_id), job_id=rq_id, retry=Retry(max=2, interval=[10, 60]))
    except RedisError as exc:
        logger.warning("queue unreachable, job %s stays pending: %s", job_id, exc)
        return False
    return True


def run_job(job_id: str) -> None:
    """Run one job (the RQ entry point). A finished job is not run again."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
            return
        job.status, job.started_at, job.attempts = JobStatus.RUNNING, timezone.now(), job.attempts + 1
        job.save(update_fields=["status", "started_at", "attempts"])
    try:
        result = HANDLERS[job.kind](job) or {}
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        fields = {"status": JobStatus.FAILED, "error": f"{exc}\n\n{traceback.format_exc()}"[:20000]}
        if isinstance(exc, DomainError):
            fields["result"] = {"failure": str(exc)}  # written for a person: the job page shows it
        Job.objects.filter(pk=job.pk).update(**fields, finished_at=timezone.now())
        return
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, result=result, progress=100, finished_at=timezone.now())


def job_progress(job: Job, progress: int, message: str = "") -> None:
    """Record progress (0-100) so that the polling page sees it at once.

    Inside a transaction (e.g. an import's writing step) an update would stay invisible until the commit:
    on PostgreSQL it then goes through a short connection of its own, in autocommit. (SQLite has one writer;
    there the job runs inline and no page polls meanwhile.)
    """
    progress, message = max(0, min(100, progress)), message[:255]
    if connection.in_atomic_block and connection.vendor == "postgresql":
        _progress_outside_transaction(job.pk, progress, message)
        return
    Job.objects.filter(pk=job.pk).update(progress=progress, message=message)


def _progress_outside_transaction(job_id, progress: int, message: str) -> None:
    import psycopg  # noqa: PLC0415 - PostgreSQL only

    db = connection.settings_dict
    try:
        with psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            autocommit=True,
            connect_timeout=5,
        ) as side:
            side.execute("SET lock_timeout = '2s'")  # never wait on a row the caller's transaction holds
            side.execute(
                f"UPDATE {Job._meta.db_table} SET progress = %s, message = %s WHERE id = %s",  # noqa: S608 - our table
                [progress, message, job_id],
            )
    except psycopg.Error as exc:
        logger.warning("progress of job %s not recorded: %s", job_id, exc)


def _orphaned_running_jobs() -> set:
    """Running jobs whose RQ worker is gone: its heartbeat key in Redis expired (a worker running a job renews
    it every ``job_monitoring_interval`` seconds with a TTL of that plus 60 s), or RQ no longer has the job
    live. Empty without Redis or when Redis does not answer (then only the age threshold applies)."""
    if settings.JOBS_INLINE:
        return set()
    import django_rq  # noqa: PLC0415 - only with Redis configured
    from redis.exceptions import RedisError  # noqa: PLC0415
    from rq import Worker  # noqa: PLC0415

    running = list(Job.objects.filter(status=JobStatus.RUNNING).values_list("pk", flat=True))
    if not running:
        return set()
    orphaned = set()
    try:
        queue = django_rq.get_queue("default")
        alive = {worker.name for worker in Worker.all(connection=queue.connection) if worker is not None}
        for job_id in running:
            rq_job = queue.fetch_job(f"ssj-{job_id}")
            if rq_job is None:
                continue  # handed over by an older release, or already cleaned up: left to the age threshold
            status = rq_job.get_status(refresh=False)
            if status == "started" and rq_job.worker_name and rq_job.worker_name not in alive:
                orphaned.add(job_id)
            elif status in ("failed", "stopped", "canceled"):
                orphaned.add(job_id)  # RQ gave up on it (e.g. its registry cleanup) while our row says running
    except RedisError as exc:
        logger.warning("queue unreachable, cannot check the workers' heartbeats: %s", exc)
        return set()
    return orphaned


def requeue_jobs(*, stale_after: timedelta = STALE_AFTER) -> int:
    """Hand over again every pending job, and every running job whose worker died: at once when the worker's
    heartbeat has expired (minutes), else when it has run longer than ``stale_after``."""
    stale_ids = set(
        Job.objects.filter(status=JobStatus.RUNNING, started_at__lt=timezone.now() - stale_after).values_list(
            "pk", flat=True
        )
    )
    stale_ids |= _orphaned_running_jobs()
    Job.objects.filter(pk__in=stale_ids, status=JobStatus.RUNNING).update(status=JobStatus.PENDING)
    count = 0
    for job_id in Job.objects.filter(status=JobStatus.PENDING).values_list("pk", flat=True):
        count += dispatch(job_id, force=job_id in stale_ids)
    return count
