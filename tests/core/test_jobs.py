import os

import django_rq
import pytest
from django.db import transaction
from rq import SimpleWorker

from core.enums import JobStatus
from core.jobs import job_handler, job_submit, requeue_jobs, run_job
from core.models import CalendarYear, Job

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL and not os.environ.get("SSJ_REQUIRE_SERVICES"), reason="REDIS_URL not set"
)


@job_handler("tests.mark_year")
def mark_year(job):
    """Idempotent: running it twice leaves one row."""
    CalendarYear.objects.get_or_create(year=job.params["year"], defaults={"source": "job"})
    return {"summary": f"year {job.params['year']}"}


@job_handler("tests.explode")
def explode(job):
    raise ValueError("boom")


@pytest.fixture
def inline(settings):
    settings.JOBS_INLINE = True


@pytest.mark.django_db(transaction=True)
def test_inline_job_runs_after_commit(inline, bureau):
    with transaction.atomic():
        job = job_submit(kind="tests.mark_year", params={"year": 2090}, bureau=bureau)
        assert Job.objects.get(pk=job.pk).status == JobStatus.PENDING
    job.refresh_from_db()
    assert (job.status, job.progress, job.result) == (JobStatus.DONE, 100, {"summary": "year 2090"})
    assert CalendarYear.objects.filter(year=2090).count() == 1


@pytest.mark.django_db(transaction=True)
def test_job_rolled_back_with_its_transaction_never_runs(inline, bureau):
    with pytest.raises(RuntimeError), transaction.atomic():
        job_submit(kind="tests.mark_year", params={"year": 2091}, bureau=bureau)
        raise RuntimeError
    assert not Job.objects.exists()
    assert not CalendarYear.objects.filter(year=2091).exists()


@pytest.mark.django_db(transaction=True)
def test_failed_job_records_its_error(inline, bureau):
    job = job_submit(kind="tests.explode", params={}, bureau=bureau)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("boom")


@pytest.mark.django_db
def test_a_finished_job_is_not_run_twice(bureau):
    job = Job.objects.create(kind="tests.mark_year", params={"year": 2092}, bureau=bureau)
    run_job(str(job.pk))
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.attempts == 1
    assert CalendarYear.objects.filter(year=2092).count() == 1


def test_unknown_kind_is_refused(db):
    with pytest.raises(ValueError):
        job_submit(kind="nope", params={})


@pytest.mark.django_db(transaction=True)
def test_redis_down_keeps_the_job_pending(settings, bureau):
    settings.JOBS_INLINE = False
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 60}}
    job = job_submit(kind="tests.mark_year", params={"year": 2093}, bureau=bureau)
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING
    assert not CalendarYear.objects.filter(year=2093).exists()
    assert requeue_jobs() == 0  # still down


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_pending_job_runs_once_redis_is_back(settings, bureau):
    settings.JOBS_INLINE = False
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 60}}
    job = job_submit(kind="tests.mark_year", params={"year": 2094}, bureau=bureau)
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60}}
    queue = django_rq.get_queue("default")
    queue.empty()
    assert requeue_jobs() == 1
    assert requeue_jobs() == 1  # handed over again: the same RQ job id, still one job in the queue
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert CalendarYear.objects.filter(year=2094).count() == 1


def test_job_page_polls_until_done(client_for, alice, bureau):
    job = Job.objects.create(kind="tests.mark_year", bureau=bureau, progress=40, message="第 400 行")
    client = client_for(alice)
    body = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in body and 'value="40"' in body and "第 400 行" in body
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, result={"summary": "导入 12 行"})
    body = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "hx-trigger" not in body and "导入 12 行" in body
