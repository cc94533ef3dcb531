"""Publishing, exempting, the outcome sync and the daily scan (inspections.publication)."""

import re
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from core.errors import DomainError
from core.models import AuditEntry
from core.public_cache import bump_public_version
from enterprises.models import InspectionRecord
from inspections.enums import ExemptionSource, ReminderKind
from inspections.enums import InspectionTaskStatus as S
from inspections.models import Exemption, InspectionResult, Publication, Reminder
from inspections.publication import (
    inspection_records_backfill,
    publication_exempt,
    publication_publish,
    publication_publish_batch,
    publication_scan,
    publications_sync_outcomes,
)
from inspections.services import result_approve, result_change_outcome

pytestmark = pytest.mark.django_db
NOV_23 = "2026-11-23 10:00:00+08:00"


def actions(prefix="publication."):
    return list(AuditEntry.objects.filter(action__startswith=prefix).order_by("id").values_list("action", flat=True))


@time_machine.travel(NOV_23, tick=False)
def test_publish_writes_the_public_row_and_the_audit_entry(make, alice):
    task = make(inspected_on=date(2026, 11, 2))  # deadline 30 Nov 2026
    publication = publication_publish(actor=alice, task=task)
    task.refresh_from_db()
    assert task.status == S.PUBLISHED
    row = Publication.objects.get(task=task)
    assert row.pk == publication.pk
    assert (row.deadline, row.deadline_provisional, row.on_time) == (date(2026, 11, 30), False, True)
    assert (row.published_on, row.published_by, row.published_by_name) == (date(2026, 11, 23), alice, "张组长")
    assert (row.inspected_from, row.inspected_on) == (date(2026, 11, 2), date(2026, 11, 2))
    assert (row.enterprise_name, row.uscc, row.tier) == (
        task.enterprise.name,
        task.enterprise.uscc,
        task.enterprise.tier,
    )
    assert (row.bureau_code, row.year, row.quarter, row.outcome) == ("jianan", 2026, 4, "no_problem")
    assert row.plan_task_number == f"{task.draw.task.plan.number}-{task.draw.task.seq}"
    assert row.items_checked == "污染防治设施运行情况、排污许可制度执行情况"
    assert row.draw_type == "untargeted"
    entry = AuditEntry.objects.get(action="publication.published")
    assert entry.object_id == str(task.pk) and entry.actor == alice
    assert entry.data["before"] == {"status": "result_approved"} and entry.data["after"] == {"status": "published"}
    assert entry.data["deadline"] == "2026-11-30" and entry.data["on_time"] is True


@time_machine.travel("2026-12-02 10:00:00+08:00", tick=False)
def test_publish_after_the_deadline_is_recorded_late(make, alice):
    task = make(inspected_on=date(2026, 11, 2))
    row = publication_publish(actor=alice, task=task)
    assert (row.deadline, row.on_time, row.published_on) == (date(2026, 11, 30), False, date(2026, 12, 2))


def test_publish_again_is_a_no_op(approved_task, alice, frank):
    first = publication_publish(actor=alice, task=approved_task)
    again = publication_publish(actor=frank, task=approved_task)
    assert again.pk == first.pk and again.published_by == alice
    assert Publication.objects.count() == 1
    assert actions() == ["publication.published"]


def test_publish_refused_to_non_leads_and_other_bureaus(approved_task, dave, carol, bob, mallory):
    for user in (dave, carol, bob, mallory):
        with pytest.raises(PermissionDenied):
            publication_publish(actor=user, task=approved_task)
    approved_task.refresh_from_db()
    assert approved_task.status == S.RESULT_APPROVED and Publication.objects.count() == 0 and actions() == []


def test_publish_refuses_an_unapproved_or_confidential_result(make, alice):
    recorded = make(status=S.RESULT_RECORDED)
    with pytest.raises(DomainError, match=recorded.number):
        publication_publish(actor=alice, task=recorded)
    exempt = make(status=S.EXEMPT, confidential_reason="涉及国家秘密")
    with pytest.raises(DomainError):
        publication_publish(actor=alice, task=exempt)
    assert Publication.objects.count() == 0 and actions() == []


