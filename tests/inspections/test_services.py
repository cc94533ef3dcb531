from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.audit import verify_chain
from core.models import AuditEntry
from inspections import services
from inspections.codes import code_issue
from inspections.enums import CheckInMethod, FollowUp, InspectionTaskStatus, Outcome, OutcomeChangeKind
from inspections.models import CheckIn, Evaluation, InspectionResult, InspectionTask, ItemFinding, OutcomeChange
from inspections.services import FindingInput, InvalidFields
from tests.factories import InspectorFactory

from .factories import exactly, findings_for, make_task

SHANGHAI = ZoneInfo("Asia/Shanghai")


def actions():
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def status_of(task):
    return InspectionTask.objects.get(pk=task.pk).status


def record(actor, task, **overrides):
    values = {
        "outcome": Outcome.NO_PROBLEM,
        "inspected_on": timezone.localdate(),
        "findings": findings_for(task),
        "summary": "现场检查未发现问题。",
    }
    values.update(overrides)
    return services.result_record(actor=actor, task=task, **values)


# --- check-in ------------------------------------------------------------------------------------------


def test_checkin_confirm_records_arrival_moves_task_and_audits(task):
    with time_machine.travel(datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI), tick=False):
        task.planned_start, task.planned_end = date(2026, 11, 20), date(2026, 12, 10)
        task.save(update_fields=["planned_start", "planned_end"])
        checkin, created = services.checkin_confirm(
            code=enterprise_code(task, "arrival"),
            task=task,
            confirmed_by_name=" 周接待 ",
            ip="10.0.0.9",
            user_agent="Mozilla/5.0",
        )
    assert created is True
    checkin.refresh_from_db()
    assert (checkin.method, checkin.confirmed_by_name, checkin.ip, checkin.user_agent) == (
        CheckInMethod.QR,
        "周接待",
        "10.0.0.9",
        "Mozilla/5.0",
    )
    assert checkin.at == datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
    assert status_of(task) == InspectionTaskStatus.CHECKED_IN
    (entry,) = AuditEntry.objects.all()
    assert entry.action == "inspections.checkin_confirmed"
    assert (entry.object_type, entry.object_id, entry.bureau_id) == (
        "inspections.inspectiontask",
        str(task.pk),
        task.bureau_id,
    )
    assert entry.actor is None
    assert entry.actor_name == f"周接待（{task.enterprise.name}）"
    assert entry.data == {
        "before": "assigned",
        "after": "checked_in",
        "method": "qr",
        "at": "2026-11-23T01:30:00Z",
        "confirmed_by": "周接待",
        "ip": "10.0.0.9",
        "code": "verified",
        "shared_with_team": [],
    }


def test_checkin_confirm_twice_is_a_no_op(task):
    first, created = services.checkin_confirm(
        code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待"
    )
    second, created_again = services.checkin_confirm(
        code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="另一人"
    )
    assert (created, created_again) == (True, False)
    assert second.pk == first.pk and second.confirmed_by_name == "周接待"
    assert CheckIn.objects.count() == 1
    assert actions() == ["inspections.checkin_confirmed"]


def test_checkin_confirm_needs_a_name(task):
    with pytest.raises(InvalidFields) as exc:
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="  ")
    assert set(exc.value.errors) == {"confirmed_by_name"}
    assert status_of(task) == InspectionTaskStatus.ASSIGNED
    assert not CheckIn.objects.exists() and not AuditEntry.objects.exists()


def test_checkin_confirm_refused_on_a_cancelled_task(task):
    InspectionTask.objects.filter(pk=task.pk).update(status=InspectionTaskStatus.CANCELLED)
    with pytest.raises(services.DomainError, match=exactly("该检查任务已取消。")):
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
    assert not CheckIn.objects.exists()


def test_checkin_confirm_refused_before_the_inspection_period(task):
    task.planned_start = timezone.localdate() + timedelta(days=1)
    task.save(update_fields=["planned_start"])
    with pytest.raises(
        services.DomainError, match=exactly(f"检查期自 {task.planned_start.isoformat()} 开始，在此之前不能确认到达。")
    ):
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
    assert status_of(task) == InspectionTaskStatus.ASSIGNED


