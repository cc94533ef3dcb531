"""Issue 13 item 3: a substitution is a two-person act. A team lead proposes it with a reason checked against
the enterprise's status; another team lead approves it, and only then is it made. The admin may not."""

import os
import threading

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

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
    with pytest.raises(DomainError) as refused:
        substitutions.substitution_approve(actor=frank, request=proposal)
    assert str(refused.value) == (
        f"名录库中{task.enterprise.name}的状态为“正常生产”，而非“关闭”：请先在名录库中登记状态变更，或选择其他原因。"
    )
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


# --- exact fields, the second person's rules and the compare-and-swap (mutation testing) --------------------


def team_of(task):
    return [m.inspector for m in task.members.filter(active=True).order_by("position")]


def test_a_proposal_stores_its_note_stripped_and_cut_at_255_with_its_proposer_and_moment(approved, alice):
    task = first_task(approved)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        proposal = propose(task, alice, "other", note="  " + "搬" * 300 + " ")
    stored = SubstitutionRequest.objects.get(pk=proposal.pk)
    assert stored.note == "搬" * 255 and proposal.note == "搬" * 255
    assert (stored.draw_id, stored.task_id, stored.kind, stored.inspector_id, stored.reason_code) == (
        approved.pk,
        task.pk,
        "enterprise",
        None,
        "other",
    )
    assert (stored.status, stored.proposed_by_id, stored.proposed_by_name, stored.proposed_at) == (
        "proposed",
        alice.pk,
        "张组长",
        now,
    )
    assert (stored.decided_by_id, stored.decided_by_name, stored.decided_at, stored.substitution_id) == (
        None,
        "",
        None,
        None,
    )
    assert AuditEntry.objects.get(action="draw.substitution_proposed").data["note"] == "搬" * 255


def test_a_note_of_spaces_or_none_is_no_explanation(approved, alice):
    task = first_task(approved)
    for note in ("   ", None):
        with pytest.raises(DomainError) as refused:
            propose(task, alice, "unreachable", note=note)
        assert str(refused.value) == "请说明原因（采取了哪些措施、结果如何）。"
    close(task.enterprise)
    assert propose(task, alice, "closed", note=None).note == ""


def test_an_enterprise_proposal_names_no_inspector_even_if_given_one(approved, alice):
    task = first_task(approved)
    proposal = substitutions.substitution_propose(
        actor=alice,
        task=task,
        kind=SubstitutionKind.ENTERPRISE,
        reason_code="other",
        note="搬迁",
        inspector=team_of(task)[0],
    )
    assert SubstitutionRequest.objects.get(pk=proposal.pk).inspector_id is None
    assert AuditEntry.objects.get(action="draw.substitution_proposed").data["inspector"] == ""


def test_an_inspector_proposal_names_an_active_member_of_this_team_and_is_audited_with_his_code(
    approved, alice, inspectors
):
    task = first_task(approved)
    team = team_of(task)
    stranger = next(i for i in inspectors if i not in team)

    def inspector_proposal(inspector):
        return substitutions.substitution_propose(
            actor=alice, task=task, kind=SubstitutionKind.INSPECTOR, reason_code="illness", inspector=inspector
        )

    for wrong in (None, stranger):
        with pytest.raises(DomainError) as refused:
            inspector_proposal(wrong)
        assert str(refused.value) == "请选择本检查组的检查人员。"
    task.members.filter(inspector=team[1]).update(active=False)  # a member replaced earlier
    with pytest.raises(DomainError) as inactive:
        inspector_proposal(team[1])
    assert str(inactive.value) == "请选择本检查组的检查人员。"
    proposal = inspector_proposal(team[0])
    assert (proposal.kind, proposal.inspector_id) == ("inspector", team[0].pk)
    assert AuditEntry.objects.get(action="draw.substitution_proposed").data == {
        "request": proposal.pk,
        "task": task.number,
        "kind": "inspector",
        "inspector": team[0].code,
        "reason": "illness",
        "note": "",
        "after": {"status": "proposed"},
    }


def test_a_proposal_made_meanwhile_by_another_lead_is_refused_by_the_one_open_proposal_rule(
    approved, alice, frank, monkeypatch
):
    """Between the check for an open proposal and the insert, another lead's proposal commits (PostgreSQL: two
    requests at once); the unique open proposal per task refuses the second with its own message."""
    task = first_task(approved)
    display = substitutions.actor_display

    def meanwhile(actor):
        SubstitutionRequest.objects.create(
            draw=approved,
            task=task,
            kind="enterprise",
            reason_code="other",
            note="先到",
            proposed_by=frank,
            proposed_by_name="李组长",
            proposed_at=timezone.now(),
        )
        return display(actor)

    monkeypatch.setattr(substitutions, "actor_display", meanwhile)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        propose(task, alice, "other", note="后到")
    assert str(refused.value) == "本任务的另一项替换已同时被提议。请刷新页面。"
    assert isinstance(refused.value.__cause__, IntegrityError)
    assert AuditEntry.objects.count() == audit_before


