"""The follow-up services: the rectification deadline in working days, the visit, the case and the transfer
state machines with every refusal, and the result corrected through them (seed 002 (五))."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.audit import verify_chain, verify_rows
from core.errors import DomainError
from core.models import AuditEntry
from followup import services
from followup.enums import CaseOrigin, CaseStatus, Conclusion, RectificationStatus, TransferStatus
from followup.models import Case, Rectification, Transfer
from inspections.enums import FollowUp, Outcome
from inspections.models import Publication
from inspections.services import InvalidFields
from tests.inspections.factories import exactly

from .conftest import INSPECTED, at, inspect, result_of


def fields_of(excinfo) -> dict:
    return excinfo.value.errors


# --- the rectification order and its deadline ---------------------------------------------------------


def test_approval_orders_rectification_20_working_days_over_national_day(ordered):
    r = Rectification.objects.get(task=ordered)
    assert (r.status, r.ordered_on, r.working_days) == ("open", INSPECTED, 20)
    assert r.deadline == date(2026, 10, 29)
    assert r.due_soon_from == date(2026, 10, 22)
    assert r.deadline_provisional is False
    entry = AuditEntry.objects.filter(action="followup.rectification_ordered").get()
    assert entry.data["deadline"] == "2026-10-29"


def test_bureau_setting_of_10_working_days_counts_the_makeup_saturday(bureau, erin, draw, bob, partner, frank):
    services.policy_update(actor=erin, bureau=bureau, rectification_working_days=10)
    task = inspect(bureau, [bob.inspector, partner], draw, outcome="info_not_disclosed", approver=frank)
    r = Rectification.objects.get(task=task)
    # 09-28, 09-29, 09-30, 10-08, 10-09, 10-10 (Saturday, worked), 10-12, 10-13, 10-14, 10-15.
    assert (r.working_days, r.deadline) == (10, date(2026, 10, 15))
    # (10-09, 10-15] holds 10-10, 10-12, 10-13, 10-14, 10-15.
    assert r.due_soon_from == date(2026, 10, 9)


@pytest.mark.parametrize("outcome", ["no_problem", "corrected"])
def test_no_rectification_without_a_problem_to_rectify(bureau, draw, bob, partner, frank, outcome):
    task = inspect(bureau, [bob.inspector, partner], draw, outcome=outcome, approver=frank)
    assert not Rectification.objects.filter(task=task).exists()


def test_policy_refusals(bureau, erin, alice, mallory):
    with pytest.raises(PermissionDenied):
        services.policy_update(actor=alice, bureau=bureau, rectification_working_days=10)
    with pytest.raises(PermissionDenied):
        services.policy_update(actor=mallory, bureau=bureau, rectification_working_days=10)
    with pytest.raises(InvalidFields) as excinfo:
        services.policy_update(actor=erin, bureau=bureau, rectification_working_days=0, authority_uscc="123")
    assert set(fields_of(excinfo)) == {"rectification_working_days", "authority_uscc"}
    assert services.rectification_working_days(bureau) == 20


# --- the visit ------------------------------------------------------------------------------------------


def test_visit_rectified(ordered, bob):
    r = Rectification.objects.get(task=ordered)
    with at(date(2026, 10, 27)):
        services.visit_record(
            actor=bob, rectification=r, rectified=True, visited_on=date(2026, 10, 27), findings="设施已恢复运行"
        )
        again = services.visit_record(
            actor=bob, rectification=r, rectified=True, visited_on=date(2026, 10, 27), findings="设施已恢复运行"
        )
    r.refresh_from_db()
    assert (r.status, r.visited_on, r.visited_by_name, again.pk) == ("rectified", date(2026, 10, 27), "王检查", r.pk)
    assert not Case.objects.filter(task=ordered).exists()
    assert AuditEntry.objects.filter(action="followup.visit_recorded").count() == 1
    with at(date(2026, 10, 28)), pytest.raises(DomainError, match=exactly("整改回访已记录。")):
        services.visit_record(
            actor=bob, rectification=r, rectified=False, visited_on=date(2026, 10, 28), findings="未整改"
        )


def test_visit_not_rectified_opens_a_case(ordered, bob):
    r = Rectification.objects.get(task=ordered)
    with at(date(2026, 11, 2)):
        services.visit_record(
            actor=bob, rectification=r, rectified=False, visited_on=date(2026, 11, 2), findings="设施仍未运行"
        )
    case = Case.objects.get(task=ordered)
    assert (case.status, case.origin, case.opened_by_name) == (CaseStatus.OPENED, CaseOrigin.VISIT, "王检查")
    entry = AuditEntry.objects.filter(action="followup.visit_recorded").get()
    assert (entry.data["late"], entry.data["case"]) == (True, case.pk)


def test_visit_refusals(ordered, bob, hank, dave, carol, mallory):
    r = Rectification.objects.get(task=ordered)
    with at(date(2026, 10, 27)):
        for user in (hank, dave, carol, mallory):
            with pytest.raises(PermissionDenied):
                services.visit_record(
                    actor=user, rectification=r, rectified=True, visited_on=date(2026, 10, 27), findings="x"
                )
        with pytest.raises(InvalidFields) as excinfo:
            services.visit_record(actor=bob, rectification=r, rectified=True, visited_on=date(2026, 9, 24), findings="")
        assert fields_of(excinfo) == {
            "visited_on": "日期不能早于检查日期（2026-09-25）。",
            "findings": "请填写回访发现。",
        }
        with pytest.raises(InvalidFields) as excinfo:
            services.visit_record(
                actor=bob, rectification=r, rectified=True, visited_on=date(2026, 10, 28), findings="x"
            )
        assert fields_of(excinfo) == {"visited_on": "日期不能晚于今天。"}
    r.refresh_from_db()
    assert r.status == RectificationStatus.OPEN


# --- the case -------------------------------------------------------------------------------------------


def _file(case, alice, number="建环罚立〔2026〕12号", filed_on=date(2026, 11, 3)):
    return services.case_file(
        actor=alice,
        case=case,
        case_number=number,
        filed_on=filed_on,
        legal_basis="《中华人民共和国大气污染防治法》第一百零八条",
        violation_type="污染防治设施未正常运行",
        violation_facts="2026年9月25日检查发现废气处理设施未运行。",
    )


def _decide(case, alice, fine="50000.00", decided_on=date(2026, 11, 20)):
    return services.case_decide(
        actor=alice,
        case=case,
        decision_number="建环罚〔2026〕8号",
        decided_on=decided_on,
        penalty_category="fine",
        penalty_content="罚款人民币伍万元整",
        fine=fine,
    )


def test_case_from_result_filed_decided_closed(ordered, alice):
    with at(date(2026, 12, 1)):
        case = services.case_open(actor=alice, task=ordered)
        assert services.case_open(actor=alice, task=ordered).pk == case.pk  # a repeat is a no-op
        _file(case, alice)
        assert _file(case, alice).status == CaseStatus.FILED  # a repeat is a no-op
        _decide(case, alice)
        services.case_close(actor=alice, case=case, closed_on=date(2026, 11, 30), conclusion="violation")
    case.refresh_from_db()
    assert (case.status, case.origin, case.case_number, case.fine, case.closed_on, case.conclusion) == (
        "closed",
        "result",
        "建环罚立〔2026〕12号",
        Decimal("50000.00"),
        date(2026, 11, 30),
        "violation",
    )
    actions = list(
        AuditEntry.objects.filter(action__startswith="followup.case").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["followup.case_opened", "followup.case_filed", "followup.case_decided", "followup.case_closed"]
    assert result_of(ordered).outcome == Outcome.RECTIFICATION_ORDERED  # not a 待后续处理 result: unchanged


def test_case_refusals(ordered, alice, bob, dave, mallory):
    with at(date(2026, 12, 1)):
        for user in (bob, dave, mallory):
            with pytest.raises(PermissionDenied):
                services.case_open(actor=user, task=ordered)
        case = services.case_open(actor=alice, task=ordered)
        with pytest.raises(DomainError, match=exactly("请先立案。")):
            _decide(case, alice)
        with pytest.raises(DomainError, match=exactly("请先立案。")):
            services.case_close(actor=alice, case=case, closed_on=date(2026, 11, 30), conclusion="violation")
        with pytest.raises(InvalidFields) as excinfo:
            _file(case, alice, number="", filed_on=date(2026, 9, 24))
        assert fields_of(excinfo) == {
            "case_number": "请填写案件编号。",
            "filed_on": "日期不能早于检查日期（2026-09-25）。",
        }
        _file(case, alice)
        with pytest.raises(PermissionDenied):
            _decide(case, bob)
        with pytest.raises(InvalidFields) as excinfo:
            _decide(case, alice, fine="-1", decided_on=date(2026, 11, 2))
        assert fields_of(excinfo) == {
            "fine": "金额不能小于零。",
            "decided_on": "日期不能早于立案日期（2026-11-03）。",
        }
        _decide(case, alice)
        with pytest.raises(InvalidFields) as excinfo:
            services.case_close(
                actor=alice, case=case, closed_on=date(2026, 11, 19), conclusion="no_violation", reason=""
            )
        assert fields_of(excinfo) == {
            "closed_on": "日期不能早于处罚决定日期（2026-11-20）。",
            "conclusion": "已作出处罚决定，案件已确认存在违法行为。",
            "reason": "请填写理由（调查结论）。",
        }
    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED


def test_no_case_for_a_result_without_problem(bureau, draw, bob, partner, frank, alice):
    task = inspect(bureau, [bob.inspector, partner], draw, outcome="no_problem", approver=frank)
    with pytest.raises(DomainError, match=exactly("该检查结果未发现问题，无需立案或移交。")):
        services.case_open(actor=alice, task=task)


def test_pending_result_case_finds_no_violation_corrects_result_and_public_row(pending, alice):
    publication = Publication.objects.get(task=pending)
    assert publication.outcome == Outcome.PENDING_FOLLOW_UP
    with at(date(2026, 11, 10)):
        case = services.case_open(actor=alice, task=pending)
        _file(case, alice)
        services.case_close(
            actor=alice, case=case, closed_on=date(2026, 11, 10), conclusion="no_violation", reason="调查后未发现违法"
        )
    result = result_of(pending)
    publication.refresh_from_db()
    assert (result.outcome, result.follow_up) == (Outcome.NO_PROBLEM, FollowUp.NO_VIOLATION)
    assert publication.outcome == Outcome.NO_PROBLEM
    change = result.outcome_changes.get()
    assert (change.kind, change.source, change.old_outcome, change.new_outcome, change.reason) == (
        "corrected",
        "case",
        "pending_follow_up",
        "no_problem",
        "调查后未发现违法",
    )
    report = verify_chain()
    assert report.ok
    assert verify_rows(report.states) == []


def test_pending_result_case_with_violation_keeps_the_outcome(pending, alice):
    with at(date(2026, 11, 25)):
        case = services.case_open(actor=alice, task=pending)
        _file(case, alice)
        _decide(case, alice)
        services.case_close(actor=alice, case=case, closed_on=date(2026, 11, 25), conclusion="violation")
    result = result_of(pending)
    assert (result.outcome, result.follow_up, result.case_number) == (
        Outcome.PENDING_FOLLOW_UP,
        FollowUp.CASE_FILED,
        "建环罚立〔2026〕12号",
    )
    assert Publication.objects.get(task=pending).outcome == Outcome.PENDING_FOLLOW_UP


# --- the transfer ---------------------------------------------------------------------------------------


def test_transfer_sent_received_concluded_without_violation(pending, alice):
    with at(date(2026, 11, 20)):
        transfer = services.transfer_send(
            actor=alice,
            task=pending,
            department="许昌市公安局建安分局",
            transferred_on=date(2026, 10, 9),
            reason="涉嫌犯罪",
        )
        services.transfer_receive(
            actor=alice,
            transfer=transfer,
            receipt_number="建公受〔2026〕33号",
            received_by_name="刘警官",
            received_on=date(2026, 10, 12),
        )
        services.transfer_close(
            actor=alice, transfer=transfer, concluded_on=date(2026, 11, 20), conclusion="no_violation", note="不予立案"
        )
    transfer.refresh_from_db()
    assert (transfer.status, transfer.receipt_number, transfer.conclusion) == (
        TransferStatus.CLOSED,
        "建公受〔2026〕33号",
        Conclusion.NO_VIOLATION,
    )
    assert result_of(pending).outcome == Outcome.NO_PROBLEM
    assert result_of(pending).outcome_changes.get().source == "transfer"
    assert Publication.objects.get(task=pending).outcome == Outcome.NO_PROBLEM


def test_transfer_refusals(pending, bureau, alice, bob):
    with at(date(2026, 11, 20)):
        with pytest.raises(PermissionDenied):
            services.transfer_send(
                actor=bob, task=pending, department="县公安局", transferred_on=date(2026, 10, 9), reason=""
            )
        with pytest.raises(InvalidFields) as excinfo:
            services.transfer_send(
                actor=alice, task=pending, department=" 建环 ", transferred_on=date(2026, 9, 1), reason=""
            )
        assert fields_of(excinfo) == {
            "department": "只能移交其他部门，不能移交本局。",
            "transferred_on": "日期不能早于检查日期（2026-09-25）。",
        }
        with pytest.raises(InvalidFields) as excinfo:
            services.transfer_send(
                actor=alice, task=pending, department=bureau.name, transferred_on=date(2026, 10, 9), reason=""
            )
        assert list(fields_of(excinfo)) == ["department"]
        transfer = services.transfer_send(
            actor=alice, task=pending, department="县公安局", transferred_on=date(2026, 10, 9), reason=""
        )
        with pytest.raises(DomainError, match=exactly("请先记录接收情况。")):
            services.transfer_close(
                actor=alice, transfer=transfer, concluded_on=date(2026, 11, 20), conclusion="violation", note="x"
            )
        with pytest.raises(InvalidFields) as excinfo:
            services.transfer_receive(
                actor=alice, transfer=transfer, receipt_number="", received_by_name="", received_on=date(2026, 10, 8)
            )
        assert fields_of(excinfo) == {
            "receipt_number": "请填写回执编号。",
            "received_by_name": "请填写接收人。",
            "received_on": "日期不能早于移交日期（2026-10-09）。",
        }
        with pytest.raises(DomainError, match=exactly("该检查结果已移交其他部门，本局不再立案。")):
            services.case_open(actor=alice, task=pending)
    assert Transfer.objects.get(task=pending).status == TransferStatus.SENT


# --- files ----------------------------------------------------------------------------------------------


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n" + b"0" * 32


def test_visit_evidence_checked_like_the_results_and_frozen_once_recorded(ordered, bob, hank):
    r = Rectification.objects.get(task=ordered)
    item, created = services.visit_file_add(actor=bob, rectification=r, upload=_upload("a.png", PNG))
    again, created_again = services.visit_file_add(actor=bob, rectification=r, upload=_upload("b.png", PNG))
    assert (created, created_again, again.pk, item.content_type) == (True, False, item.pk, "image/png")
    with pytest.raises(DomainError, match="不是 JPEG"):
        services.visit_file_add(actor=bob, rectification=r, upload=_upload("c.png", b"GIF89a" + b"\x00" * 8))
    with pytest.raises(PermissionDenied):
        services.visit_file_add(actor=hank, rectification=r, upload=_upload("d.pdf", PDF))
    with at(date(2026, 10, 27)):
        services.visit_record(
            actor=bob, rectification=r, rectified=True, visited_on=date(2026, 10, 27), findings="已整改"
        )
    with pytest.raises(DomainError, match=exactly("整改回访已记录，证据不能再修改。")):
        services.visit_file_add(actor=bob, rectification=r, upload=_upload("d.pdf", PDF))
    assert list(r.files.values_list("original_name", flat=True)) == ["a.png"]
    entry = AuditEntry.objects.filter(action="followup.visit_recorded").get()
    assert entry.data["files"] == [item.sha256]


def test_transfer_documents(pending, alice, bob):
    with at(date(2026, 11, 20)):
        transfer = services.transfer_send(
            actor=alice, task=pending, department="县公安局", transferred_on=date(2026, 10, 9), reason="涉嫌犯罪"
        )
        document, _created = services.transfer_file_add(
            actor=alice, transfer=transfer, upload=_upload("移交函.pdf", PDF)
        )
        with pytest.raises(PermissionDenied):
            services.transfer_file_add(actor=bob, transfer=transfer, upload=_upload("x.pdf", PDF + b"1"))
    assert (document.owner, document.transfer_id, document.content_type) == ("transfer", transfer.pk, "application/pdf")