def test_checkin_confirm_refused_seven_days_after_the_period(task):
    end = task.planned_end
    with time_machine.travel(datetime.combine(end + timedelta(days=7), datetime.min.time(), SHANGHAI), tick=False):
        services.checkin_confirm(
            code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待"
        )  # the 7th day still counts
    other = make_task(bureau=task.bureau, inspectors=[], draw=task.draw, planned_end=end)
    with (
        time_machine.travel(datetime.combine(end + timedelta(days=8), datetime.min.time(), SHANGHAI), tick=False),
        pytest.raises(
            services.DomainError, match=exactly(f"到达确认截止于 {(end + timedelta(days=7)).isoformat()}，已超过期限。")
        ),
    ):
        services.checkin_confirm(code=enterprise_code(other, "arrival"), task=other, confirmed_by_name="周接待")


def test_checkin_confirm_refused_for_a_team_member_logged_in(task, bob):
    with pytest.raises(services.DomainError, match=exactly("检查人员到达由被检查单位确认，不能由检查组成员确认。")):
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="王检查", user=bob)
    assert not CheckIn.objects.exists()


def test_checkin_confirm_loses_to_a_concurrent_change(task, monkeypatch):
    """The status compare-and-swap: a task moved meanwhile (e.g. cancelled by a substitution) is not checked in."""
    original = InspectionTask.objects.filter

    def racing_filter(*args, **kwargs):
        if kwargs.get("status") == InspectionTaskStatus.ASSIGNED and "pk" in kwargs:
            original(pk=task.pk).update(status=InspectionTaskStatus.CANCELLED)
        return original(*args, **kwargs)

    monkeypatch.setattr(InspectionTask.objects, "filter", racing_filter)
    with pytest.raises(services.DomainError, match=exactly("该任务已被他人变更（当前状态：已取消），请刷新页面。")):
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
    monkeypatch.undo()
    assert not CheckIn.objects.exists() and not AuditEntry.objects.exists()


# The paper route (an enterprise without a registered contact): tests/inspections/test_paper.py.


# --- result -------------------------------------------------------------------------------------------


def test_result_record_creates_result_findings_and_audit(checked_in, bob):
    items = list(checked_in.check_items.order_by("order"))
    findings = {
        items[0].pk: FindingInput(True, "", "《环境保护法》第四十二条"),
        items[1].pk: FindingInput(False, "排污许可证未按期延续", "《排污许可管理条例》第十四条"),
    }
    result, changed = services.result_record(
        actor=bob,
        task=checked_in,
        outcome=Outcome.RECTIFICATION_ORDERED,
        inspected_on=timezone.localdate(),
        findings=findings,
        summary="已下达责令整改通知书",
        joint_units="县公安局",
    )
    assert changed is True
    result.refresh_from_db()
    assert (result.outcome, result.summary, result.joint_units, result.recorded_by, result.late) == (
        Outcome.RECTIFICATION_ORDERED,
        "已下达责令整改通知书",
        "县公安局",
        bob,
        False,
    )
    assert result.follow_up == FollowUp.NONE
    rows = {f.check_item_id: (f.compliant, f.finding, f.legal_basis) for f in ItemFinding.objects.filter(result=result)}
    assert rows == {
        items[0].pk: (True, "", "《环境保护法》第四十二条"),
        items[1].pk: (False, "排污许可证未按期延续", "《排污许可管理条例》第十四条"),
    }
    assert status_of(checked_in) == InspectionTaskStatus.RESULT_RECORDED
    entry = AuditEntry.objects.get(action="inspections.result_recorded")
    assert (entry.actor, entry.object_id) == (bob, str(checked_in.pk))
    assert entry.data["before"] == {"status": "checked_in"}
    assert entry.data["after"]["status"] == "result_recorded"
    assert entry.data["after"]["outcome"] == "rectification_ordered"
    assert entry.data["after"]["findings"][str(items[1].pk)] == {
        "compliant": False,
        "finding": "排污许可证未按期延续",
        "legal_basis": "《排污许可管理条例》第十四条",
    }
    assert entry.data["late"] is False and entry.data["result"] == result.pk


