"""Publishing, exempting, the outcome sync and the daily scan (inspections.publication)."""

import re
from datetime import UTC, date

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
from tests.disclosure.conftest import add_result

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


# --- the public row field by field, the queries of a publication and an exemption -----------------------------


def _lone_selects(queries):
    """The tables read by a SELECT of one table (no JOIN): what a missing select_related costs."""
    return [
        found[1]
        for q in queries
        if q["sql"].startswith("SELECT")
        and " JOIN " not in q["sql"]
        and (found := re.search(r' FROM "(\w+)"', q["sql"]))
    ]


@time_machine.travel("2026-11-30 16:00:00+08:00", tick=False)
def test_a_targeted_result_published_on_its_deadline_day_is_on_time_with_every_field_of_its_row(
    alice, frank, bob, bureau, team
):
    from datetime import datetime

    from inspections.models import CheckIn, CheckItem
    from tests.inspections.factories import DrawFactory, make_task

    draw = DrawFactory(  # a draw's conditions are frozen once it is committed (a trigger on PostgreSQL)
        task__plan__bureau=bureau,
        created_by=frank,
        executed_by=frank,
        approved_by=alice,
        conditions={"tags": ["涉重金属"]},
    )
    task = make_task(bureau=bureau, inspectors=team, draw=draw)
    add_result(task, inspected_on=date(2026, 11, 2), outcome="pending_follow_up", approver=frank, recorder=bob)
    # arrived on 31 Oct in Beijing (still 30 Oct in UTC): the row starts on the local day of arrival
    CheckIn.objects.filter(task=task).update(at=datetime(2026, 10, 30, 20, 0, tzinfo=UTC))
    # items in their order (then code), not in the order they were added
    first, second = task.check_items.order_by("pk")
    CheckItem.objects.filter(pk=first.pk).update(order=2, code="SJ-C")
    CheckItem.objects.filter(pk=second.pk).update(order=1, code="SJ-Z")
    third = CheckItem.objects.create(bureau=bureau, code="SJ-B", name="环评及三同时执行情况", order=2)  # before first
    task.check_items.add(third)
    publication = publication_publish(actor=alice, task=task)
    row = Publication.objects.get(task=task)
    assert publication.pk == row.pk
    plan_task = draw.task
    plan = plan_task.plan
    assert {
        "task": row.task_id,
        "draw": row.draw_id,
        "bureau": row.bureau_id,
        "published_at": row.published_at,
        "published_by": row.published_by_id,
        "published_by_name": row.published_by_name,
        "deadline": row.deadline,
        "deadline_provisional": row.deadline_provisional,
        "on_time": row.on_time,
        "published_on": row.published_on,
        "enterprise_name": row.enterprise_name,
        "uscc": row.uscc,
        "tier": row.tier,
        "bureau_code": row.bureau_code,
        "bureau_name": row.bureau_name,
        "plan_number": row.plan_number,
        "plan_name": row.plan_name,
        "plan_task_number": row.plan_task_number,
        "plan_task_name": row.plan_task_name,
        "inspection_number": row.inspection_number,
        "draw_type": row.draw_type,
        "year": row.year,
        "quarter": row.quarter,
        "inspected_from": row.inspected_from,
        "inspected_on": row.inspected_on,
        "items_checked": row.items_checked,
        "outcome": row.outcome,
    } == {
        "task": task.pk,
        "draw": draw.pk,
        "bureau": bureau.pk,
        "published_at": datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        "published_by": alice.pk,
        "published_by_name": "张组长",
        "deadline": date(2026, 11, 30),
        "deadline_provisional": False,
        "on_time": True,
        "published_on": date(2026, 11, 30),
        "enterprise_name": task.enterprise.name,
        "uscc": task.enterprise.uscc,
        "tier": task.enterprise.tier,
        "bureau_code": "jianan",
        "bureau_name": "许昌市生态环境局建安分局",
        "plan_number": f"建环抽查〔2026〕{plan.seq}号",
        "plan_name": "2026年污染源日常环境监管双随机抽查计划",
        "plan_task_number": f"建环抽查〔2026〕{plan.seq}号-{plan_task.seq}",
        "plan_task_name": "重点排污单位日常监管",
        "inspection_number": task.number,
        "draw_type": "targeted",
        "year": 2026,
        "quarter": 4,
        "inspected_from": date(2026, 10, 31),
        "inspected_on": date(2026, 11, 2),
        "items_checked": "排污许可制度执行情况、环评及三同时执行情况、污染防治设施运行情况",
        "outcome": "pending_follow_up",
    }
    entry = AuditEntry.objects.get(action="publication.published")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.bureau_id) == (
        alice.pk,
        "inspections.inspectiontask",
        str(task.pk),
        bureau.pk,
    )
    assert {k: v for k, v in entry.data.items() if k != "state"} == {
        "before": {"status": "result_approved"},
        "after": {"status": "published"},
        "publication": row.pk,
        "outcome": "pending_follow_up",
        "inspected_on": "2026-11-02",
        "deadline": "2026-11-30",
        "deadline_provisional": False,
        "on_time": True,
    }
    assert list(entry.data["state"]) == [f"inspections.publication:{row.pk}"]


