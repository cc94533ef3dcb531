import os

import django_rq
import pytest
from django.db import connection, transaction
from rq import SimpleWorker

from core.enums import JobStatus
from core.errors import DomainError
from core.jobs import job_handler, job_progress, job_submit, requeue_jobs, run_job
from core.models import CalendarYear, Job
from tests.browser.conftest import login

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


@job_handler("tests.refuse")
def refuse(job):
    raise DomainError("导入期间名录发生了变化，未导入任何数据。")


@pytest.mark.django_db(transaction=True)
def test_a_refused_job_keeps_the_message_for_the_page(inline, bureau, client_for, carol):
    job = job_submit(kind="tests.refuse", params={}, bureau=bureau)
    job.refresh_from_db()
    assert (job.status, job.result) == (JobStatus.FAILED, {"failure": "导入期间名录发生了变化，未导入任何数据。"})
    assert job.error.startswith("导入期间名录发生了变化")
    page = client_for(carol).get(f"/jobs/{job.pk}/").content.decode()
    assert (
        '<p class="message message-error job-outcome" id="job-outcome">导入期间名录发生了变化，未导入任何数据。</p>'
        in page
    )


@pytest.mark.django_db(transaction=True)
def test_progress_inside_a_transaction_is_seen_at_once(bureau):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: on SQLite the job runs inline and no page polls meanwhile")
    import psycopg

    job = Job.objects.create(kind="tests.mark_year", bureau=bureau, status=JobStatus.RUNNING)
    db = connection.settings_dict
    with (
        psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], autocommit=True) as other,
        transaction.atomic(),
    ):
        CalendarYear.objects.create(year=2095, source="job")
        job_progress(job, 42, "正在写入…")
        seen = other.execute("SELECT progress, message FROM core_job WHERE id = %s", [job.pk]).fetchone()
        assert seen == (42, "正在写入…")  # before the commit
        assert not other.execute("SELECT 1 FROM core_calendaryear WHERE year = 2095").fetchone()
    job.refresh_from_db()
    assert (job.progress, job.message) == (42, "正在写入…")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_job_page_follows_the_job_in_a_browser(page, carol, bureau):
    job = Job.objects.create(kind="enterprises.import", bureau=bureau, status=JobStatus.RUNNING, progress=5)
    login(page, "carol")
    page.goto(f"{page.base_url}/jobs/{job.pk}/")
    assert page.locator("#job-progress").get_attribute("value") == "5"
    Job.objects.filter(pk=job.pk).update(progress=60, message="正在检查第 30000 行，共 50000 行…")
    page.wait_for_selector("#job-progress[value='60']", timeout=5000)  # htmx (static JS) refreshed it
    assert "正在检查第 30000 行，共 50000 行…" in page.locator("#job-status").inner_text()
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        progress=100,
        result={"summary": "已导入 50000 行：新增 50000 家，更新 0 家，未变 0 家。"},
    )
    page.wait_for_selector("#job-status[data-status=done]", timeout=5000)
    assert page.locator("#job-outcome").inner_text() == "已导入 50000 行：新增 50000 家，更新 0 家，未变 0 家。"
    assert page.locator("#job-progress").count() == 0