def test_result_due_date_counts_seven_working_days_over_national_day(bureau, draw, bob, partner):
    """Inspected Wed 2026-09-30. 10-01..10-07 are the National Day holiday; Sat 10-10 is a make-up working day.
    Working days after: 10-08 (1), 10-09 (2), 10-10 (3), 10-12 (4), 10-13 (5), 10-14 (6), 10-15 (7).
    """
    task = make_task(
        bureau=bureau,
        inspectors=[bob.inspector, partner],
        draw=draw,
        planned_start=date(2026, 9, 28),
        planned_end=date(2026, 10, 20),
    )
    with time_machine.travel(datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI), tick=False):
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
    with time_machine.travel(datetime(2026, 10, 15, 17, 0, tzinfo=SHANGHAI), tick=False):
        result, _ = record(bob, task, inspected_on=date(2026, 9, 30))
    assert (result.due_date, result.due_provisional, result.late) == (date(2026, 10, 15), False, False)


def test_result_recorded_after_the_due_date_is_flagged_late(bureau, draw, bob, partner):
    task = make_task(
        bureau=bureau,
        inspectors=[bob.inspector, partner],
        draw=draw,
        planned_start=date(2026, 9, 28),
        planned_end=date(2026, 10, 20),
    )
    with time_machine.travel(datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI), tick=False):
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
    with time_machine.travel(datetime(2026, 10, 16, 8, 0, tzinfo=SHANGHAI), tick=False):
        result, _ = record(bob, task, inspected_on=date(2026, 9, 30))
    assert (result.due_date, result.late) == (date(2026, 10, 15), True)
    assert AuditEntry.objects.get(action="inspections.result_recorded").data["late"] is True
    assert list(InspectionResult.objects.late()) == [result]


def test_result_due_date_in_an_unloaded_year_is_provisional(bureau, draw, bob, partner, without_2027):
    task = make_task(
        bureau=bureau,
        inspectors=[bob.inspector, partner],
        draw=draw,
        planned_start=date(2026, 12, 20),
        planned_end=date(2026, 12, 31),
    )
    with time_machine.travel(datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI), tick=False):
        services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
        result, _ = record(bob, task, inspected_on=date(2026, 12, 28))
    # 12-29, 12-30, 12-31, then 2027 on weekdays only (its notice is not loaded): 01-01, 01-04, 01-05, 01-06.
    assert (result.due_date, result.due_provisional) == (date(2027, 1, 6), True)


@pytest.mark.parametrize("who", ["alice", "frank", "dave", "carol", "mallory", "erin"])
def test_result_record_refused_to_non_members(request, checked_in, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        record(user, checked_in)
    assert status_of(checked_in) == InspectionTaskStatus.CHECKED_IN
    assert not InspectionResult.objects.exists()


def test_result_record_refused_to_a_replaced_member(checked_in, bob):
    checked_in.members.filter(inspector__user=bob).update(active=False)
    with pytest.raises(PermissionDenied):
        record(bob, checked_in)


def test_result_record_refused_before_arrival(task, bob):
    with pytest.raises(services.DomainError, match=exactly("尚未确认到达被检查单位（请企业扫码）。")):
        record(bob, task)
    assert not InspectionResult.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"outcome": "excellent"}, "outcome"),
        ({"inspected_on": date(2099, 1, 1)}, "inspected_on"),
        ({"inspected_on": date(2020, 1, 1)}, "inspected_on"),  # before the arrival
        ({"confidential": True, "confidentiality_reason": " "}, "confidentiality_reason"),
    ],
)
def test_result_record_refuses_bad_values(checked_in, bob, overrides, field):
    with pytest.raises(InvalidFields) as exc:
        record(bob, checked_in, **overrides)
    assert field in exc.value.errors
    assert not InspectionResult.objects.exists()
    assert status_of(checked_in) == InspectionTaskStatus.CHECKED_IN