def test_a_result_without_a_check_in_starts_on_its_inspection_day(make, alice):
    from inspections.models import CheckIn

    task = make(inspected_on=date(2026, 11, 2))
    CheckIn.objects.filter(task=task).delete()
    other = make(inspected_on=date(2026, 11, 3))  # another task's check-in is not this one's arrival
    CheckIn.objects.filter(task=other).update(at=timezone_aware(date(2026, 10, 1)))
    row = publication_publish(actor=alice, task=task)
    assert (row.inspected_from, row.inspected_on) == (date(2026, 11, 2), date(2026, 11, 2))


def timezone_aware(day):
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time(9)))


def test_a_deadline_in_a_year_without_its_holiday_notice_is_published_as_provisional(make, alice, without_2027):
    task = make(inspected_on=date(2026, 12, 21))  # 20 working days reach into 2027
    row = publication_publish(actor=alice, task=task)
    assert row.deadline_provisional is True and row.deadline.year == 2027
    entry = AuditEntry.objects.get(action="publication.published")
    assert entry.data["deadline_provisional"] is True


def test_publishing_one_result_reads_its_bureau_enterprise_draw_and_plan_with_the_task(make, alice):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    task = make()
    fresh = type(task).objects.get(pk=task.pk)  # nothing cached on the caller's object but what it holds
    with CaptureQueriesContext(db) as queries:
        publication_publish(actor=alice, task=fresh)
    alone = _lone_selects(queries)
    for table in ("enterprises_enterprise", "sampling_draw", "sampling_plantask", "sampling_plan"):
        assert table not in alone, table
    assert alone.count("core_bureau") == 1  # the permission check, on the caller's object; not again


def test_exempting_reads_the_bureau_with_the_locked_task(make, alice):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    task = make()
    fresh = type(task).objects.get(pk=task.pk)
    with CaptureQueriesContext(db) as queries:
        publication_exempt(actor=alice, task=fresh, reason="涉及国家秘密")
    assert _lone_selects(queries).count("core_bureau") == 1  # the permission check only


@time_machine.travel(NOV_23, tick=False)
def test_an_exemption_keeps_a_long_reason_cut_at_4000_characters_and_the_time_it_was_decided(make, alice):
    from datetime import datetime

    task = make()
    exemption = publication_exempt(actor=alice, task=task, reason=" " + "密" * 4001)
    stored = Exemption.objects.get(pk=exemption.pk)
    assert (len(stored.reason), stored.decided_at, stored.decided_by_id) == (
        4000,
        datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        alice.pk,
    )
    assert AuditEntry.objects.get(action="publication.exempted").data["reason"] == "密" * 4000


# --- the daily scan: reminders, the e-mail, deadline notices ------------------------------------------------


