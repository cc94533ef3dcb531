"""E-mails 5 and 1 working days before a follow-up visit is due (issue 17 item 7), to the task's team, each
once: received by a real SMTP server (aiosmtpd on loopback, tests/smtp.py).

The rectification of the ``ordered`` fixture is due on Thursday 2026-10-29 (tests/followup/conftest.py):
5 working days are left on Thursday 10-22 (10-23, 10-26, 10-27, 10-28, 10-29), 1 on Wednesday 10-28.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from core.enums import JobStatus, NotificationKind
from core.jobs import run_job
from core.models import Job
from core.notify import notification_preferences_set
from followup import services
from followup.jobs import visit_deadline_scan

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def inline_jobs(settings):
    settings.JOBS_INLINE = True
    settings.SITE_URL = "https://ssj.jianan.example"


@pytest.fixture
def bob_mailed(bob):
    bob.email = "bob@jianan.example"
    bob.save(update_fields=["email"])
    return bob


def scan(day: date, capture) -> int:
    with (
        time_machine.travel(datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False),
        capture(execute=True),
    ):
        return visit_deadline_scan(day)


def visit_mails(smtp):
    return [mail for mail in smtp.mails if "整改回访" in mail.subject]


def test_visit_mails_5_and_1_working_days_before_to_the_team_once_each(
    ordered, bob_mailed, smtp, django_capture_on_commit_callbacks
):
    number = ordered.number
    assert scan(date(2026, 10, 21), django_capture_on_commit_callbacks) == 0  # 6 working days left
    assert scan(date(2026, 10, 22), django_capture_on_commit_callbacks) == 1  # 5 left
    assert scan(date(2026, 10, 22), django_capture_on_commit_callbacks) == 1  # the scan run twice
    for job in Job.objects.filter(kind="followup.notify_visits"):  # and its job retried
        Job.objects.filter(pk=job.pk).update(status=JobStatus.PENDING)
        run_job(str(job.pk))
    mails = visit_mails(smtp)
    assert [(mail.to, mail.subject) for mail in mails] == [
        (["bob@jianan.example"], f"[建环] {number}：距整改回访期限还剩 5 个工作日")
    ]
    assert mails[0].body.splitlines()[:2] == [
        f"检查任务 {number} 的整改回访须在 2026-10-29 前完成： 还剩 5 个工作日。",
        "请在整改回访页面登记回访情况： https://ssj.jianan.example/followup/",
    ]
    assert scan(date(2026, 10, 23), django_capture_on_commit_callbacks) == 0  # 4 left
    assert scan(date(2026, 10, 28), django_capture_on_commit_callbacks) == 1  # 1 left
    assert [mail.subject for mail in visit_mails(smtp)][1:] == [f"[建环] {number}：距整改回访期限还剩 1 个工作日"]


def test_no_mail_once_the_visit_is_recorded_or_for_whoever_turned_them_off(
    ordered, bob_mailed, smtp, django_capture_on_commit_callbacks
):
    everything_but = [kind for kind in NotificationKind.values if kind != NotificationKind.FOLLOWUP_DEADLINE]
    notification_preferences_set(actor=bob_mailed, enabled=everything_but)
    scan(date(2026, 10, 22), django_capture_on_commit_callbacks)
    assert visit_mails(smtp) == []
    notification_preferences_set(actor=bob_mailed, enabled=NotificationKind.values)
    rectification = ordered.rectification
    with at(date(2026, 10, 27)):
        services.visit_record(
            actor=bob_mailed,
            rectification=rectification,
            visited_on=date(2026, 10, 27),
            rectified=True,
            findings="已整改",
        )
    assert scan(date(2026, 10, 28), django_capture_on_commit_callbacks) == 0
    assert visit_mails(smtp) == []


def test_the_daily_command_submits_them(ordered, bob_mailed, smtp, capsys, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(datetime(2026, 10, 22, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("publication_scan", "--date", "2026-10-22")
    assert "follow-up visit e-mails (5 or 1 working days left): 1 visit(s)" in capsys.readouterr().out
    assert len(visit_mails(smtp)) == 1