def test_result_no_problem_refused_with_a_non_compliant_item(checked_in, bob):
    item = checked_in.check_items.first()
    with pytest.raises(InvalidFields) as exc:
        record(bob, checked_in, findings=findings_for(checked_in, bad_items=[item.pk], finding="废水直排"))
    assert exc.value.errors == {"outcome": "有检查事项不符合，不能选择“未发现问题”。"}


def test_result_problem_outcome_needs_a_non_compliant_item(checked_in, bob):
    with pytest.raises(InvalidFields) as exc:
        record(bob, checked_in, outcome=Outcome.CORRECTED)
    assert set(exc.value.errors) == {"outcome"}


def test_result_non_compliant_item_needs_a_finding(checked_in, bob):
    item = checked_in.check_items.first()
    with pytest.raises(InvalidFields) as exc:
        record(bob, checked_in, outcome=Outcome.CORRECTED, findings=findings_for(checked_in, bad_items=[item.pk]))
    assert set(exc.value.errors) == {f"item-{item.pk}-finding"}


def test_result_every_item_needs_a_finding(checked_in, bob):
    item = checked_in.check_items.first()
    findings = findings_for(checked_in)
    del findings[item.pk]
    with pytest.raises(InvalidFields) as exc:
        record(bob, checked_in, findings=findings)
    assert set(exc.value.errors) == {f"item-{item.pk}-compliant"}


def test_result_uncooperative_needs_no_non_compliant_item(checked_in, bob):
    result, _ = record(bob, checked_in, outcome=Outcome.UNCOOPERATIVE, summary="拒绝检查人员进入")
    assert result.outcome == Outcome.UNCOOPERATIVE


def test_result_resubmitted_unchanged_is_a_no_op(recorded, bob):
    task = recorded.task
    again, changed = record(bob, task)
    assert (again.pk, changed) == (recorded.pk, False)
    assert actions() == ["inspections.checkin_confirmed", "inspections.result_recorded"]


def test_result_edit_before_approval_is_audited_with_before_and_after(recorded, bob):
    task = recorded.task
    item = task.check_items.order_by("order").first()
    result, changed = record(
        bob,
        task,
        outcome=Outcome.PENDING_FOLLOW_UP,
        findings=findings_for(task, bad_items=[item.pk], finding="疑似超标排放，待监测报告"),
    )
    assert changed is True
    assert (result.outcome, result.follow_up) == (Outcome.PENDING_FOLLOW_UP, FollowUp.OPEN)
    assert ItemFinding.objects.get(result=result, check_item=item).finding == "疑似超标排放，待监测报告"
    entry = AuditEntry.objects.get(action="inspections.result_edited")
    assert entry.data["before"] == {
        "outcome": "no_problem",
        "findings": {str(item.pk): {"compliant": True, "finding": "", "legal_basis": item.legal_basis}},
    }
    assert entry.data["after"] == {
        "outcome": "pending_follow_up",
        "findings": {
            str(item.pk): {"compliant": False, "finding": "疑似超标排放，待监测报告", "legal_basis": item.legal_basis}
        },
    }
    assert status_of(task) == InspectionTaskStatus.RESULT_RECORDED


def test_result_edit_refused_after_approval(approved, bob):
    with pytest.raises(services.DomainError, match=exactly("检查结果已审核通过，不能再修改。")):
        record(bob, approved.task, summary="改")
    assert InspectionResult.objects.get().summary == "现场检查未发现问题。"


# --- approval -------------------------------------------------------------------------------------------


def test_result_approve_by_a_lead_not_on_the_team(recorded, frank):
    result = services.result_approve(actor=frank, result=recorded)
    assert (result.approved_by, result.approved_by_name) == (frank, "李组长")
    assert result.approved_at is not None
    assert status_of(recorded.task) == InspectionTaskStatus.RESULT_APPROVED
    entry = AuditEntry.objects.get(action="inspections.result_approved")
    assert entry.actor == frank
    assert entry.data == {
        "before": {"status": "result_recorded", "confidential": False, "confidentiality_reason": ""},
        "after": {"status": "result_approved", "confidential": False, "confidentiality_reason": ""},
        "result": recorded.pk,
        "outcome": "no_problem",
    }
    assert list(InspectionResult.objects.publishable()) == [recorded]