def test_an_approval_records_the_decider_and_moment_and_links_the_substitution(approved, alice, frank):
    task = first_task(approved)
    close(task.enterprise)
    proposal = propose(task, alice)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        made = substitutions.substitution_approve(actor=frank, request=proposal)
    stored = SubstitutionRequest.objects.get(pk=proposal.pk)
    for request in (made, stored):
        assert (request.status, request.decided_by_id, request.decided_by_name, request.decided_at) == (
            "approved",
            frank.pk,
            "李组长",
            now,
        )
        assert request.substitution_id == Substitution.objects.get(draw=approved).pk
    details = stored.substitution.details
    assert (details["proposed_by"], details["request"]) == ("张组长", proposal.pk)
    assert set(details) == {"team", "skipped_enterprises", "skipped_inspectors", "proposed_by", "request"}


def test_the_recorded_reason_is_in_chinese_whatever_the_language_of_the_approving_lead(
    approved, alice, frank, settings
):
    settings.LANGUAGE_CODE = "en"  # a site whose default language is English
    settings.LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]  # (Django reloads its catalogues)
    task = first_task(approved)
    proposal = propose(task, alice, "other", note="企业搬迁")
    with translation.override("en"):
        made = substitutions.substitution_approve(actor=frank, request=proposal)
    assert made.substitution.reason == "其他原因（需说明）：企业搬迁"
    assert Substitution.objects.get(draw=approved).reason == "其他原因（需说明）：企业搬迁"


def test_a_lead_who_decided_cannot_take_the_other_decision_nor_repeat_another_leads(approved, alice, frank, george):
    task = first_task(approved)
    close(task.enterprise)
    made = substitutions.substitution_approve(actor=frank, request=propose(task, alice))
    with pytest.raises(DomainError) as reject_approved:
        substitutions.substitution_reject(actor=frank, request=made, reason="改主意")
    assert str(reject_approved.value) == "此替换已有决定：李组长 已批准并替换。"

    second = InspectionTask.objects.filter(draw=approved, status="assigned").order_by("number").first()
    rejected = substitutions.substitution_reject(
        actor=frank, request=propose(second, alice, "other", note="搬迁"), reason="未核实"
    )
    with pytest.raises(DomainError) as approve_rejected:
        substitutions.substitution_approve(actor=frank, request=rejected)
    with pytest.raises(DomainError) as reject_again:
        substitutions.substitution_reject(actor=george, request=rejected, reason="也驳回")
    assert str(approve_rejected.value) == str(reject_again.value) == "此替换已有决定：李组长 已驳回。"
    stored = SubstitutionRequest.objects.get(pk=rejected.pk)
    assert (stored.status, stored.decided_by_id, stored.decision_note) == ("rejected", frank.pk, "未核实")
    assert Substitution.objects.filter(draw=approved).count() == 1


def test_a_withdrawal_records_the_proposer_and_a_repeat_is_a_no_op(approved, alice):
    task = first_task(approved)
    proposal = propose(task, alice, "other", note="x")
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        withdrawn = substitutions.substitution_reject(actor=alice, request=proposal, reason=" 提错了 " + "错" * 300)
    stored = SubstitutionRequest.objects.get(pk=proposal.pk)
    for request in (withdrawn, stored):
        assert (request.status, request.decided_by_id, request.decided_by_name, request.decided_at) == (
            "withdrawn",
            alice.pk,
            "张组长",
            now,
        )
        assert request.decision_note == ("提错了 " + "错" * 300)[:255]
    again = substitutions.substitution_reject(actor=alice, request=proposal, reason="再撤")
    assert (again.status, again.decision_note) == ("withdrawn", ("提错了 " + "错" * 300)[:255])
    assert AuditEntry.objects.filter(action="draw.substitution_withdrawn").count() == 1


def decided_meanwhile(request, by):
    """Another lead's rejection of ``request``, as if it had committed between the lock and the move."""
    SubstitutionRequest.objects.filter(pk=request.pk).update(
        status="rejected", decided_by=by, decided_by_name=by.get_full_name(), decided_at=timezone.now()
    )


def test_an_approval_moves_the_proposal_only_if_it_is_still_proposed(approved, alice, frank, george, monkeypatch):
    """The compare-and-swap behind the row lock: a decision that slipped in meanwhile stops the approval, and the
    substitution made in the same transaction is undone with it."""
    task = first_task(approved)
    close(task.enterprise)
    proposal = propose(task, alice)
    substitute = substitutions.assignment.draw_substitute_enterprise

    def substitute_while_george_rejects(**kwargs):
        made = substitute(**kwargs)
        decided_meanwhile(proposal, george)
        return made

    monkeypatch.setattr(substitutions.assignment, "draw_substitute_enterprise", substitute_while_george_rejects)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        substitutions.substitution_approve(actor=frank, request=proposal)
    assert str(refused.value) == "此替换已有决定：周组长 已驳回。"
    nothing_written(approved, task, audit_before)
    assert SubstitutionRequest.objects.get(pk=proposal.pk).status == "proposed"  # rolled back with the rest