def test_the_reminder_email_lists_each_result_in_chinese_by_deadline_then_number_and_records_who_got_it(
    make, lead_emails, bureau, settings
):
    from datetime import datetime

    from django.utils import translation

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "ssj@jianan.example.cn"
    settings.SITE_URL = "https://ssj.example.cn"
    # overdue: deadline 5 Nov (two results, numbered against their order of creation) and 3 Nov
    late_b = make(inspected_on=date(2026, 10, 9), number="JIANAN2026-1-1-Q4-1-0902")
    late_a = make(inspected_on=date(2026, 10, 9), number="JIANAN2026-1-1-Q4-1-0901")
    later = make(
        inspected_on=date(2026, 9, 30), number="JIANAN2026-1-1-Q4-1-0999"
    )  # deadline 2026-11-03 (after the National Day holiday)
    soon = make(inspected_on=date(2026, 10, 27), status=S.RESULT_RECORDED, number="JIANAN2026-1-1-Q4-1-0900")
    today = date(2026, 11, 23)
    # one reminder of the day already recorded (unsent): it goes out with the rest, and is older than late_a's
    Reminder.objects.create(
        task=late_b, bureau=bureau, kind=ReminderKind.OVERDUE, day=today, deadline=date(2026, 11, 5)
    )
    with time_machine.travel("2026-11-23 07:30:00+08:00", tick=False), translation.override("en"):
        report = publication_scan(today=today)  # the e-mail is in the bureau's language whatever is active
    assert (report.reminders_created, report.reminders_sent, report.emails, report.bureaus) == (3, 4, 1, ["jianan"])
    (message,) = mail.outbox
    assert (message.subject, message.from_email, message.to) == (
        "【建环】检查结果公示：3条已逾期，1条即将到期",
        "ssj@jianan.example.cn",
        ["alice@example.cn", "frank@example.cn"],
    )
    name = late_a.enterprise.name, late_b.enterprise.name, later.enterprise.name, soon.enterprise.name
    assert message.body == (
        "许昌市生态环境局建安分局检查结果公示情况（截至2026-11-23）。\n"
        "检查结果应在检查完成后20个工作日内公示。\n"
        "\n"
        "已逾期:\n"
        f"  - {later.number}  {name[2]}  期限 2026-11-03\n"
        f"  - {late_a.number}  {name[0]}  期限 2026-11-05\n"
        f"  - {late_b.number}  {name[1]}  期限 2026-11-05\n"
        "\n"
        "5个工作日内到期:\n"
        f"  - {soon.number}  {name[3]}  期限 2026-11-24  (结果待审核)\n"
        "\n"
        "请在结果公示页面办理： https://ssj.example.cn/publication/\n\n"
    )
    sent_at = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert sorted(Reminder.objects.values_list("task_id", "sent_at", "recipients")) == sorted(
        (task.pk, sent_at, ["alice@example.cn", "frank@example.cn"]) for task in (late_a, late_b, later, soon)
    )
    entry = AuditEntry.objects.get(action="publication.reminders_sent")
    assert (entry.actor_id, entry.actor_name, entry.bureau_id, entry.object_type, entry.object_repr) == (
        None,
        "publication_scan",
        bureau.pk,
        "",
        "Publication reminders 2026-11-23",  # the entry's name is in the language active at the scan
    )
    assert entry.data == {
        "day": "2026-11-23",
        "recipients": ["alice@example.cn", "frank@example.cn"],
        "overdue": [later.number, late_a.number, late_b.number],
        "due_soon": [soon.number],
    }


def test_without_a_lead_address_the_reminders_are_recorded_sent_to_no_one_and_logged(make, bureau, caplog):
    from datetime import datetime

    overdue = make(inspected_on=date(2026, 10, 9))
    with time_machine.travel("2026-11-23 07:30:00+08:00", tick=False), caplog.at_level("WARNING"):
        report = publication_scan(today=date(2026, 11, 23))
    assert (report.reminders_created, report.reminders_sent, report.emails, report.bureaus) == (1, 1, 0, ["jianan"])
    assert mail.outbox == []
    assert list(Reminder.objects.values_list("task_id", "sent_at", "recipients")) == [
        (overdue.pk, datetime(2026, 11, 22, 23, 30, tzinfo=UTC), [])
    ]
    assert [r.getMessage() for r in caplog.records if r.name == "inspections.publication"] == [
        "publication reminders for jianan: no team lead has an email address"
    ]
    entry = AuditEntry.objects.get(action="publication.reminders_sent")
    assert (entry.object_repr, entry.bureau_id) == ("公示提醒 2026-11-23", bureau.pk)
    assert (entry.data["recipients"], entry.data["overdue"], entry.data["due_soon"]) == ([], [overdue.number], [])


