"""The daily scan on RQ: ``schedule_jobs`` places the next 09:00 run once; each run schedules the next."""

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditAnchor
from disclosure import schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL and not os.environ.get("SSJ_REQUIRE_SERVICES"), reason="REDIS_URL not set"
)


def test_next_run_is_the_next_nine_o_clock_in_shanghai():
    before = datetime(2026, 11, 23, 8, 59, tzinfo=SHANGHAI)
    assert schedule.next_run(before) == datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    at = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    assert schedule.next_run(at) == datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    # 02:00 UTC is 10:00 in Shanghai: tomorrow.
    assert schedule.next_run(datetime(2026, 12, 31, 2, 0, tzinfo=ZoneInfo("UTC"))) == datetime(
        2027, 1, 1, 9, 0, tzinfo=SHANGHAI
    )
    assert schedule.job_id_for(datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI)) == "ssj-periodic-publication-scan-20270101"


def test_schedule_jobs_needs_redis(settings):
    settings.JOBS_INLINE = True
    with pytest.raises(CommandError, match="publication_scan"):
        call_command("schedule_jobs")


@pytest.fixture
def queue(settings):
    import django_rq

    settings.JOBS_INLINE = False
    queue = django_rq.get_queue(schedule.QUEUE)
    registry = queue.scheduled_job_registry

    def clear():
        for job_id in registry.get_job_ids():
            if job_id.startswith(schedule.JOB_PREFIX):
                registry.remove(job_id, delete_job=True)
        for day in ("20261123", "20261124"):  # finished runs of an earlier test keep their record
            job = queue.fetch_job(schedule.JOB_PREFIX + day)
            if job is not None:
                job.delete()

    clear()
    yield queue
    clear()


def scheduled(queue) -> list[tuple[str, datetime]]:
    registry = queue.scheduled_job_registry
    return [
        (job_id, registry.get_scheduled_time(job_id).astimezone(SHANGHAI))
        for job_id in sorted(registry.get_job_ids())
        if job_id.startswith(schedule.JOB_PREFIX)
    ]


@needs_redis
@time_machine.travel("2026-11-23 10:00:00+08:00", tick=False)
def test_schedule_jobs_twice_schedules_one_run(queue, capsys):
    call_command("schedule_jobs")
    assert "scheduled for 2026-11-24T09:00:00+08:00" in capsys.readouterr().out
    call_command("schedule_jobs")
    assert "already scheduled" in capsys.readouterr().out
    assert scheduled(queue) == [
        ("ssj-periodic-publication-scan-20261124", datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI))
    ]
    job = queue.fetch_job("ssj-periodic-publication-scan-20261124")
    assert job.func_name == "disclosure.schedule.scheduled_publication_scan"


@needs_redis
@pytest.mark.django_db
def test_a_run_schedules_the_next_day_and_scans(queue, make):
    from datetime import date

    make(inspected_on=date(2026, 10, 9))
    with time_machine.travel("2026-11-23 08:00:00+08:00", tick=False):
        schedule.schedule_next()
    with time_machine.travel("2026-11-23 09:00:01+08:00", tick=False):
        report = schedule.scheduled_publication_scan()
        again = schedule.scheduled_publication_scan()  # delivered twice: nothing new
    assert (report["today"], report["overdue"], report["reminders_created"]) == ("2026-11-23", 1, 1)
    assert AuditAnchor.objects.count() == 2  # each run anchors the audit chain's head
    assert (again["overdue"], again["reminders_created"], again["reminders_sent"]) == (1, 0, 0)
    # Today's run (due, awaiting the scheduler here) is left alone; tomorrow's is scheduled, once.
    assert [job_id for job_id, _at in scheduled(queue)] == [
        "ssj-periodic-publication-scan-20261123",
        "ssj-periodic-publication-scan-20261124",
    ]


@needs_redis
@pytest.mark.django_db
def test_a_worker_with_the_scheduler_runs_the_due_scan(queue, make):
    from datetime import date

    from rq import SimpleWorker

    from inspections.models import Reminder

    make(inspected_on=date(2026, 10, 9))
    with time_machine.travel("2026-11-23 08:00:00+08:00", tick=False):
        call_command("schedule_jobs")
    with time_machine.travel("2026-11-23 09:00:05+08:00"):
        SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=True)
    assert Reminder.objects.count() == 1
    job = queue.fetch_job("ssj-periodic-publication-scan-20261123")
    assert job.get_status() == "finished" and job.return_value()["overdue"] == 1
    assert [job_id for job_id, _at in scheduled(queue)] == ["ssj-periodic-publication-scan-20261124"]


@needs_redis
@time_machine.travel("2026-11-23 10:00:00+08:00", tick=False)
def test_a_stale_record_under_the_next_id_is_replaced(queue):
    from rq.job import Job

    stale = Job.create("disclosure.schedule.next_run", connection=queue.connection, id=schedule.JOB_PREFIX + "20261124")
    stale.save()  # a record with no live status (say, left from a restored dump)
    job_id, _run_at, created = schedule.schedule_next()
    assert (job_id, created) == ("ssj-periodic-publication-scan-20261124", True)
    assert queue.fetch_job(job_id).get_status() == "scheduled"