def test_a_rejection_moves_the_proposal_only_if_it_is_still_proposed(approved, alice, frank, george, monkeypatch):
    task = first_task(approved)
    proposal = propose(task, alice, "other", note="x")
    display = substitutions.actor_display

    def display_while_george_rejects(actor):
        if actor == frank:
            decided_meanwhile(proposal, george)
        return display(actor)

    monkeypatch.setattr(substitutions, "actor_display", display_while_george_rejects)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        substitutions.substitution_reject(actor=frank, request=proposal, reason="未核实")
    assert str(refused.value) == "此替换已有决定：周组长 已驳回。"
    assert AuditEntry.objects.count() == audit_before
    assert SubstitutionRequest.objects.get(pk=proposal.pk).status == "proposed"


def test_a_locked_request_brings_its_task_bureau_draw_enterprise_and_inspector_in_one_query(
    approved, alice, django_assert_num_queries
):
    task = first_task(approved)
    proposal = substitutions.substitution_propose(
        actor=alice, task=task, kind=SubstitutionKind.INSPECTOR, reason_code="illness", inspector=team_of(task)[0]
    )
    with django_assert_num_queries(1):
        locked = substitutions._locked_request(proposal)
        related = (locked.task.bureau.pk, locked.task.draw.pk, locked.task.enterprise.pk, locked.inspector.pk)
    assert related == (task.bureau_id, approved.pk, task.enterprise_id, team_of(task)[0].pk)


def test_a_decision_locks_the_request_row_alone_on_postgresql(approved, alice, frank):
    """SELECT … FOR UPDATE OF the request only: the task, draw, enterprise and inspector read with it stay free.
    SQLite has no row locks (the mutation runs cannot see this clause); PostgreSQL runs this test."""
    if connection.vendor != "postgresql":
        if os.environ.get("SSJ_REQUIRE_SERVICES"):
            pytest.fail("this test needs PostgreSQL (DATABASE_URL) when SSJ_REQUIRE_SERVICES is set")
        pytest.skip("needs PostgreSQL: SQLite has no SELECT … FOR UPDATE")
    task = first_task(approved)
    proposal = propose(task, alice, "other", note="x")
    with CaptureQueriesContext(connection) as captured:
        substitutions.substitution_reject(actor=frank, request=proposal, reason="未核实")
    locking = [q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1
    assert locking[0].startswith('SELECT "inspections_substitutionrequest"."id"')
    assert locking[0].endswith('FOR UPDATE OF "inspections_substitutionrequest"')


def test_deciding_one_proposal_leaves_the_open_proposals_of_other_tasks_alone(approved, alice, frank):
    first, second = InspectionTask.objects.filter(draw=approved).order_by("number")[:2]
    one = propose(first, alice, "other", note="一")
    two = propose(second, alice, "other", note="二")  # another task's open proposal does not block this one
    substitutions.substitution_reject(actor=frank, request=one, reason="未核实")
    stored = SubstitutionRequest.objects.get(pk=two.pk)
    assert (stored.status, stored.decided_by_id, stored.decision_note) == ("proposed", None, "")
    substitutions.substitution_approve(actor=frank, request=two)
    rows = SubstitutionRequest.objects.filter(pk__in=[one.pk, two.pk]).order_by("id")
    assert [(r.status, r.decision_note, r.substitution_id is None) for r in rows] == [
        ("rejected", "未核实", True),
        ("approved", "", False),
    ]


def test_a_proposal_reads_its_task_with_bureau_draw_and_enterprise_in_the_locking_query(approved, alice):
    task = first_task(approved)
    with CaptureQueriesContext(connection) as captured:
        propose(task, alice, "other", note="x")
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    locking = selects[0]
    assert locking.startswith('SELECT "sampling_inspectiontask"."id"')
    for table in ("core_bureau", "sampling_draw", "enterprises_enterprise"):
        assert f'INNER JOIN "{table}"' in locking
    assert not [sql for sql in selects if 'FROM "sampling_draw"' in sql or 'FROM "enterprises_enterprise"' in sql]


def test_an_approval_rereads_only_the_enterprise_status_and_rewrites_only_the_substitution_details(
    approved, alice, frank
):
    task = first_task(approved)
    close(task.enterprise)
    proposal = propose(task, alice)
    with CaptureQueriesContext(connection) as captured:
        made = substitutions.substitution_approve(actor=frank, request=proposal)
    statements = [q["sql"] for q in captured.captured_queries]
    assert (
        'SELECT "enterprises_enterprise"."id", "enterprises_enterprise"."status" FROM "enterprises_enterprise" '
        f'WHERE "enterprises_enterprise"."id" = {task.enterprise_id} LIMIT 21'
    ) in statements
    (update,) = [sql for sql in statements if sql.startswith('UPDATE "sampling_substitution"')]
    assert update.startswith('UPDATE "sampling_substitution" SET "details" = ')
    assert update.endswith(f'WHERE "sampling_substitution"."id" = {made.substitution_id}')
    assert '"reason" = ' not in update and '"draw_id" = ' not in update