def test_sending_reminders_with_none_left_for_the_day_sends_nothing_and_leaves_other_bureaus_alone(
    make, lead_emails, bureau, other_bureau, mallory
):
    from inspections.publication import _send_reminders
    from tests.inspections.factories import DrawFactory, make_task

    make(inspected_on=date(2026, 10, 9))
    publication_scan(today=date(2026, 11, 23))
    elsewhere = make_task(bureau=other_bureau, inspectors=[], draw=DrawFactory(task__plan__bureau=other_bureau))
    add_result(elsewhere, inspected_on=date(2026, 10, 9), approver=mallory, recorder=mallory)
    theirs = Reminder.objects.create(
        task=elsewhere,
        bureau=other_bureau,
        kind=ReminderKind.OVERDUE,
        day=date(2026, 11, 23),
        deadline=date(2026, 11, 5),
    )
    before = AuditEntry.objects.count()
    assert _send_reminders(bureau, date(2026, 11, 23)) == (0, False)  # all of its own sent already
    assert _send_reminders(bureau, date(2026, 11, 24)) == (0, False)  # none for that day
    assert AuditEntry.objects.count() == before and len(mail.outbox) == 1
    theirs.refresh_from_db()
    assert (theirs.sent_at, theirs.recipients) == (None, [])  # another bureau's reminder is its own to send


def test_only_the_bureaus_active_team_leads_with_an_address_and_the_summary_on_are_emailed(
    bureau, other_bureau, alice, frank, bob, mallory
):
    from core.enums import NotificationKind, Role
    from core.models import NotificationOptOut
    from inspections.publication import lead_emails
    from tests.factories import MembershipFactory, UserFactory

    for user, email in ((alice, "alice@example.cn"), (frank, ""), (bob, "bob@example.cn"), (mallory, "m@example.cn")):
        user.email = email
        user.save(update_fields=["email"])
    gone = UserFactory(username="gone", email="gone@example.cn", is_active=False)
    MembershipFactory(user=gone, bureau=bureau, role=Role.TEAM_LEAD)
    quiet = UserFactory(username="quiet", email="quiet@example.cn")
    MembershipFactory(user=quiet, bureau=bureau, role=Role.TEAM_LEAD)
    NotificationOptOut.objects.create(user=quiet, kind=NotificationKind.PUBLICATION_DIGEST)
    other_kind = UserFactory(username="other", email="zoe@example.cn")
    MembershipFactory(user=other_kind, bureau=bureau, role=Role.TEAM_LEAD)
    other_kind_off = next(k for k in NotificationKind.values if k != NotificationKind.PUBLICATION_DIGEST)
    NotificationOptOut.objects.create(user=other_kind, kind=other_kind_off)
    twice = UserFactory(username="twice", email="alice@example.cn")  # the same address twice: listed once
    MembershipFactory(user=twice, bureau=bureau, role=Role.TEAM_LEAD)
    assert lead_emails(bureau) == ["alice@example.cn", "zoe@example.cn"]
    assert lead_emails(other_bureau) == ["m@example.cn"]


