"""Issue 13 item 3: a substitution is a two-person act. A team lead proposes it with a reason checked against
the enterprise's status; another team lead approves it, and only then is it made. The admin may not."""

import os
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from core.errors import DomainError
from core.models import AuditEntry
from disclosure import public_queries
from enterprises.enums import EnterpriseStatus
from enterprises.models import Enterprise
from inspections import substitutions
from inspections.enums import InspectionTaskStatus, SubstitutionKind, SubstitutionRequestStatus
from inspections.models import InspectionTask, Substitution, SubstitutionRequest
from sampling.models import Draw
from tests.tamper import triggers_disabled


def first_task(draw):
    return InspectionTask.objects.filter(draw=draw).order_by("number").select_related("enterprise").first()


def close(enterprise):
    Enterprise.objects.filter(pk=enterprise.pk).update(status=EnterpriseStatus.CLOSED)
    enterprise.refresh_from_db()


def nothing_written(draw, task, audit_before):
    task.refresh_from_db()
    assert task.status == InspectionTaskStatus.ASSIGNED
    assert not Substitution.objects.filter(draw=draw).exists()
    assert AuditEntry.objects.count() == audit_before


def propose(task, actor, reason_code="closed", **kwargs):
    return substitutions.substitution_propose(
        actor=actor, task=task, kind=SubstitutionKind.ENTERPRISE, reason_code=reason_code, **kwargs
    )


def test_the_admin_attack_fails_and_writes_nothing(approved, client_for, erin, today):
    task = first_task(approved)  # an operating enterprise
    audit_before = AuditEntry.objects.count()
    url = reverse("inspections:substitute-enterprise", args=[task.pk])
    response = client_for(erin).post(url, {"reason_code": "closed", "reason": "编造的理由"})
    assert response.status_code == 403
    assert client_for(erin).post(url, {"reason_code": "other", "note": "编造的理由"}).status_code == 403
    with pytest.raises(PermissionDenied):
        propose(task, erin, "other", note="编造的理由")
    assert not SubstitutionRequest.objects.exists()
    nothing_written(approved, task, audit_before)


def test_a_lead_alone_cannot_complete_a_substitution(approved, alice, client_for, today):
    task = first_task(approved)
    close(task.enterprise)
    proposal = propose(task, alice)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError, match="另一名组长"):
        substitutions.substitution_approve(actor=alice, request=proposal)
    approve = reverse("inspections:substitution-approve", args=[task.pk])
    assert client_for(alice).post(approve, {"request": proposal.pk}).status_code == 302
    nothing_written(approved, task, audit_before)
    assert SubstitutionRequest.objects.get(pk=proposal.pk).status == SubstitutionRequestStatus.PROPOSED


def test_a_second_lead_approves_and_the_substitution_is_made(approved, alice, frank):
    task = first_task(approved)
    close(task.enterprise)
    proposal = propose(task, alice)
    task.refresh_from_db()
    assert task.status == InspectionTaskStatus.ASSIGNED and not Substitution.objects.exists()
    approved_request = substitutions.substitution_approve(actor=frank, request=proposal)
    sub = approved_request.substitution
    assert (approved_request.status, approved_request.decided_by) == (SubstitutionRequestStatus.APPROVED, frank)
    assert (sub.old_enterprise, sub.actor, sub.reason) == (task.enterprise, frank, "企业已关闭")
    assert sub.details["proposed_by"] == proposal.proposed_by_name
    task.refresh_from_db()
    assert task.status == InspectionTaskStatus.CANCELLED
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))[-3:]
    assert actions == ["draw.substitution_proposed", "draw.enterprise_substituted", "draw.substitution_approved"]
    # a repeat by the same lead is a no-op; another lead is told who decided
    assert substitutions.substitution_approve(actor=frank, request=proposal).substitution == sub
    with pytest.raises(DomainError):
        substitutions.substitution_approve(actor=alice, request=proposal)
    assert Substitution.objects.count() == 1


