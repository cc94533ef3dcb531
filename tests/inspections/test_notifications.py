"""Issue 17 item 7: e-mails when a result waits for approval and 5 and 1 working days before its publication
deadline, received by a real SMTP server (aiosmtpd on loopback): each once, also when the job runs twice or
the mail server was down; none for a lead who turned the kind off; on PostgreSQL + Redis, sent by an RQ worker."""

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from core.enums import JobStatus, NotificationKind
from core.jobs import run_job
from core.models import Job, NotificationSent
from core.notify import notification_preferences_set
from inspections import services
from inspections.publication import publication_scan

from .factories import findings_for

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL and not os.environ.get("SSJ_REQUIRE_SERVICES"), reason="REDIS_URL not set"
)
# Inspected on Monday 2026-11-02: the result is due for publication 20 working days later, on 2026-11-30.
INSPECTED = datetime(2026, 11, 2, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LEADS = ["alice@jianan.example", "frank@jianan.example", "grace@jianan.example"]


@pytest.fixture(autouse=True)
def inline_jobs(settings):
    settings.JOBS_INLINE = True
    settings.SITE_URL = "https://ssj.jianan.example"


@pytest.fixture
def addresses(alice, frank, grace, bob):
    for user in (alice, frank, grace, bob):
        user.email = f"{user.username}@jianan.example"
        user.save(update_fields=["email"])


@pytest.fixture
def inspected():
    with time_machine.travel(INSPECTED, tick=False):
        yield


def record(task, bob):
    result, _changed = services.result_record(
        actor=bob,
        task=task,
        outcome="no_problem",
        inspected_on=date(2026, 11, 2),
        findings=findings_for(task),
        summary="现场检查未发现问题。",
    )
    return result


def rerun(kind: str) -> None:
    for job in Job.objects.filter(kind=kind):
        Job.objects.filter(pk=job.pk).update(status=JobStatus.PENDING)
        run_job(str(job.pk))


def test_a_recorded_result_mails_the_leads_off_the_team_once(
    inspected, checked_in, bob, addresses, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = record(checked_in, bob)
    assert smtp.recipients() == LEADS  # bob, on the team, is not told
    mail = smtp.to("frank@jianan.example")[0]
    assert mail.subject == f"[建环] {checked_in.number} 的检查结果等待审核"
    assert mail.body.splitlines()[:2] == [
        f"检查任务 {checked_in.number}（{checked_in.enterprise.name}，2026-11-02 检查）的结果已由王检查录入，"
        "等待一名未参加该检查组的组长审核。",
        f"请审核： https://ssj.jianan.example/inspections/{checked_in.pk}/",
    ]
    rerun("inspections.notify_result_approval")
    assert len(smtp.mails) == 3
    assert NotificationSent.objects.filter(event=f"result-approval:{result.pk}").count() == 3


def test_editing_the_result_sends_nothing_more(
    inspected, checked_in, bob, addresses, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(checked_in, bob)
    with django_capture_on_commit_callbacks(execute=True):
        services.result_record(
            actor=bob,
            task=checked_in,
            outcome="no_problem",
            inspected_on=date(2026, 11, 2),
            findings=findings_for(checked_in),
            summary="现场检查未发现问题（补充）。",
        )
    assert len(smtp.mails) == 3


def test_a_lead_who_turned_it_off_gets_none(
    inspected, checked_in, bob, grace, addresses, smtp, django_capture_on_commit_callbacks
):
    kinds = [k for k in NotificationKind.values if k != NotificationKind.RESULT_APPROVAL]
    notification_preferences_set(actor=grace, enabled=kinds)
    with django_capture_on_commit_callbacks(execute=True):
        record(checked_in, bob)
    assert smtp.recipients() == ["alice@jianan.example", "frank@jianan.example"]
    assert not NotificationSent.objects.filter(user=grace).exists()


def test_the_mail_server_down_then_back_sends_each_once(
    inspected, checked_in, bob, addresses, smtp, settings, django_capture_on_commit_callbacks
):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there: the send fails, the claim rolls back
    with django_capture_on_commit_callbacks(execute=True):
        record(checked_in, bob)
    job = Job.objects.get(kind="inspections.notify_result_approval")
    assert job.status == JobStatus.FAILED
    assert not NotificationSent.objects.exists()
    settings.EMAIL_PORT = port
    rerun("inspections.notify_result_approval")  # the retry
    rerun("inspections.notify_result_approval")  # and once more
    assert smtp.recipients() == LEADS


def deadline_mails(smtp):
    return [mail for mail in smtp.mails if "距结果公示期限" in mail.subject]


def scan(day: date, django_capture_on_commit_callbacks) -> None:
    with (
        time_machine.travel(datetime.combine(day, datetime.min.time(), ZoneInfo("Asia/Shanghai")).replace(hour=9)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        publication_scan(today=day)


def test_deadline_mails_5_and_1_working_days_before_once_each(
    inspected, checked_in, bob, addresses, smtp, django_capture_on_commit_callbacks
):
    record(checked_in, bob)  # its own e-mail is not sent here (no commit): only the deadline ones
    scan(date(2026, 11, 20), django_capture_on_commit_callbacks)  # 6 working days left
    assert deadline_mails(smtp) == []
    scan(date(2026, 11, 23), django_capture_on_commit_callbacks)  # 5 left
    scan(date(2026, 11, 23), django_capture_on_commit_callbacks)  # the scan run twice
    rerun("inspections.notify_deadlines")  # and its job too
    mails = deadline_mails(smtp)
    assert sorted(address for mail in mails for address in mail.to) == LEADS
    assert {mail.subject for mail in mails} == {f"[建环] {checked_in.number}：距结果公示期限还剩 5 个工作日"}
    assert mails[0].body.splitlines()[:3] == [
        f"检查任务 {checked_in.number}（{checked_in.enterprise.name}）的结果须在 2026-11-30 前公示： 还剩 5 个工作日。",
        "该结果尚未审核。",
        "请在结果公示页面公示： https://ssj.jianan.example/publication/",
    ]
    scan(date(2026, 11, 24), django_capture_on_commit_callbacks)  # 4 left: nothing
    assert len(deadline_mails(smtp)) == 3
    scan(date(2026, 11, 27), django_capture_on_commit_callbacks)  # 1 left (Friday)
    scan(date(2026, 11, 28), django_capture_on_commit_callbacks)  # Saturday: still 1 left, already told
    mails = deadline_mails(smtp)[3:]
    assert sorted(address for mail in mails for address in mail.to) == LEADS
    assert {mail.subject for mail in mails} == {f"[建环] {checked_in.number}：距结果公示期限还剩 1 个工作日"}
    scan(date(2026, 12, 1), django_capture_on_commit_callbacks)  # overdue: the daily digest's business, not these
    assert len(deadline_mails(smtp)) == 6


def test_a_published_result_gets_no_deadline_mail(
    inspected, checked_in, bob, frank, addresses, smtp, django_capture_on_commit_callbacks
):
    from inspections.publication import publication_publish

    result = record(checked_in, bob)
    services.result_approve(actor=frank, result=result)
    checked_in.refresh_from_db()
    publication_publish(actor=frank, task=checked_in)
    scan(date(2026, 11, 23), django_capture_on_commit_callbacks)
    assert deadline_mails(smtp) == []


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_an_rq_worker_sends_the_mail(inspected, checked_in, bob, addresses, smtp, settings):
    import django_rq
    from rq import SimpleWorker

    settings.JOBS_INLINE = False
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60}}
    queue = django_rq.get_queue("default")
    queue.empty()
    with transaction.atomic():
        result = record(checked_in, bob)
    job = Job.objects.get(kind="inspections.notify_result_approval")
    assert job.status == JobStatus.PENDING and smtp.mails == []  # handed to the queue, not run inline
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh_from_db()
    assert (job.status, job.result) == (JobStatus.DONE, {"sent": 3})
    assert smtp.recipients() == LEADS
    assert NotificationSent.objects.filter(event=f"result-approval:{result.pk}").count() == 3