def test_batch_publishes_all_with_one_entry_each_and_one_for_the_batch(make, alice):
    tasks = [make(), make(), make()]
    publication_publish(actor=alice, task=tasks[0])
    rows = publication_publish_batch(actor=alice, tasks=tasks)
    assert sorted(r.task_id for r in rows) == sorted(t.pk for t in tasks)
    assert Publication.objects.count() == 3
    assert actions() == ["publication.published"] * 3 + ["publication.batch_published"]
    batch = AuditEntry.objects.get(action="publication.batch_published")
    assert batch.data["count"] == 2 and batch.data["already_published"] == 1
    assert batch.data["tasks"] == sorted([tasks[1].number, tasks[2].number])


def test_batch_is_all_or_nothing(make, alice):
    good, bad = make(), make(status=S.RESULT_RECORDED)
    with pytest.raises(DomainError):
        publication_publish_batch(actor=alice, tasks=[good, bad])
    good.refresh_from_db()
    assert good.status == S.RESULT_APPROVED and Publication.objects.count() == 0 and actions() == []


def test_batch_refuses_an_empty_selection(alice):
    with pytest.raises(DomainError):
        publication_publish_batch(actor=alice, tasks=[])


def test_exempt_records_the_reason_and_never_publishes(approved_task, alice, frank):
    exemption = publication_exempt(actor=alice, task=approved_task, reason="  涉及国家安全  ")
    approved_task.refresh_from_db()
    assert approved_task.status == S.EXEMPT
    assert (exemption.reason, exemption.source, exemption.decided_by) == (
        "涉及国家安全",
        ExemptionSource.PUBLICATION,
        alice,
    )
    again = publication_exempt(actor=frank, task=approved_task, reason="另一个理由")
    assert again.pk == exemption.pk and Exemption.objects.count() == 1
    assert actions() == ["publication.exempted"]
    with pytest.raises(DomainError):
        publication_publish(actor=alice, task=approved_task)
    assert Publication.objects.count() == 0


def test_exempt_needs_a_reason_a_lead_and_an_unpublished_result(make, alice, dave):
    task = make()
    with pytest.raises(DomainError):
        publication_exempt(actor=alice, task=task, reason="   ")
    with pytest.raises(PermissionDenied):
        publication_exempt(actor=dave, task=task, reason="涉密")
    publication_publish(actor=alice, task=task)
    with pytest.raises(DomainError):
        publication_exempt(actor=alice, task=task, reason="涉密")
    assert Exemption.objects.count() == 0


def test_result_approved_as_confidential_records_its_exemption_in_the_same_transaction(make, frank):
    task = make(status=S.RESULT_RECORDED)
    result = result_approve(actor=frank, result=task.result, confidential=True, confidentiality_reason="涉及公共安全")
    task.refresh_from_db()
    exemption = Exemption.objects.get(task=task)
    assert task.status == S.EXEMPT
    assert (exemption.reason, exemption.source, exemption.decided_by, exemption.decided_at) == (
        "涉及公共安全",
        ExemptionSource.RESULT_APPROVAL,
        frank,
        result.approved_at,
    )
    entry = AuditEntry.objects.get(action="inspections.result_exempted")
    assert entry.data["exemption"] == exemption.pk


def test_outcome_change_after_publication_follows_to_the_public_row(make, alice):
    task = make(outcome="pending_follow_up")
    publication_publish(actor=alice, task=task)
    InspectionResult.objects.filter(task=task).update(outcome="no_problem")
    assert publications_sync_outcomes() == 1
    assert publications_sync_outcomes() == 0
    row = Publication.objects.get(task=task)
    assert row.outcome == "no_problem" and row.outcome_updated_at is not None
    entry = AuditEntry.objects.get(action="publication.outcome_updated")
    assert entry.data["before"] == {"outcome": "pending_follow_up"} and entry.data["after"] == {"outcome": "no_problem"}