def test_an_operating_enterprise_cannot_be_replaced_as_closed(approved, alice):
    task = first_task(approved)
    with pytest.raises(DomainError) as refused:
        propose(task, alice, "closed")
    assert str(EnterpriseStatus.OPERATING.label) in str(refused.value)
    assert str(EnterpriseStatus.CLOSED.label) in str(refused.value)
    with pytest.raises(DomainError):
        propose(task, alice, "suspended")
    with pytest.raises(DomainError):
        propose(task, alice, "unreachable")  # needs an explanation
    with pytest.raises(DomainError):
        propose(task, alice, "illness")  # not a reason to replace an enterprise
    assert not SubstitutionRequest.objects.exists()
    proposal = propose(task, alice, "unreachable", note="三次上门均无人，电话停机")
    assert proposal.status == SubstitutionRequestStatus.PROPOSED


def test_the_status_is_checked_again_at_approval(approved, alice, frank):
    task = first_task(approved)
    close(task.enterprise)
    proposal = propose(task, alice)
    Enterprise.objects.filter(pk=task.enterprise_id).update(status=EnterpriseStatus.OPERATING)
    with pytest.raises(DomainError):
        substitutions.substitution_approve(actor=frank, request=proposal)
    assert not Substitution.objects.exists()


def test_one_open_proposal_per_task_and_rejection(approved, alice, frank, george):
    task = first_task(approved)
    proposal = propose(task, alice, "other", note="企业搬迁")
    with pytest.raises(DomainError):
        propose(task, frank, "other", note="再次提议")
    with pytest.raises(DomainError):
        substitutions.substitution_reject(actor=frank, request=proposal, reason=" ")
    rejected = substitutions.substitution_reject(actor=frank, request=proposal, reason="未核实")
    assert (rejected.status, rejected.decided_by, rejected.decision_note) == ("rejected", frank, "未核实")
    with pytest.raises(DomainError):
        substitutions.substitution_approve(actor=george, request=proposal)
    withdrawn = substitutions.substitution_reject(
        actor=george, request=propose(task, george, "other", note="x"), reason="提错了"
    )
    assert withdrawn.status == SubstitutionRequestStatus.WITHDRAWN
    assert not Substitution.objects.exists()


def test_an_inspector_substitution_needs_two_leads_too(approved, alice, frank, bob):
    task = first_task(approved)
    team = [m.inspector for m in task.members.filter(active=True).order_by("position")]
    with pytest.raises(PermissionDenied):
        substitutions.substitution_propose(
            actor=bob, task=task, kind=SubstitutionKind.INSPECTOR, reason_code="illness", inspector=team[0]
        )
    proposal = substitutions.substitution_propose(
        actor=alice, task=task, kind=SubstitutionKind.INSPECTOR, reason_code="illness", inspector=team[0]
    )
    with pytest.raises(DomainError):
        substitutions.substitution_approve(actor=alice, request=proposal)
    sub = substitutions.substitution_approve(actor=frank, request=proposal).substitution
    assert sub.old_inspector == team[0] and sub.new_inspector not in team


def test_the_auditor_and_get_change_nothing(approved, alice, client_for, dave, today):
    task = first_task(approved)
    close(task.enterprise)
    proposal = propose(task, alice)
    approve = reverse("inspections:substitution-approve", args=[task.pk])
    assert client_for(dave).post(approve, {"request": proposal.pk}).status_code == 403
    assert client_for(alice).get(approve).status_code == 405
    assert SubstitutionRequest.objects.get(pk=proposal.pk).status == SubstitutionRequestStatus.PROPOSED


def test_the_other_bureau_gets_404(approved, alice, client_for, mallory, today):
    task = first_task(approved)
    url = reverse("inspections:substitute-enterprise", args=[task.pk])
    assert client_for(mallory).post(url, {"reason_code": "other", "note": "x"}).status_code == 404
    assert not SubstitutionRequest.objects.exists()


