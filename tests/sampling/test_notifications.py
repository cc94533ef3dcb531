"""Issue 17 item 7: e-mails when a draw waits for a second lead and when inspectors are put on a team, each
sent once per event and person (a job run twice sends nothing new), received by a real SMTP server."""

import pytest

from core.enums import JobStatus, NotificationKind, Role
from core.jobs import run_job
from core.models import Job, NotificationSent
from core.notify import notification_preferences_set
from inspections import substitutions
from inspections.enums import SubstitutionKind
from inspections.models import InspectionTask, TaskMember
from inspectors.models import Inspector
from sampling import draws
from tests.conftest import _member

from .conftest import run_draw

DRAW = "建环抽查〔2026〕1号-1-2026Q1-1"


@pytest.fixture(autouse=True)
def inline_jobs(settings):
    settings.JOBS_INLINE = True
    settings.SITE_URL = "https://ssj.jianan.example"


@pytest.fixture
def addresses(alice, frank, george, bob, henry):
    for user in (alice, frank, george, bob, henry):
        user.email = f"{user.username}@jianan.example"
        user.save(update_fields=["email"])


def run_again(kind: str) -> None:
    """Run the jobs of ``kind`` once more, as RQ's retry or requeue_jobs would after a lost worker."""
    for job in Job.objects.filter(kind=kind):
        Job.objects.filter(pk=job.pk).update(status=JobStatus.PENDING)
        run_job(str(job.pk))


def test_a_drawn_list_mails_the_other_leads_once(county, alice, addresses, smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        draw = run_draw(county, alice)
    assert smtp.recipients() == ["frank@jianan.example", "george@jianan.example"]
    mail = smtp.to("frank@jianan.example")[0]
    assert mail.sender == "ssj@jianan.example"
    assert mail.subject == f"[建环] 抽查 {DRAW} 等待您审核"
    assert mail.body.splitlines()[:3] == [
        f"抽查 {DRAW}（一般和重点排污单位抽查）已由张组长完成摇号，等待另一名组长审核。",
        f"抽中企业：{draw.selected_count} 家。",
        f"请审核（批准或驳回）： https://ssj.jianan.example/draws/{draw.pk}/",
    ]
    run_again("sampling.notify_draw_approval")
    assert len(smtp.mails) == 2
    assert sorted(NotificationSent.objects.values_list("event", "user__username")) == [
        (f"draw-approval:{draw.pk}", "frank"),
        (f"draw-approval:{draw.pk}", "george"),
    ]


def test_a_lead_who_turned_it_off_gets_none(county, alice, frank, addresses, smtp, django_capture_on_commit_callbacks):
    notification_preferences_set(actor=frank, enabled=[NotificationKind.TEAM_ASSIGNED])
    with django_capture_on_commit_callbacks(execute=True):
        run_draw(county, alice)
    assert smtp.recipients() == ["george@jianan.example"]


def test_an_approved_draw_mails_each_inspector_on_a_team_once(
    drawn, frank, addresses, smtp, django_capture_on_commit_callbacks
):
    # Every inspector gets an account with an address, so whoever the draw puts on a team can be told (who
    # that is depends on the pool, whose enterprises the factories make anew each time).
    for inspector in Inspector.objects.filter(bureau=drawn.bureau, user__isnull=True):
        code = inspector.code.lower()
        user = _member(code, drawn.bureau, Role.INSPECTOR, first_name=inspector.name, email=f"{code}@jianan.example")
        Inspector.objects.filter(pk=inspector.pk).update(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        draws.draw_approve(actor=frank, draw=drawn)
    on_teams = sorted(
        set(TaskMember.objects.filter(task__draw=drawn, active=True).values_list("inspector__user__email", flat=True))
    )
    assert len(on_teams) >= 2
    assert smtp.recipients() == on_teams  # each inspector on a team, once, whatever the number of his tasks
    some = TaskMember.objects.filter(task__draw=drawn, active=True).select_related("inspector__user").first()
    address = some.inspector.user.email
    bob_tasks = list(
        InspectionTask.objects.filter(draw=drawn, members__inspector=some.inspector, members__active=True)
        .order_by("number")
        .values_list("number", flat=True)
    )
    mail = smtp.to(address)[0]
    assert mail.subject == f"[建环] 您已被选入 {len(bob_tasks)} 项检查任务的检查组"
    assert mail.body.splitlines()[0] == "许昌市生态环境局建安分局已将您选入以下检查任务的检查组："
    assert [line.split()[1] for line in mail.body.splitlines()[1 : 1 + len(bob_tasks)]] == bob_tasks
    assert "测试" not in mail.body  # no enterprise is named: the list is confidential until the inspection
    run_again("inspections.notify_team")
    assert len(smtp.mails) == len(on_teams)


def test_a_substituted_inspector_is_mailed(approved, alice, frank, addresses, smtp, django_capture_on_commit_callbacks):
    # Every inspector without an account gets one (zf002@…), so whoever replaces the member can be told.
    for inspector in Inspector.objects.filter(bureau=approved.bureau, user__isnull=True):
        code = inspector.code.lower()
        user = _member(code, approved.bureau, Role.INSPECTOR, first_name=inspector.name, email=f"{code}@jianan.example")
        Inspector.objects.filter(pk=inspector.pk).update(user=user)
    task = InspectionTask.objects.filter(draw=approved).order_by("number").first()
    leaving = task.members.filter(active=True).order_by("position").first().inspector
    with django_capture_on_commit_callbacks(execute=True):
        proposal = substitutions.substitution_propose(
            actor=alice,
            task=task,
            kind=SubstitutionKind.INSPECTOR,
            reason_code="illness",
            inspector=leaving,
        )
        sub = substitutions.substitution_approve(actor=frank, request=proposal).substitution
    new = sub.new_inspector
    assert new.pk != leaving.pk
    assert smtp.recipients() == [new.user.email]  # only the new member, once
    mail = smtp.mails[0]
    assert mail.subject == "[建环] 您已被选入 1 项检查任务的检查组"
    assert mail.body.splitlines()[1].split()[:2] == ["-", task.number]
    substitution_job = Job.objects.get(kind="inspections.notify_team", params__has_key="member_ids")
    Job.objects.filter(pk=substitution_job.pk).update(status=JobStatus.PENDING)
    run_job(str(substitution_job.pk))
    assert len(smtp.mails) == 1