def test_an_outcome_changed_after_publication_reaches_the_public_row_at_once(
    make, alice, django_capture_on_commit_callbacks
):
    task = make(outcome="pending_follow_up")
    publication_publish(actor=alice, task=task)
    result = InspectionResult.objects.get(task=task)
    before = AuditEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result_change_outcome(actor=alice, result=result, new_outcome="no_problem", reason="监测报告显示达标排放")
    row = Publication.objects.get(task=task)
    assert row.outcome == "no_problem" and row.outcome_updated_at is not None
    entries = list(AuditEntry.objects.order_by("id")[before:].values_list("action", "actor_id"))
    assert entries == [
        ("inspections.outcome_changed", alice.pk),
        ("publication.outcome_updated", alice.pk),
        ("enterprises.inspection_record_changed", alice.pk),  # 未发现问题 now: a clean inspection on the record
    ]
    assert bump_public_version in callbacks  # the public pages show it once committed
    assert publications_sync_outcomes() == 0  # nothing left for the daily scan


@pytest.fixture
def lead_emails(alice, frank):
    alice.email, frank.email = "alice@example.cn", "frank@example.cn"
    alice.save(update_fields=["email"])
    frank.save(update_fields=["email"])


def test_scan_twice_sends_each_reminder_once(make, lead_emails, mallory, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    overdue = make(inspected_on=date(2026, 10, 9))  # deadline 2026-11-06
    soon = make(inspected_on=date(2026, 10, 27), status=S.RESULT_RECORDED)  # deadline 2026-11-24
    make(inspected_on=date(2026, 11, 20))  # deadline 2026-12-18: not yet
    today = date(2026, 11, 23)
    first = publication_scan(today=today)
    assert (first.pending, first.overdue, first.due_soon) == (3, 1, 1)
    assert (first.reminders_created, first.reminders_sent, first.emails, first.bureaus) == (2, 2, 1, ["jianan"])
    second = publication_scan(today=today)
    assert (second.reminders_created, second.reminders_sent, second.emails) == (0, 0, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.cn", "frank@example.cn"]
    assert overdue.number in message.body and soon.number in message.body
    assert sorted(Reminder.objects.values_list("task_id", "kind", "day")) == sorted(
        [(overdue.pk, ReminderKind.OVERDUE, today), (soon.pk, ReminderKind.DUE_SOON, today)]
    )
    assert actions("publication.reminders_sent") == ["publication.reminders_sent"]
    # The next day is a new day: each is reminded again, once.
    assert publication_scan(today=date(2026, 11, 24)).reminders_sent == 2
    assert len(mail.outbox) == 2


def test_a_lead_who_turned_the_daily_summary_off_gets_none_the_others_still_do(make, lead_emails, alice, settings):
    from core.enums import NotificationKind
    from core.notify import notification_preferences_set

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    overdue = make(inspected_on=date(2026, 10, 9))  # deadline 2026-11-06
    every_kind_but_the_summary = [k for k in NotificationKind.values if k != "publication_digest"]
    notification_preferences_set(actor=alice, enabled=every_kind_but_the_summary)
    report = publication_scan(today=date(2026, 11, 23))
    assert (report.reminders_sent, report.emails) == (1, 1)
    assert [m.to for m in mail.outbox] == [["frank@example.cn"]]
    assert overdue.number in mail.outbox[0].body


def test_scan_command_runs_twice_and_prints_what_it_did(make, lead_emails, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make(inspected_on=date(2026, 10, 9))
    call_command("publication_scan", "--date", "2026-11-23")
    out = capsys.readouterr().out
    assert "publication scan 2026-11-23: 1 awaiting publication, 0 due soon, 1 overdue" in out
    assert "reminders: 1 new, 1 sent in 1 email(s) (jianan)" in out
    call_command("publication_scan", "--date", "2026-11-23")
    assert "reminders: 0 new, 0 sent in 0 email(s)" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_scan_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("publication_scan", "--date", "23.11.2026")


@pytest.mark.django_db(transaction=True)
def test_publish_and_exempt_at_once_exactly_one_wins(make, alice, frank):
    import os
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        if os.environ.get("SSJ_REQUIRE_SERVICES"):
            pytest.fail("this test needs PostgreSQL (DATABASE_URL) when SSJ_REQUIRE_SERVICES is set")
        pytest.skip("needs PostgreSQL: SQLite serialises every writer")
    task = make()
    barrier = threading.Barrier(3)
    outcomes = {}

    def run(name, action):
        try:
            barrier.wait(timeout=10)
            action()
            outcomes[name] = "ok"
        except DomainError as exc:
            outcomes[name] = str(exc)
        finally:
            connection.close()

    actions_ = {
        "alice": lambda: publication_publish(actor=alice, task=task),
        "frank": lambda: publication_publish(actor=frank, task=task),
        "exempt": lambda: publication_exempt(actor=frank, task=task, reason="涉密"),
    }
    threads = [threading.Thread(target=run, args=(name, action)) for name, action in actions_.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["alice", "exempt", "frank"]
    task.refresh_from_db()
    published = Publication.objects.filter(task=task).count()
    exempted = Exemption.objects.filter(task=task).count()
    assert published + exempted == 1
    assert task.status == (S.PUBLISHED if published else S.EXEMPT)
    assert AuditEntry.objects.filter(action__in=["publication.published", "publication.exempted"]).count() == 1


# --- the public row as recorded in the audit trail ----------------------------------------------------


def test_each_publication_transition_records_the_row_and_verify_audit_finds_a_raw_update(make, alice, frank):
    task = make(outcome="pending_follow_up")
    publication = publication_publish(actor=alice, task=task)
    result = InspectionResult.objects.get(task=task)
    result_change_outcome(actor=alice, result=result, new_outcome="no_problem", reason="监测报告显示达标排放")
    exempt = publication_exempt(actor=alice, task=make(), reason="涉及国家秘密")
    key = f"inspections.publication:{publication.pk}"
    published, updated = (
        AuditEntry.objects.get(action=action).data["state"][key]
        for action in ("publication.published", "publication.outcome_updated")
    )
    assert published["outcome"] != updated["outcome"] and published["uscc"] == updated["uscc"]
    assert f"inspections.exemption:{exempt.pk}" in AuditEntry.objects.get(action="publication.exempted").data["state"]
    call_command("verify_audit")

    with connection.cursor() as cursor:  # the app's role, behind the services' back
        cursor.execute("UPDATE disclosure_publication SET outcome = 'corrected' WHERE id = %s", [publication.pk])
        cursor.execute("UPDATE disclosure_exemption SET reason = '无' WHERE id = %s", [exempt.pk])
    with pytest.raises(CommandError) as refused:
        call_command("verify_audit")
    updated_entry = AuditEntry.objects.get(action="publication.outcome_updated").pk
    exempted_entry = AuditEntry.objects.get(action="publication.exempted").pk
    assert str(refused.value).splitlines() == [
        f"changed outside the services: disclosure_exemption #{exempt.pk} does not match audit entry "
        f"#{exempted_entry}: fields reason",
        f"changed outside the services: disclosure_publication #{publication.pk} does not match audit entry "
        f"#{updated_entry}: fields outcome",
    ]


# --- refusals in words, the batch's own entry, exemptions recorded at approval, objection marks ----------------


def test_publishing_an_exempt_or_unapproved_result_says_why_in_chinese(make, alice):
    exempt = make(status=S.EXEMPT, confidential_reason="涉及国家秘密")
    with pytest.raises(DomainError) as refused:
        publication_publish(actor=alice, task=exempt)
    assert (
        str(refused.value) == f"{exempt.number}的检查结果不予公开（涉及国家秘密、国家安全或公共安全）：仅记录，不公示。"
    )
    recorded = make(status=S.RESULT_RECORDED)
    with pytest.raises(DomainError) as refused:
        publication_publish(actor=alice, task=recorded)
    assert str(refused.value) == f"只有已审核的检查结果才能公示；{recorded.number}当前状态为“结果已录入”。"


def test_a_batch_is_refused_empty_over_500_or_across_bureaus_with_its_reason(alice):
    from types import SimpleNamespace

    def fakes(n, bureaus=(1,)):  # the checks come before any row is read
        return [SimpleNamespace(pk=i, bureau_id=bureaus[i % len(bureaus)]) for i in range(n)]

    refusals = []
    for tasks in ([], fakes(501), fakes(500, bureaus=(1, 2)), fakes(2, bureaus=(1, 2))):
        with pytest.raises(DomainError) as refused:
            publication_publish_batch(actor=alice, tasks=tasks)
        refusals.append(str(refused.value))
    assert refusals == [
        "请至少选择一条要公示的检查结果。",
        "每次最多公示500条检查结果。",
        "一次批量公示只能包含同一机关的检查结果。",  # 500 is allowed: the next check speaks
        "一次批量公示只能包含同一机关的检查结果。",
    ]


def test_the_batch_entry_names_the_lead_the_bureau_and_the_count(make, alice, bureau):
    tasks = [make(), make()]
    publication_publish_batch(actor=alice, tasks=tasks)
    entry = AuditEntry.objects.get(action="publication.batch_published")
    assert (entry.actor_id, entry.actor_name, entry.bureau_id, entry.object_repr) == (
        alice.pk,
        "张组长",
        bureau.pk,
        "2条检查结果",
    )
    assert (entry.object_type, entry.object_id) == ("", "")


def test_each_task_of_a_batch_is_read_with_its_bureau_enterprise_and_plan_in_one_query(make, alice):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    tasks = [make(), make()]
    with CaptureQueriesContext(db) as queries:
        publication_publish_batch(actor=alice, tasks=tasks)
    alone = [  # SELECTs of one table (on PostgreSQL some SELECTs have no FROM: the audit chain's advisory lock)
        found[1]
        for q in queries
        if q["sql"].startswith("SELECT")
        and " JOIN " not in q["sql"]
        and (found := re.search(r' FROM "(\w+)"', q["sql"]))
    ]
    # the bureau once for the batch; never a task's bureau, enterprise, draw, plan task or plan on its own
    assert alone.count("core_bureau") == 1
    for table in ("enterprises_enterprise", "sampling_draw", "sampling_plantask", "sampling_plan"):
        assert table not in alone, table


def test_an_exemption_recorded_at_approval_keeps_the_approver_and_a_dash_without_reason(make, frank):
    from inspections.publication import exemption_record

    task = make()  # approved by frank
    result = InspectionResult.objects.get(task=task)
    result.confidentiality_reason = ""
    exemption = exemption_record(task=task, result=result, reason="")
    assert (exemption.reason, exemption.source, exemption.decided_by_id, exemption.decided_by_name) == (
        "—",
        ExemptionSource.RESULT_APPROVAL,
        frank.pk,
        frank.first_name,
    )
    assert exemption.decided_at == result.approved_at and exemption.bureau_id == task.bureau_id


def test_marking_an_objection_changes_the_public_row_once_audits_it_and_refreshes_the_public_pages(
    make, alice, bureau, django_capture_on_commit_callbacks
):
    import hashlib

    from core.audit import verify_chain, verify_rows
    from inspections.publication import publication_mark_objection

    task = make()
    unpublished = make()
    publication = publication_publish(actor=alice, task=task)
    before = AuditEntry.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        assert publication_mark_objection(actor="某某化工有限公司", task=task, mark="open") is True
        assert publication_mark_objection(actor=alice, task=task, mark="open") is False  # already so
        assert publication_mark_objection(actor=alice, task=unpublished, mark="open") is False  # no public row
    assert callbacks == [bump_public_version]
    assert Publication.objects.get(pk=publication.pk).objection == "open"
    (entry,) = AuditEntry.objects.order_by("id")[before:]
    assert (entry.action, entry.actor_id, entry.actor_name, entry.bureau_id) == (
        "publication.objection_marked",
        None,
        "某某化工有限公司",
        bureau.pk,
    )
    assert (entry.object_type, entry.object_id) == ("inspections.inspectiontask", str(task.pk))
    key = f"inspections.publication:{publication.pk}"
    assert {name: value for name, value in entry.data.items() if name != "state"} == {
        "before": {"objection": ""},
        "after": {"objection": "open"},
        "publication": publication.pk,
    }
    assert list(entry.data["state"]) == [key]
    # printf '"open"' | sha256sum: the stored row's objection field, as digested
    assert entry.data["state"][key]["objection"] == hashlib.sha256(b'"open"').hexdigest()[:32]
    report = verify_chain()
    assert report.ok and verify_rows(report.states) == []
    with django_capture_on_commit_callbacks() as callbacks:
        assert publication_mark_objection(actor=alice, task=task, mark="corrected") is True
    assert callbacks == [bump_public_version]
    last = AuditEntry.objects.order_by("-id").first()
    assert (last.actor_id, last.data["before"], last.data["after"]) == (
        alice.pk,
        {"objection": "open"},
        {"objection": "corrected"},
    )
    assert Publication.objects.get(pk=publication.pk).objection == "corrected"


def test_exempting_is_refused_in_chinese_without_reason_after_publication_or_before_approval(make, alice):
    task, published, recorded = make(), make(), make(status=S.RESULT_RECORDED)
    publication_publish(actor=alice, task=published)
    refusals = []
    for target, reason in ((task, "   "), (task, None), (published, "涉密"), (recorded, "涉密")):
        with pytest.raises(DomainError) as refused:
            publication_exempt(actor=alice, task=target, reason=reason)
        refusals.append(str(refused.value))
    assert refusals == [
        "请说明理由（涉及国家秘密、国家安全或公共安全）。",
        "请说明理由（涉及国家秘密、国家安全或公共安全）。",
        f"{published.number}已经公示。",
        f"只有已审核的检查结果才能不予公开；{recorded.number}当前状态为“结果已录入”。",
    ]
    assert Exemption.objects.count() == 0


def test_an_exemption_names_its_lead_and_its_entry_the_task_the_states_and_the_reason(make, alice, bureau):
    task = make()
    exemption = publication_exempt(actor=alice, task=task, reason="涉及国家安全")
    assert task.status == S.EXEMPT  # the caller's object follows
    assert (exemption.decided_by_name, exemption.bureau_id) == ("张组长", bureau.pk)
    entry = AuditEntry.objects.get(action="publication.exempted")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.bureau_id) == (
        alice.pk,
        "inspections.inspectiontask",
        str(task.pk),
        bureau.pk,
    )
    assert {k: v for k, v in entry.data.items() if k != "state"} == {
        "before": {"status": "result_approved"},
        "after": {"status": "exempt"},
        "reason": "涉及国家安全",
    }


def test_a_result_marked_confidential_unapproved_or_with_an_exemption_is_not_published(make, alice, frank):
    from django.utils import timezone

    confidential = make(confidential_reason="涉及国家秘密")  # approved, yet marked
    unapproved = make()
    InspectionResult.objects.filter(task=unapproved).update(approved_at=None)
    exempted = make()
    Exemption.objects.create(
        task=exempted,
        bureau_id=exempted.bureau_id,
        reason="涉密",
        source=ExemptionSource.PUBLICATION,
        decided_by=frank,
        decided_by_name="王组长",
        decided_at=timezone.now(),
    )
    for task in (confidential, unapproved, exempted):
        with pytest.raises(DomainError) as refused:
            publication_publish(actor=alice, task=task)
        assert str(refused.value) == f"{task.number}的检查结果已标记为不予公开：仅记录，不公示。"
    assert Publication.objects.count() == 0


def test_publishing_moves_the_callers_task_object_too(approved_task, alice):
    publication_publish(actor=alice, task=approved_task)
    assert approved_task.status == S.PUBLISHED


def test_following_an_outcome_audits_the_task_in_its_bureau_and_ignores_an_unchanged_one(make, alice, bureau):
    from inspections.publication import publication_follow_outcome

    task = make(outcome="pending_follow_up")
    publication = publication_publish(actor=alice, task=task)
    assert publication_follow_outcome(actor=alice, task=task, outcome="pending_follow_up") is False
    assert publication_follow_outcome(actor=alice, task=make(), outcome="no_problem") is False  # not published
    assert publication_follow_outcome(actor=alice, task=task, outcome="no_problem") is True
    entry = AuditEntry.objects.get(action="publication.outcome_updated")
    assert (entry.actor_id, entry.object_id, entry.bureau_id, entry.data["publication"]) == (
        alice.pk,
        str(task.pk),
        bureau.pk,
        publication.pk,
    )


# --- the enterprise's record of its published results (the risk weight's clean-inspection term) ------------


def _kept():
    return list(
        InspectionRecord.objects.order_by("task_id").values_list(
            "task_id", "enterprise_id", "number", "inspected_on", "published_on", "clean"
        )
    )


@time_machine.travel(NOV_23, tick=False)
def test_publishing_puts_the_result_on_the_enterprises_record_once(make, alice, bureau):
    clean, problem = make(inspected_on=date(2026, 11, 2)), make(inspected_on=date(2026, 11, 3), outcome="corrected")
    publication_publish(actor=alice, task=clean)
    publication_publish_batch(actor=alice, tasks=[clean, problem])
    publication_publish(actor=alice, task=problem)  # again: nothing new
    assert _kept() == [
        (clean.pk, clean.enterprise_id, clean.number, date(2026, 11, 2), date(2026, 11, 23), True),
        (problem.pk, problem.enterprise_id, problem.number, date(2026, 11, 3), date(2026, 11, 23), False),
    ]
    entries = AuditEntry.objects.filter(action__startswith="enterprises.inspection_record").order_by("id")
    assert [(e.action, e.actor_id, e.bureau_id, e.object_id, e.data["after"]["task"]) for e in entries] == [
        ("enterprises.inspection_recorded", alice.pk, bureau.pk, str(clean.enterprise_id), clean.pk),
        ("enterprises.inspection_recorded", alice.pk, bureau.pk, str(problem.enterprise_id), problem.pk),
    ]


@time_machine.travel(NOV_23, tick=False)
def test_a_followed_outcome_changes_the_record_and_the_backfill_repairs_one_left_behind(make, alice, other_bureau):
    task = make(outcome="pending_follow_up")
    publication_publish(actor=alice, task=task)
    InspectionResult.objects.filter(task=task).update(outcome="no_problem")
    assert publications_sync_outcomes() == 1
    assert _kept()[0][-1] is True
    changed = AuditEntry.objects.get(action="enterprises.inspection_record_changed")
    assert (changed.actor_name, changed.data["before"], changed.data["after"]) == (
        "publication_scan",
        {"clean": False},
        {"clean": True},
    )
    InspectionRecord.objects.filter(task_id=task.pk).update(clean=False)  # a row left behind
    assert inspection_records_backfill(actor="manage.py backfill_inspection_records", bureau=other_bureau) == []
    assert inspection_records_backfill(actor="manage.py backfill_inspection_records") == [task.pk]
    assert inspection_records_backfill(actor="manage.py backfill_inspection_records") == []
    assert _kept()[0][-1] is True
    assert AuditEntry.objects.filter(action="enterprises.inspection_record_changed").count() == 2