def test_pending_tasks_are_the_recorded_or_approved_results_not_yet_published_of_a_bureau_or_all(
    make, alice, bureau, other_bureau, mallory
):
    from inspections.models import InspectionTask
    from inspections.publication import pending_tasks
    from tests.inspections.factories import DrawFactory, make_task

    recorded, approved, published = make(status=S.RESULT_RECORDED), make(), make()
    publication_publish(actor=alice, task=published)
    make(status=S.EXEMPT, confidential_reason="涉密")
    no_result = make()
    InspectionResult.objects.filter(task=no_result).delete()
    InspectionTask.objects.filter(pk=no_result.pk).update(status=S.RESULT_APPROVED)
    elsewhere = make_task(bureau=other_bureau, inspectors=[], draw=DrawFactory(task__plan__bureau=other_bureau))
    add_result(elsewhere, inspected_on=date(2026, 11, 2), status=S.RESULT_RECORDED, recorder=mallory)
    assert sorted(pending_tasks(bureau).values_list("pk", flat=True)) == sorted([recorded.pk, approved.pk])
    assert sorted(pending_tasks().values_list("pk", flat=True)) == sorted([recorded.pk, approved.pk, elsewhere.pk])
    assert sorted(pending_tasks(other_bureau).values_list("pk", flat=True)) == [elsewhere.pk]


def test_the_scan_counts_and_reminds_each_bureau_in_code_order_and_notices_5_and_1_working_days_ahead(
    make, bureau, other_bureau, alice, mallory, caplog, settings
):
    from core.models import Job
    from tests.inspections.factories import DrawFactory, make_task

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.JOBS_INLINE = False  # the notices' job is recorded, not run (no Redis here: it stays pending)
    for user, email in ((alice, "alice@example.cn"), (mallory, "m@example.cn")):
        user.email = email
        user.save(update_fields=["email"])
    today = date(2026, 11, 23)
    # iterated in the order of creation: an open one first, then the rest
    open_ = make(inspected_on=date(2026, 11, 20))  # deadline 2026-12-18: open, 19 working days
    five = make(inspected_on=date(2026, 11, 2))  # deadline 2026-11-30: 5 working days left
    one = make(inspected_on=date(2026, 10, 27))  # deadline 2026-11-24: 1 working day left
    late = [make(inspected_on=date(2026, 10, 9)), make(inspected_on=date(2026, 10, 12))]
    # a bureau whose code sorts first ("yanling" > "jianan": so rename it "aaa")
    other_bureau.code = "aaa"
    other_bureau.save(update_fields=["code"])
    elsewhere = make_task(bureau=other_bureau, inspectors=[], draw=DrawFactory(task__plan__bureau=other_bureau))
    add_result(elsewhere, inspected_on=date(2026, 10, 9), approver=mallory, recorder=mallory)
    # yesterday's reminders do not count as today's
    Reminder.objects.create(
        task=late[0], bureau=bureau, kind=ReminderKind.OVERDUE, day=date(2026, 11, 20), deadline=date(2026, 11, 5)
    )
    with caplog.at_level("INFO"):
        report = publication_scan(today=today)
    assert report.as_dict() == {
        "today": "2026-11-23",
        "pending": 6,
        "due_soon": 2,
        "overdue": 3,
        "reminders_created": 5,
        "reminders_sent": 5,
        "emails": 2,
        "outcomes_updated": 0,
        "deadline_notices": 2,
        "bureaus": ["aaa", "jianan"],
    }
    assert [m.to for m in mail.outbox] == [["m@example.cn"], ["alice@example.cn"]]
    assert sorted(Reminder.objects.filter(day=today).values_list("task_id", "bureau_id", "kind", "deadline")) == sorted(
        [
            (five.pk, bureau.pk, ReminderKind.DUE_SOON, date(2026, 11, 30)),
            (one.pk, bureau.pk, ReminderKind.DUE_SOON, date(2026, 11, 24)),
            (late[0].pk, bureau.pk, ReminderKind.OVERDUE, date(2026, 11, 5)),
            (late[1].pk, bureau.pk, ReminderKind.OVERDUE, date(2026, 11, 9)),
            (elsewhere.pk, other_bureau.pk, ReminderKind.OVERDUE, date(2026, 11, 5)),
        ]
    )
    assert open_.pk not in Reminder.objects.values_list("task_id", flat=True)
    (job,) = Job.objects.all()
    assert (job.kind, job.params) == (
        "inspections.notify_deadlines",
        {"items": sorted([[five.pk, 5, "2026-11-30"], [one.pk, 1, "2026-11-24"]])},
    )
    assert [r.getMessage() for r in caplog.records if r.name == "inspections.publication"] == [
        f"publication scan {report.as_dict()}"
    ]
    again = publication_scan(today=today)
    assert (again.reminders_created, again.reminders_sent, again.emails, again.bureaus) == (0, 0, 0, [])
    # the next working day: each is reminded again, the day's reminders counted apart from the last's
    assert publication_scan(today=date(2026, 11, 24)).reminders_created == 5