def test_the_public_draw_page_lists_every_substitution_with_its_reason(
    approved, alice, frank, client, monkeypatch, today
):
    task = first_task(approved)
    close(task.enterprise)
    substitutions.substitution_approve(actor=frank, request=propose(task, alice))
    rows = public_queries.draw_substitutions(approved)
    assert [(r["kind"], r["before"], r["reason"]) for r in rows] == [("enterprise", task.enterprise.uscc, "企业已关闭")]
    monkeypatch.setattr(public_queries, "record_is_public", lambda draw: True)
    body = client.get(reverse("public:draw-detail", args=[approved.pk])).content.decode()
    assert 'id="substitution-list"' in body and "企业已关闭" in body and task.enterprise.uscc in body
    assert alice.first_name not in body and frank.first_name not in body


@pytest.mark.django_db(transaction=True)
def test_two_leads_approving_at_once_exactly_one_wins(approved, alice, frank, george):
    if connection.vendor != "postgresql":
        if os.environ.get("SSJ_REQUIRE_SERVICES"):
            pytest.fail("this test needs PostgreSQL (DATABASE_URL) when SSJ_REQUIRE_SERVICES is set")
        pytest.skip("needs PostgreSQL: SQLite serialises every writer")
    task = first_task(approved)
    close(task.enterprise)
    proposal = propose(task, alice)
    barrier = threading.Barrier(2)
    outcomes = {}

    def run(actor):
        try:
            barrier.wait(timeout=10)
            outcomes[actor.username] = substitutions.substitution_approve(actor=actor, request=proposal)
        except DomainError as exc:
            outcomes[actor.username] = str(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(actor,)) for actor in (frank, george)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    decided = SubstitutionRequest.objects.get(pk=proposal.pk)
    winner = decided.decided_by.username
    loser = "george" if winner == "frank" else "frank"
    assert outcomes[winner].status == SubstitutionRequestStatus.APPROVED
    assert isinstance(outcomes[loser], str) and decided.decided_by_name in outcomes[loser]
    assert Substitution.objects.filter(draw=approved).count() == 1
    assert InspectionTask.objects.filter(draw=approved).count() == Draw.objects.get(pk=approved.pk).selected_count + 1
    assert AuditEntry.objects.filter(action="draw.substitution_approved").count() == 1