def test_result_approve_twice_by_the_same_lead_is_a_no_op(recorded, frank):
    first = services.result_approve(actor=frank, result=recorded)
    second = services.result_approve(actor=frank, result=recorded)
    assert second.approved_at == first.approved_at
    assert actions().count("inspections.result_approved") == 1


def test_result_approve_second_lead_is_refused(recorded, frank, alice):
    services.result_approve(actor=frank, result=recorded)
    with pytest.raises(services.DomainError, match=exactly("该结果已由 李组长 审核通过。")):
        services.result_approve(actor=alice, result=recorded)
    assert InspectionResult.objects.get().approved_by == frank


@pytest.mark.parametrize("who", ["bob", "dave", "carol", "erin", "mallory"])
def test_result_approve_refused_to_other_roles(request, recorded, who):
    with pytest.raises(PermissionDenied):
        services.result_approve(actor=request.getfixturevalue(who), result=recorded)
    assert status_of(recorded.task) == InspectionTaskStatus.RESULT_RECORDED


def test_result_approve_refused_to_a_lead_on_the_team(bureau, draw, bob, alice):
    InspectorFactory(bureau=bureau, code="ZF009", name="张组长", user=alice)
    task = make_task(bureau=bureau, inspectors=[bob.inspector, alice.inspector], draw=draw)
    services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
    result, _ = record(bob, task)
    with pytest.raises(services.DomainError, match=exactly("您是本次检查组成员，须由其他组长审核检查结果。")):
        services.result_approve(actor=alice, result=result)


def test_result_approve_refused_on_a_task_moved_meanwhile(recorded, frank):
    InspectionTask.objects.filter(pk=recorded.task_id).update(status=InspectionTaskStatus.CANCELLED)
    with pytest.raises(services.DomainError, match=exactly("该检查任务已取消。")):
        services.result_approve(actor=frank, result=recorded)
    assert InspectionResult.objects.get().approved_at is None


def test_confidential_result_is_exempt_with_its_reason(checked_in, bob, frank):
    result, _ = record(bob, checked_in, confidential=True, confidentiality_reason="涉及军工企业，属国家秘密")
    services.result_approve(actor=frank, result=result)
    result.refresh_from_db()
    assert (result.confidential, result.confidentiality_reason) == (True, "涉及军工企业，属国家秘密")
    assert status_of(checked_in) == InspectionTaskStatus.EXEMPT
    entry = AuditEntry.objects.get(action="inspections.result_exempted")
    assert entry.data["after"] == {
        "status": "exempt",
        "confidential": True,
        "confidentiality_reason": "涉及军工企业，属国家秘密",
    }
    assert not InspectionResult.objects.publishable().exists()


def test_lead_marks_confidential_at_approval_only_with_a_reason(recorded, frank):
    with pytest.raises(InvalidFields) as exc:
        services.result_approve(actor=frank, result=recorded, confidential=True, confidentiality_reason="")
    assert set(exc.value.errors) == {"confidentiality_reason"}
    assert status_of(recorded.task) == InspectionTaskStatus.RESULT_RECORDED
    services.result_approve(actor=frank, result=recorded, confidential=True, confidentiality_reason="涉及公共安全")
    assert status_of(recorded.task) == InspectionTaskStatus.EXEMPT
    assert InspectionResult.objects.get().confidentiality_reason == "涉及公共安全"


# --- outcome change (待后续处理) ------------------------------------------------------------------------------


@pytest.fixture
def pending(checked_in, bob, frank):
    item = checked_in.check_items.first()
    result, _ = record(
        bob,
        checked_in,
        outcome=Outcome.PENDING_FOLLOW_UP,
        findings=findings_for(checked_in, bad_items=[item.pk], finding="疑似超标排放，待监测报告"),
    )
    return services.result_approve(actor=frank, result=result)