def test_the_scan_without_a_date_runs_for_the_local_day_and_follows_outcomes_left_behind(make, alice):
    task = make(outcome="pending_follow_up")
    publication_publish(actor=alice, task=task)
    InspectionResult.objects.filter(task=task).update(outcome="no_problem")
    with time_machine.travel("2026-11-23 23:30:00+08:00", tick=False):  # still 15:30 on the 23rd in UTC
        report = publication_scan()
    assert (report.today, report.outcomes_updated) == (date(2026, 11, 23), 1)
    assert report.as_dict()["today"] == "2026-11-23"


def test_the_reminder_email_reads_each_result_with_its_task_and_enterprise_in_one_query(make, lead_emails, settings):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for _ in range(3):
        make(inspected_on=date(2026, 10, 9))
    with CaptureQueriesContext(db) as queries:
        assert publication_scan(today=date(2026, 11, 23)).reminders_sent == 3
    alone = _lone_selects(queries)
    assert "enterprises_enterprise" not in alone and "inspections_inspectiontask" not in alone


def test_the_sync_follows_every_row_left_behind_as_the_scan_and_reads_nothing_more_when_none_is(
    make, alice, django_assert_num_queries
):
    tasks = [make(outcome="pending_follow_up") for _ in range(3)]
    for task in reversed(tasks):  # the public rows' ids are not their tasks' ids
        publication_publish(actor=alice, task=task)
    InspectionResult.objects.filter(task__in=tasks[:2]).update(outcome="no_problem")
    assert publications_sync_outcomes() == 2
    entries = AuditEntry.objects.filter(action="publication.outcome_updated").order_by("id")
    assert sorted(entries.values_list("object_id", "actor_id", "actor_name")) == sorted(
        (str(task.pk), None, "publication_scan") for task in tasks[:2]
    )
    assert sorted(Publication.objects.values_list("task_id", "outcome")) == sorted(
        [(tasks[0].pk, "no_problem"), (tasks[1].pk, "no_problem"), (tasks[2].pk, "pending_follow_up")]
    )
    with django_assert_num_queries(1):  # the rows left behind: none, and no row up to date is read again
        assert publications_sync_outcomes() == 0


def test_an_outcome_or_objection_entry_is_filed_under_the_bureau_of_the_public_row(make, alice, other_bureau):
    from inspections.publication import publication_follow_outcome, publication_mark_objection

    task = make(outcome="pending_follow_up")
    publication_publish(actor=alice, task=task)
    # the public row names the bureau that published it; the entries follow the row, not the caller's object
    Publication.objects.filter(task=task).update(bureau=other_bureau)
    assert publication_follow_outcome(actor=alice, task=task, outcome="no_problem") is True
    assert publication_mark_objection(actor=alice, task=task, mark="open") is True
    assert sorted(
        AuditEntry.objects.filter(
            action__in=["publication.outcome_updated", "publication.objection_marked"]
        ).values_list("action", "bureau_id")
    ) == [("publication.objection_marked", other_bureau.pk), ("publication.outcome_updated", other_bureau.pk)]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_scan_skips_a_reminder_another_scan_holds_and_is_not_held_by_a_locked_task(
    make, lead_emails, bureau, settings
):
    import os
    import threading

    from django.db import transaction

    from inspections.models import InspectionTask
    from inspections.publication import _send_reminders

    if connection.vendor != "postgresql":
        if os.environ.get("SSJ_REQUIRE_SERVICES"):
            pytest.fail("this test needs PostgreSQL (DATABASE_URL) when SSJ_REQUIRE_SERVICES is set")
        pytest.skip("needs PostgreSQL: SQLite has no row locks")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    today = date(2026, 11, 23)
    task_a, task_b = make(inspected_on=date(2026, 10, 9)), make(inspected_on=date(2026, 10, 9))
    mine, held = (
        Reminder.objects.create(task=t, bureau=bureau, kind=ReminderKind.OVERDUE, day=today, deadline=date(2026, 11, 5))
        for t in (task_a, task_b)
    )
    locked, release = threading.Event(), threading.Event()

    def other_session():  # another scan sending task_b's reminder; a publication of task_a in progress
        try:
            with transaction.atomic():
                list(Reminder.objects.select_for_update().filter(pk=held.pk))
                list(InspectionTask.objects.select_for_update().filter(pk=task_a.pk))
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_session)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # a scan that waited would fail here instead of hanging
        outcome = _send_reminders(bureau, today)
    finally:
        release.set()
        thread.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert outcome == (1, True)
    (message,) = mail.outbox
    assert task_a.number in message.body and task_b.number not in message.body
    mine.refresh_from_db()
    held.refresh_from_db()
    assert mine.sent_at is not None and held.sent_at is None