def test_an_approved_substitution_shows_on_the_kept_public_draw_page_at_once(
    approved, alice, frank, client, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(public_queries, "record_is_public", lambda draw: True)
    url = reverse("public:draw-detail", args=[approved.pk])
    task = first_task(approved)
    close(task.enterprise)
    before = client.get(url).content.decode()
    assert task.number not in before.split('id="substitutions"')[1]
    proposal = propose(task, alice)
    with django_capture_on_commit_callbacks(execute=True):
        substitutions.substitution_approve(actor=frank, request=proposal)
    after = client.get(url).content.decode().split('id="substitutions"')[1]
    assert task.number in after and "企业已关闭" in after


def test_refusals_of_a_substitution_say_why_in_chinese(approved, alice, frank):
    task = first_task(approved)
    refusals = []

    def refused(call):
        with pytest.raises(DomainError) as info:
            call()
        refusals.append(str(info.value))

    refused(lambda: propose(task, alice, "illness"))  # not a reason for an enterprise
    refused(lambda: propose(task, alice, "unreachable"))  # needs a note
    refused(lambda: propose(task, alice, "closed"))  # the registry says operating
    refused(lambda: substitutions.substitution_propose(actor=alice, task=task, kind="x", reason_code="closed"))
    proposal = propose(task, alice, "other", note="企业搬迁")
    refused(lambda: propose(task, frank, "other", note="再次"))
    refused(lambda: substitutions.substitution_approve(actor=alice, request=proposal))
    refused(lambda: substitutions.substitution_reject(actor=frank, request=proposal, reason=None))
    substitutions.substitution_reject(actor=frank, request=proposal, reason="未核实")
    refused(lambda: substitutions.substitution_approve(actor=alice, request=proposal))
    InspectionTask.objects.filter(pk=task.pk).update(status=InspectionTaskStatus.CHECKED_IN)
    refused(lambda: propose(task, alice, "other", note="x"))
    with triggers_disabled("sampling_draw"):  # the schema owner's way round the closed draw's trigger
        Draw.objects.filter(pk=approved.pk).update(status="drawn")
    refused(lambda: propose(task, alice, "other", note="x"))
    assert refusals == [
        "请选择所列原因之一。",
        "请说明原因（采取了哪些措施、结果如何）。",
        f"名录库中{task.enterprise.name}的状态为“正常生产”，而非“关闭”：请先在名录库中登记状态变更，或选择其他原因。",
        "请选择替换对象。",
        f"{alice.get_full_name()} 提议的本任务替换尚待决定。",
        "此替换由您提议：须由另一名组长批准。",
        "请填写驳回替换的理由。",
        f"此替换已有决定：{frank.get_full_name()} 已驳回。",
        "只能调整尚未开始的任务（该任务状态为：已到达）。",
        "只能在已审批的摇号中进行替换。",
    ]


def test_each_decision_is_audited_on_the_draw_with_the_request_task_and_states(approved, alice, frank):
    task = first_task(approved)
    close(task.enterprise)
    proposal = propose(task, alice)
    made = substitutions.substitution_approve(actor=frank, request=proposal)
    proposed, approved_entry = (
        AuditEntry.objects.get(action=action) for action in ("draw.substitution_proposed", "draw.substitution_approved")
    )
    assert (proposed.object_type, proposed.object_id, proposed.actor_id) == (
        "sampling.draw",
        str(approved.pk),
        alice.pk,
    )
    assert proposed.data == {
        "request": proposal.pk,
        "task": task.number,
        "kind": "enterprise",
        "inspector": "",
        "reason": "closed",
        "note": "",
        "after": {"status": "proposed"},
    }
    assert (approved_entry.object_id, approved_entry.actor_id) == (str(approved.pk), frank.pk)
    assert approved_entry.data == {
        "request": proposal.pk,
        "task": task.number,
        "kind": "enterprise",
        "proposed_by": alice.get_full_name(),
        "substitution": made.substitution.pk,
        "before": {"status": "proposed"},
        "after": {"status": "approved"},
    }
    stored = SubstitutionRequest.objects.get(pk=proposal.pk)
    assert (stored.status, stored.decided_by_id, stored.decided_by_name) == (
        "approved",
        frank.pk,
        frank.get_full_name(),
    )
    assert stored.substitution.details["request"] == proposal.pk


def test_a_rejection_is_audited_with_its_reason_and_a_withdrawal_as_withdrawn(approved, alice, frank):
    task = first_task(approved)
    proposal = propose(task, alice, "other", note="企业搬迁")
    substitutions.substitution_reject(actor=frank, request=proposal, reason="  未核实  ")
    entry = AuditEntry.objects.get(action="draw.substitution_rejected")
    assert (entry.object_id, entry.actor_id) == (str(approved.pk), frank.pk)
    assert entry.data == {
        "request": proposal.pk,
        "task": task.number,
        "reason": "未核实",
        "before": {"status": "proposed"},
        "after": {"status": "rejected"},
    }
    again = substitutions.substitution_reject(actor=frank, request=proposal, reason="再次")  # a repeat: no-op
    assert (
        again.decision_note == "未核实"
        and AuditEntry.objects.filter(action__startswith="draw.substitution_r").count() == 1
    )
    mine = propose(task, alice, "other", note="x")
    substitutions.substitution_reject(actor=alice, request=mine, reason="提错了")
    assert AuditEntry.objects.get(action="draw.substitution_withdrawn").data["after"] == {"status": "withdrawn"}