def test_pending_result_becomes_no_problem_with_reason(pending, alice):
    change = services.result_change_outcome(
        actor=alice, result=pending, new_outcome=Outcome.NO_PROBLEM, reason="监测报告显示达标排放"
    )
    pending.refresh_from_db()
    assert (pending.outcome, pending.follow_up, pending.case_number) == (Outcome.NO_PROBLEM, FollowUp.NO_VIOLATION, "")
    assert (change.kind, change.old_outcome, change.new_outcome, change.reason, change.actor) == (
        OutcomeChangeKind.CHANGED,
        Outcome.PENDING_FOLLOW_UP,
        Outcome.NO_PROBLEM,
        "监测报告显示达标排放",
        alice,
    )
    entry = AuditEntry.objects.get(action="inspections.outcome_changed")
    assert entry.data["before"] == {"outcome": "pending_follow_up", "follow_up": "open", "case_number": ""}
    assert entry.data["after"] == {"outcome": "no_problem", "follow_up": "no_violation", "case_number": ""}
    assert entry.data["reason"] == "监测报告显示达标排放"


def test_pending_result_stays_when_a_case_is_filed(pending, bob):
    change = services.result_change_outcome(
        actor=bob,
        result=pending,
        new_outcome=Outcome.PENDING_FOLLOW_UP,
        reason="经监测确认超标，已立案",
        case_number="建环罚〔2026〕12号",
    )
    pending.refresh_from_db()
    assert (pending.outcome, pending.follow_up, pending.case_number) == (
        Outcome.PENDING_FOLLOW_UP,
        FollowUp.CASE_FILED,
        "建环罚〔2026〕12号",
    )
    assert (change.kind, change.case_number) == (OutcomeChangeKind.CONFIRMED, "建环罚〔2026〕12号")
    assert AuditEntry.objects.filter(action="inspections.outcome_confirmed").count() == 1


def test_pending_kept_needs_the_case_number(pending, alice):
    with pytest.raises(InvalidFields) as exc:
        services.result_change_outcome(
            actor=alice, result=pending, new_outcome=Outcome.PENDING_FOLLOW_UP, reason="已立案"
        )
    assert set(exc.value.errors) == {"case_number"}
    assert not OutcomeChange.objects.exists()


@pytest.mark.parametrize("target", [Outcome.CASE_FILED, Outcome.CORRECTED, Outcome.INFO_NOT_DISCLOSED])
def test_pending_cannot_become_another_category(pending, alice, target):
    with pytest.raises(InvalidFields) as exc:
        services.result_change_outcome(actor=alice, result=pending, new_outcome=target, reason="x", case_number="1")
    assert set(exc.value.errors) == {"new_outcome"}
    assert InspectionResult.objects.get().outcome == Outcome.PENDING_FOLLOW_UP


def test_outcome_change_needs_a_reason(pending, alice):
    with pytest.raises(InvalidFields) as exc:
        services.result_change_outcome(actor=alice, result=pending, new_outcome=Outcome.NO_PROBLEM, reason=" ")
    assert set(exc.value.errors) == {"reason"}


def test_outcome_change_repeated_is_a_no_op_and_a_different_one_refused(pending, alice):
    first = services.result_change_outcome(
        actor=alice, result=pending, new_outcome=Outcome.NO_PROBLEM, reason="监测达标"
    )
    again = services.result_change_outcome(
        actor=alice, result=pending, new_outcome=Outcome.NO_PROBLEM, reason="监测达标"
    )
    assert again.pk == first.pk
    with pytest.raises(services.DomainError, match=exactly("该结果的后续处理已经办结。")):
        services.result_change_outcome(
            actor=alice, result=pending, new_outcome=Outcome.PENDING_FOLLOW_UP, reason="x", case_number="1"
        )
    assert OutcomeChange.objects.count() == 1
    assert actions().count("inspections.outcome_changed") == 1


def test_outcome_change_only_from_pending(approved, alice):
    with pytest.raises(services.DomainError, match=exactly("审核通过后，只有“发现问题待后续处理”的结果可以变更。")):
        services.result_change_outcome(actor=alice, result=approved, new_outcome=Outcome.NO_PROBLEM, reason="x")