def test_a_publication_is_dated_by_the_moment_it_is_given_not_by_the_clock(make, alice):
    from datetime import datetime

    from django.db import transaction

    from inspections.publication import _publish_locked
    from inspections.transitions import locked_task

    task = make(inspected_on=date(2026, 11, 2))  # deadline 30 Nov 2026
    moment = datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)  # 23:59:59 on the deadline day in Beijing
    # a batch takes its moment once, before it locks its tasks: the clock may have passed midnight since
    with time_machine.travel("2026-12-01 00:00:30+08:00", tick=False), transaction.atomic():
        locked = locked_task(task, "bureau", "enterprise", "draw__task__plan__bureau")
        row, created = _publish_locked(actor=alice, task=locked, now=moment)
    assert created is True
    assert (row.published_at, row.published_on, row.on_time) == (moment, date(2026, 11, 30), True)


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


@time_machine.travel(NOV_23, tick=False)
def test_the_backfill_of_a_bureau_locks_only_the_rows_out_of_step_and_names_its_actor(make, alice, bureau):
    from django.test.utils import CaptureQueriesContext

    task, other = make(), make()
    publication_publish(actor=alice, task=task)
    publication_publish(actor=alice, task=other)
    InspectionRecord.objects.filter(task_id=task.pk).update(clean=False)  # left behind; the other is in step
    with CaptureQueriesContext(connection) as writing:
        assert inspection_records_backfill(actor="manage.py backfill_inspection_records", bureau=bureau) == [task.pk]
    entry = AuditEntry.objects.filter(action="enterprises.inspection_record_changed").get()
    assert (entry.actor_id, entry.actor_name, entry.object_id, entry.data["after"]) == (
        None,
        "manage.py backfill_inspection_records",
        str(task.enterprise_id),
        {"clean": True},
    )
    # the records and the public rows read once each, then the one task out of step: locked with its
    # enterprise, its public row, its record, the record's change and its audit entry
    tables = [re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', q["sql"]) for q in writing.captured_queries]
    assert [found[1] for found in tables if found] == [
        "enterprises_inspectionrecord",
        "disclosure_publication",
        "sampling_inspectiontask",
        "disclosure_publication",
        "enterprises_inspectionrecord",
        "enterprises_inspectionrecord",
        "core_auditentry",
        "core_auditentry",
    ]
    (locking,) = [q["sql"] for q in writing.captured_queries if q["sql"].startswith('SELECT "sampling_inspectiontask"')]
    assert re.findall(r'JOIN "(\w+)"', locking) == ["enterprises_enterprise"]  # the task with its enterprise alone
    with CaptureQueriesContext(connection) as again:
        assert inspection_records_backfill(actor="manage.py backfill_inspection_records", bureau=bureau) == []
    assert len(again.captured_queries) == 2  # nothing out of step: no task is locked
