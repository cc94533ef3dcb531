"""A worker killed (SIGKILL) in the middle of a job: the job runs again to the same result, nothing doubled."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import django_rq
import pytest
from django.db import connection

from core.enums import JobStatus
from core.jobs import job_submit, requeue_jobs
from core.models import CalendarDay, CalendarYear, Job
from tests.faults import handlers  # noqa: F401 - registers faults.slow_mark here too

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL")

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("SSJ_REQUIRE_SERVICES") and (not REDIS_URL or not os.environ.get("DATABASE_URL")),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]


def worker_env():
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["REDIS_URL"] = REDIS_URL
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def wait_for(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (RQ's work horse runs in its own process group)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_killed_worker_job_is_requeued_when_its_heartbeat_expires(settings, bureau):
    """No 30-minute wait: once the dead worker's heartbeat key expires (here 1 + 60 s), requeue hands it over."""
    settings.JOBS_INLINE = False
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    queue = django_rq.get_queue("default")
    queue.empty()
    job = job_submit(kind="faults.slow_mark", params={"year": 2096, "sleep": 300}, bureau=bureau)
    env = {**worker_env(), "SSJ_WORKER_MONITORING_INTERVAL": "1"}
    worker = subprocess.Popen([sys.executable, "-m", "tests.faults.worker"], cwd=ROOT, env=env)
    try:
        assert wait_for(lambda: Job.objects.get(pk=job.pk).progress == 50), "the worker never started the job"
        assert requeue_jobs() == 0  # alive: its heartbeat is fresh, nothing is handed over twice
        for pid in [*children(worker.pid), worker.pid]:  # the work horse and the worker: the whole worker dies
            os.kill(pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    started = time.monotonic()
    Job.objects.filter(pk=job.pk).update(params={"year": 2096, "sleep": 0})
    assert wait_for(lambda: requeue_jobs() == 1, seconds=120), "the dead worker's job was never requeued"
    assert time.monotonic() - started < 120  # minutes, not the 30-minute age threshold
    assert Job.objects.get(pk=job.pk).status == JobStatus.PENDING
    subprocess.run(
        [sys.executable, "-m", "tests.faults.worker", "--burst"], cwd=ROOT, env=worker_env(), check=True, timeout=180
    )
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == (JobStatus.DONE, 2, {"summary": "marked"})
    assert CalendarDay.objects.filter(date="2096-01-01").count() == 1


def test_killed_worker_job_runs_again_once(settings, bureau):
    settings.JOBS_INLINE = False
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60}}
    queue = django_rq.get_queue("default")
    queue.empty()
    job = job_submit(kind="faults.slow_mark", params={"year": 2095, "sleep": 30}, bureau=bureau)
    worker = subprocess.Popen([sys.executable, "-m", "tests.faults.worker"], cwd=ROOT, env=worker_env())
    try:
        assert wait_for(lambda: Job.objects.get(pk=job.pk).progress == 50), "the worker never started the job"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.attempts == 1
    assert CalendarYear.objects.filter(year=2095).count() == 1
    assert not CalendarDay.objects.filter(date="2095-01-01").exists()

    # The scheduler's requeue finds it stale and hands it over again; a new worker finishes it.
    Job.objects.filter(pk=job.pk).update(params={"year": 2095, "sleep": 0})
    assert requeue_jobs(stale_after=timedelta(0)) == 1
    subprocess.run(
        [sys.executable, "-m", "tests.faults.worker", "--burst"], cwd=ROOT, env=worker_env(), check=True, timeout=180
    )
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == (JobStatus.DONE, 2, {"summary": "marked"})
    assert CalendarYear.objects.filter(year=2095).count() == 1
    assert CalendarDay.objects.filter(date="2095-01-01").count() == 1