def test_outcome_change_only_after_approval(checked_in, bob, alice):
    item = checked_in.check_items.first()
    result, _ = record(
        bob,
        checked_in,
        outcome=Outcome.PENDING_FOLLOW_UP,
        findings=findings_for(checked_in, bad_items=[item.pk], finding="待监测"),
    )
    with pytest.raises(services.DomainError, match=exactly("检查结果尚未审核，检查组仍可直接修改。")):
        services.result_change_outcome(actor=alice, result=result, new_outcome=Outcome.NO_PROBLEM, reason="x")


@pytest.mark.parametrize("who", ["dave", "carol", "mallory"])
def test_outcome_change_refused_to_other_roles(request, pending, who):
    with pytest.raises(PermissionDenied):
        services.result_change_outcome(
            actor=request.getfixturevalue(who), result=pending, new_outcome=Outcome.NO_PROBLEM, reason="x"
        )
    assert not OutcomeChange.objects.exists()


# --- evaluation -------------------------------------------------------------------------------------------


def test_evaluation_after_approval_once(approved):
    task = approved.task
    evaluation, created = services.evaluation_submit(
        code=enterprise_code(task, "evaluation"), task=task, rating=4, comment=" 检查规范，态度好 ", ip="10.1.1.1"
    )
    assert created is True
    assert (evaluation.rating, evaluation.comment, evaluation.ip) == (4, "检查规范，态度好", "10.1.1.1")
    again, created_again = services.evaluation_submit(
        code=enterprise_code(task, "evaluation"), task=task, rating=1, comment="改主意了"
    )
    assert (again.pk, again.rating, created_again) == (evaluation.pk, 4, False)
    assert Evaluation.objects.count() == 1
    (entry,) = AuditEntry.objects.filter(action="inspections.evaluation_submitted")
    assert entry.actor is None and entry.actor_name == task.enterprise.name
    assert entry.data == {
        "evaluation": evaluation.pk,
        "rating": 4,
        "comment": "检查规范，态度好",
        "ip": "10.1.1.1",
        "code": "verified",
        "shared_with_team": [],
    }


def test_evaluation_refused_before_approval(recorded):
    with pytest.raises(services.DomainError, match=exactly("检查结果审核通过后才能评价。")):
        services.evaluation_submit(code=enterprise_code(recorded.task, "evaluation"), task=recorded.task, rating=5)
    assert not Evaluation.objects.exists()


def test_evaluation_allowed_on_an_exempt_task(checked_in, bob, frank):
    result, _ = record(bob, checked_in, confidential=True, confidentiality_reason="涉及国家秘密")
    services.result_approve(actor=frank, result=result)
    _evaluation, created = services.evaluation_submit(
        code=enterprise_code(checked_in, "evaluation"), task=checked_in, rating=5
    )
    assert created is True


@pytest.mark.parametrize("rating", [0, 6, "x", None])
def test_evaluation_rating_must_be_1_to_5(approved, rating):
    with pytest.raises(InvalidFields) as exc:
        services.evaluation_submit(code=enterprise_code(approved.task, "evaluation"), task=approved.task, rating=rating)
    assert set(exc.value.errors) == {"rating"}


def test_evaluation_comment_at_most_1000_characters(approved):
    with pytest.raises(InvalidFields) as exc:
        services.evaluation_submit(
            code=enterprise_code(approved.task, "evaluation"), task=approved.task, rating=3, comment="好" * 1001
        )
    assert set(exc.value.errors) == {"comment"}


# --- the whole loop ---------------------------------------------------------------------------------------


def test_closed_loop_writes_each_step_to_an_intact_audit_chain(task, bob, frank):
    services.checkin_confirm(code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待")
    result, _ = record(bob, task)
    services.result_approve(actor=frank, result=result)
    services.evaluation_submit(code=enterprise_code(task, "evaluation"), task=task, rating=5)
    assert actions() == [
        "inspections.checkin_confirmed",
        "inspections.result_recorded",
        "inspections.result_approved",
        "inspections.evaluation_submitted",
    ]
    assert verify_chain().ok


def enterprise_code(task, purpose):
    """A one-time code for ``task`` as if sent to the enterprise (issue 13 item 2)."""
    return code_issue(task=task, purpose=purpose)
