"""Every state change of an inspection, from arrival to the enterprise's rating (the closed loop of seed 000:
任务报备—扫码入企—结果上传—企业评价).

Services are keyword-only and run in one transaction. They lock the task row, check its state inside the
transaction, move the task with :func:`~inspections.transitions.task_cas`, refuse with
:class:`~core.errors.DomainError` (a message a user can read) or ``PermissionDenied`` (a role or team the
actor lacks), treat a repeat of the same change as a no-op, and write the audit entry (on the task) in
the same transaction.

Transitions owned here: ASSIGNED → CHECKED_IN (:func:`checkin_confirm`, or :func:`checkin_record_manual` from a
paper record for an enterprise without a registered contact),
CHECKED_IN → RESULT_RECORDED (:func:`result_record`), ASSIGNED → RESULT_RECORDED for a result without arrival
(:func:`result_record_without_arrival`), RESULT_RECORDED → RESULT_APPROVED, or EXEMPT for a
confidential result (:func:`result_approve`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import versions
from core.access import has_role
from core.audit import actor_display, audit_log, audit_refusal
from core.enums import Role
from core.errors import DomainError, StepRefused
from core.jobs import job_submit
from core.workdays import add_working_days_db
from inspectors.models import Inspector
from inspectors.queries import unavailable_reasons
from sampling.enums import RefusedStep

from . import codes, hooks, uploads
from .access import is_team_member
from .enums import (
    CheckInMethod,
    CodePurpose,
    EvaluationMethod,
    FollowUp,
    InspectionTaskStatus,
    Outcome,
    OutcomeChangeKind,
    Rating,
)
from .models import (
    Attachment,
    CheckIn,
    Evaluation,
    InspectionResult,
    InspectionTask,
    ItemFinding,
    NoArrival,
    OffsiteCheck,
    OutcomeChange,
    PaperScan,
    TaskMember,
)
from .publication import exemption_record, publication_follow_outcome
from .tokens import CHECKIN_GRACE_DAYS
from .transitions import locked_task, task_cas

# Results are due this many working days after the inspection (seed 003: 7个工作日内).
RESULT_WORKING_DAYS = 7
APPROVED_STATES = (
    InspectionTaskStatus.RESULT_APPROVED,
    InspectionTaskStatus.PUBLISHED,
    InspectionTaskStatus.EXEMPT,
)
NAME_MAX = 60
REASON_MAX = 255
TEXT_MAX = 4000
COMMENT_MAX = 1000


class InvalidFields(DomainError):
    """Refused values by field name (``None`` = the whole form), so a form shows them next to its fields."""

    def __init__(self, errors: dict[str | None, str]):
        self.errors = errors
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class FindingInput:
    compliant: bool
    finding: str = ""
    legal_basis: str = ""


# --- helpers -------------------------------------------------------------------------------------


def _require_team_member(actor, task: InspectionTask) -> None:
    if not has_role(actor, task.bureau, *Role.staff_roles()) or not is_team_member(actor, task):
        raise PermissionDenied


def _require_lead(actor, task: InspectionTask) -> None:
    if not has_role(actor, task.bureau, Role.TEAM_LEAD):
        raise PermissionDenied


def _status_refusal(task: InspectionTask) -> DomainError:
    if task.status == InspectionTaskStatus.CANCELLED:
        return DomainError(_("This inspection task was cancelled."))
    return DomainError(_("Not possible while the task is %(status)s.") % {"status": task.get_status_display()})


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


# --- check-in (扫码入企) ------------------------------------------------------------------------------


def _checkin_window_refusal(task: InspectionTask, day: date) -> DomainError | None:
    if day < task.planned_start:
        return DomainError(
            _("The inspection period starts on %(date)s; arrival cannot be confirmed before.")
            % {"date": task.planned_start.isoformat()}
        )
    last = task.planned_end + timedelta(days=CHECKIN_GRACE_DAYS)
    if day > last:
        return DomainError(
            _("Arrival could be confirmed until %(date)s; that period is over.") % {"date": last.isoformat()}
        )
    return None


def _refuse_unavailable_team(task: InspectionTask, day: date, step: str) -> None:
    """Refuse a step of ``task`` on ``day`` if a current team member may not inspect its enterprise that day.

    The rule is :func:`inspectors.queries.unavailable_reasons` (inactive, certificate, leave, recusal), the same
    the draw re-checks at its ceremony and approval. The refusal names the inspector and the reason, and points
    to the substitution: the next eligible inspector in the enterprise's published candidate order.
    """
    ids = list(task.members.filter(active=True, inspector__isnull=False).values_list("inspector_id", flat=True))
    found = unavailable_reasons(ids, task.enterprise_id, day)
    if not found:
        return
    inspectors = {i.pk: i for i in Inspector.objects.filter(pk__in=found).only("id", "code", "name")}
    refused = "; ".join(
        _("%(code)s %(name)s: %(reason)s")
        % {"code": inspectors[pk].code, "name": inspectors[pk].name, "reason": reason}
        for pk, reason in sorted(found.items(), key=lambda item: inspectors[item[0]].code)
    )
    raise StepRefused(
        _(
            "A member of the team may not inspect %(enterprise)s on %(date)s (%(refused)s). A team lead first "
            "substitutes the next eligible inspector in the enterprise's published candidate order on the task's page."
        )
        % {"enterprise": task.enterprise.name, "date": day.isoformat(), "refused": refused},
        obj=task,
        step=step,
        day=day,
        enterprise=(task.enterprise.uscc, task.enterprise.name),
        inspectors=[
            (inspectors[pk].code, inspectors[pk].name, reason)
            for pk, reason in sorted(found.items(), key=lambda item: inspectors[item[0]].code)
        ],
        draw_id=task.draw_id,
    )


# A check-in or result entry refused because a team member may not inspect now (written on its own after the
# refused step rolled back: see core.audit.audit_refusal).
STEP_REFUSED = "inspections.step_refused"


def _audits_refusal(actor_of):
    """Write a :class:`~core.errors.StepRefused` of the wrapped (keyword-only) service to the trail, then re-raise.

    ``actor_of(kwargs, refusal)`` names who attempted the step.
    """

    def wrap(service):
        @functools.wraps(service)
        def run(**kwargs):
            try:
                return service(**kwargs)
            except StepRefused as exc:
                audit_refusal(actor=actor_of(kwargs, exc), action=STEP_REFUSED, refusal=exc)
                raise

        return run

    return wrap


def _the_actor(kwargs, _refusal):
    return kwargs["actor"]


def _the_receiver(kwargs, refusal):
    """The person confirming the arrival at the enterprise, as :func:`checkin_confirm` names him."""
    return f"{_text(kwargs.get('confirmed_by_name'), NAME_MAX)}（{refusal.enterprise[1]}）"[:150]


@_audits_refusal(_the_receiver)
def checkin_confirm(
    *,
    task: InspectionTask,
    confirmed_by_name: str,
    code: str,
    ip: str | None = None,
    user_agent: str = "",
    user=None,
    marks: dict | None = None,
) -> tuple[CheckIn, bool]:
    """The enterprise confirms the team's arrival through the task's QR code and the one-time ``code`` sent to
    its registered contact (:mod:`inspections.codes`): the token alone, which the inspectors hold, is not enough.

    Returns ``(check_in, created)``; a second confirmation returns the first one unchanged.
    ``user`` is whoever is logged in on that browser, if anybody: a team member may not confirm his own arrival.
    ``marks`` (:func:`inspections.codes.client_marks`) flag a confirmation from an address, browser or session
    seen for a team member. A wrong code is counted and refused; nothing else is written.
    """
    name = _text(confirmed_by_name, NAME_MAX + 1)
    if not name:
        raise InvalidFields({"confirmed_by_name": _("Type the name of the person receiving the inspectors.")})
    if len(name) > NAME_MAX:
        raise InvalidFields({"confirmed_by_name": _("At most %(max)s characters.") % {"max": NAME_MAX}})
    refusal = None
    with transaction.atomic():
        task = locked_task(task, "bureau", "draw", "enterprise")
        existing = CheckIn.objects.filter(task=task).first()
        if existing is not None:
            return existing, False
        if task.status != InspectionTaskStatus.ASSIGNED:
            raise _status_refusal(task)
        now = timezone.now()
        refusal = _checkin_window_refusal(task, _local_date(now))
        if refusal:
            raise refusal
        if user is not None and is_team_member(user, task):
            raise DomainError(_("Arrival is confirmed by the enterprise, not by the inspection team."))
        _refuse_unavailable_team(task, _local_date(now), RefusedStep.CHECKIN)
        refusal = codes.code_use(task=task, purpose=CodePurpose.ARRIVAL, code=code)
        if refusal is None:
            flags = codes.suspicions(task, marks or {"ip": ip})
            task_cas(task, InspectionTaskStatus.ASSIGNED, InspectionTaskStatus.CHECKED_IN)
            checkin = CheckIn.objects.create(
                task=task,
                at=now,
                method=CheckInMethod.QR,
                confirmed_by_name=name,
                ip=ip or None,
                user_agent=(user_agent or "")[:255],
                suspicions=flags,
            )
            audit_log(
                actor=f"{name}（{task.enterprise.name}）"[:150],
                action="inspections.checkin_confirmed",
                obj=task,
                data={
                    "before": InspectionTaskStatus.ASSIGNED,
                    "after": InspectionTaskStatus.CHECKED_IN,
                    "method": CheckInMethod.QR,
                    "at": now,
                    "confirmed_by": name,
                    "ip": ip or "",
                    "code": "verified",
                    "shared_with_team": flags,
                },
            )
    if refusal is not None:
        raise InvalidFields({"code": str(refusal)})  # after the commit: the wrong attempt stays counted
    return checkin, True


def _require_member_or_lead(actor, task: InspectionTask) -> None:
    if not has_role(actor, task.bureau, *Role.staff_roles()):
        raise PermissionDenied
    if not (is_team_member(actor, task) or has_role(actor, task.bureau, Role.TEAM_LEAD)):
        raise PermissionDenied


def _checked_scan(scan) -> uploads.CheckedFile:
    """The signed record's scan checked as the evidence files are (size, type by content); refusals name it."""
    if scan is None:
        raise InvalidFields({"scan": _("Attach the scan of the paper record signed by the enterprise.")})
    try:
        return uploads.check_upload(scan)
    except uploads.UploadRefused as exc:
        raise InvalidFields({"scan": str(exc)}) from exc


def _refuse_with_contact(task: InspectionTask, what: str) -> None:
    """A paper record only stands in for an enterprise that cannot receive a one-time code."""
    if codes.channel_for(task.enterprise) is not None:
        if what == CodePurpose.ARRIVAL:
            message = _(
                "This enterprise has a registered contact: it confirms the arrival itself with the one-time code "
                "sent to it. A paper record is accepted only from an enterprise without a registered contact."
            )
        else:
            message = _(
                "This enterprise has a registered contact: it rates the inspection itself with the one-time code "
                "sent to it. A paper form is accepted only from an enterprise without a registered contact."
            )
        raise DomainError(message)


def _scan_create(*, actor, task: InspectionTask, purpose: str, checked: uploads.CheckedFile, stored: str):
    return PaperScan.objects.create(
        task=task,
        purpose=purpose,
        file=stored,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
        uploaded_by_name=actor_display(actor),
        uploaded_at=timezone.now(),
    )


def _scan_data(paper: PaperScan) -> dict:
    return {"scan": paper.pk, "name": paper.original_name, "type": paper.content_type, "sha256": paper.sha256}


@_audits_refusal(_the_actor)
def checkin_record_manual(
    *, actor, task: InspectionTask, at: datetime, received_by: str, scan, reason: str = ""
) -> tuple[CheckIn, bool]:
    """The arrival at an enterprise without a registered contact (it cannot receive a one-time code): the
    enterprise signs a paper record, and a team member (or a team lead of the bureau) records it with its scan
    (JPEG, PNG or PDF, checked as the evidence files are). The check-in is marked ``paper``.

    Refused when the enterprise has a registered contact: the one-time code is then the only way. Returns
    ``(check_in, created)``; a repeat returns the first check-in unchanged.
    """
    errors = {}
    received_by, reason = _text(received_by, NAME_MAX), _text(reason, REASON_MAX)
    if not received_by:
        errors["received_by"] = _("Give the name of the person who received the inspectors.")
    if at is None:
        errors["at"] = _("Give the time of arrival.")
    elif at > timezone.now():
        errors["at"] = _("The arrival cannot be in the future.")
    try:
        checked = _checked_scan(scan)
    except InvalidFields as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidFields(errors)
    stored = None
    try:
        with transaction.atomic():
            task = locked_task(task, "bureau", "draw", "enterprise")
            _require_member_or_lead(actor, task)
            existing = CheckIn.objects.filter(task=task).first()
            if existing is not None:
                return existing, False
            if task.status != InspectionTaskStatus.ASSIGNED:
                raise _status_refusal(task)
            _refuse_with_contact(task, CodePurpose.ARRIVAL)
            refusal = _checkin_window_refusal(task, _local_date(at))
            if refusal:
                raise InvalidFields({"at": str(refusal)})
            _refuse_unavailable_team(task, _local_date(at), RefusedStep.CHECKIN)
            stored = uploads.store(scan, checked)
            paper = _scan_create(actor=actor, task=task, purpose=CodePurpose.ARRIVAL, checked=checked, stored=stored)
            task_cas(task, InspectionTaskStatus.ASSIGNED, InspectionTaskStatus.CHECKED_IN)
            checkin = CheckIn.objects.create(
                task=task,
                at=at,
                method=CheckInMethod.PAPER,
                confirmed_by_name=received_by,
                recorded_by=actor,
                recorded_by_name=actor_display(actor),
                reason=reason,
                scan=paper,
            )
            audit_log(
                actor=actor,
                action="inspections.checkin_recorded_manually",
                obj=task,
                data={
                    "before": InspectionTaskStatus.ASSIGNED,
                    "after": InspectionTaskStatus.CHECKED_IN,
                    "method": CheckInMethod.PAPER,
                    "at": at,
                    "confirmed_by": received_by,
                    "reason": reason,
                    **_scan_data(paper),
                },
            )
            return checkin, True
    except BaseException:
        if stored is not None:
            uploads.discard(stored)
        raise


# --- the result -------------------------------------------------------------------------------------


def result_due(inspected_on: date):
    """The day a result is due: 7 working days after the inspection (a :class:`core.workdays.WorkdayResult`)."""
    return add_working_days_db(inspected_on, RESULT_WORKING_DAYS)


def _validate_result(
    *, task, items, outcome, inspected_on, findings: Mapping[int, FindingInput], confidential, reason, checkin
) -> dict[str | None, str]:
    errors: dict[str | None, str] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = _("Choose one of the outcome categories.")
    today = timezone.localdate()
    if inspected_on is None:
        errors["inspected_on"] = _("Give the day of the inspection.")
    elif inspected_on > today:
        errors["inspected_on"] = _("The inspection cannot be in the future.")
    elif checkin is not None and inspected_on < _local_date(checkin.at):
        errors["inspected_on"] = _("The inspection cannot end before the arrival (%(date)s).") % {
            "date": _local_date(checkin.at).isoformat()
        }
    non_compliant = 0
    for item in items:
        given = findings.get(item.pk)
        if given is None:
            errors[f"item-{item.pk}-compliant"] = _("Say whether this item complies.")
            continue
        if not given.compliant:
            non_compliant += 1
            if not given.finding.strip():
                errors[f"item-{item.pk}-finding"] = _("Describe what does not comply.")
    unknown = set(findings) - {item.pk for item in items}
    if unknown:
        errors[None] = _("Findings were given for items that are not part of this task.")
    if "outcome" not in errors and not any(k and k.startswith("item-") for k in errors):
        if outcome == Outcome.NO_PROBLEM and non_compliant:
            errors["outcome"] = _("An item does not comply: 未发现问题 is not possible.")
        elif outcome in Outcome.violations_found() and not non_compliant and items:
            errors["outcome"] = _("This outcome reports a problem: mark the item(s) that do not comply.")
    if confidential and not reason:
        errors["confidentiality_reason"] = _("Give the reason (state secrets, national or public security).")
    return errors


def _result_state(result: InspectionResult, findings) -> dict:
    """A result's content as JSON-native data for the audit trail and to detect a repeated submit."""
    return {
        "outcome": result.outcome,
        "summary": result.summary,
        "inspected_on": result.inspected_on.isoformat(),
        "joint_units": result.joint_units,
        "confidential": result.confidential,
        "confidentiality_reason": result.confidentiality_reason,
        "findings": {
            str(f.check_item_id): {"compliant": f.compliant, "finding": f.finding, "legal_basis": f.legal_basis}
            for f in sorted(findings, key=lambda f: f.check_item_id)
        },
    }


def result_version(task: InspectionTask) -> str:
    """The version of the task's result as stored now (none yet: the version of an empty result)."""
    result = InspectionResult.objects.filter(task=task).first()
    state = _result_state(result, result.findings.all()) if result is not None else {}
    return versions.version(task, state)


def _diff(before: dict, after: dict) -> dict:
    changed = [key for key in after if before.get(key) != after[key]]
    return {"before": {k: before.get(k) for k in changed}, "after": {k: after[k] for k in changed}}


@_audits_refusal(_the_actor)
def result_record(
    *,
    actor,
    task: InspectionTask,
    outcome: str,
    inspected_on: date,
    findings: Mapping[int, FindingInput],
    summary: str = "",
    joint_units: str = "",
    confidential: bool = False,
    confidentiality_reason: str = "",
    version: str | None = None,
) -> tuple[InspectionResult, bool]:
    """Record the result of a checked-in task (a member of its team), or edit it until it is approved.

    ``version``: that of the result form (:func:`result_version`); if the result was recorded or changed
    since, by another member, the submission is refused with ``core.versions.EditConflict``.

    ``findings`` maps each of the task's check item ids to a :class:`FindingInput`. The result is due
    7 working days after ``inspected_on``; it is flagged late if first recorded after that day. Returns
    ``(result, changed)``: submitting the same content again changes nothing and writes nothing.
    """
    summary, joint_units = _text(summary, TEXT_MAX), _text(joint_units, 255)
    reason = _text(confidentiality_reason, TEXT_MAX) if confidential else ""
    findings = {
        int(k): FindingInput(bool(v.compliant), _text(v.finding, TEXT_MAX), _text(v.legal_basis, TEXT_MAX))
        for k, v in findings.items()
    }
    with transaction.atomic():
        task = locked_task(task, "bureau", "draw", "enterprise")
        _require_team_member(actor, task)
        if task.status in APPROVED_STATES:
            raise DomainError(_("The result has been approved and can no longer be changed."))
        if task.status not in (InspectionTaskStatus.CHECKED_IN, InspectionTaskStatus.RESULT_RECORDED):
            if task.status == InspectionTaskStatus.ASSIGNED:
                raise DomainError(_("The arrival at the enterprise has not been confirmed yet (scan the QR code)."))
            raise _status_refusal(task)
        items = list(task.check_items.order_by("order", "code"))
        checkin = CheckIn.objects.filter(task=task).first()
        if checkin is None:  # RESULT_RECORDED without arrival: only its own service changes it
            raise DomainError(
                _("This result was recorded without arrival at the enterprise; it cannot be edited here.")
            )
        if outcome == Outcome.UNREACHABLE:
            message = _("The team arrived at the enterprise: 通过登记的住所（经营场所）无法联系 is not possible.")
            raise InvalidFields({"outcome": message})
        errors = _validate_result(
            task=task,
            items=items,
            outcome=outcome,
            inspected_on=inspected_on,
            findings=findings,
            confidential=confidential,
            reason=reason,
            checkin=checkin,
        )
        if errors:
            raise InvalidFields(errors)
        _refuse_unavailable_team(task, inspected_on, RefusedStep.RESULT)
        if task.status == InspectionTaskStatus.CHECKED_IN:
            return _result_create(
                actor=actor,
                task=task,
                items=items,
                outcome=outcome,
                inspected_on=inspected_on,
                findings=findings,
                summary=summary,
                joint_units=joint_units,
                confidential=confidential,
                reason=reason,
            ), True
        return _result_edit(
            actor=actor,
            task=task,
            items=items,
            outcome=outcome,
            inspected_on=inspected_on,
            findings=findings,
            summary=summary,
            joint_units=joint_units,
            confidential=confidential,
            reason=reason,
            version=version,
        )


def _result_create(
    *, actor, task, items, outcome, inspected_on, findings, summary, joint_units, confidential, reason
) -> InspectionResult:
    now, due = timezone.now(), result_due(inspected_on)
    result = InspectionResult.objects.create(
        task=task,
        outcome=outcome,
        summary=summary,
        inspected_on=inspected_on,
        due_date=due.date,
        due_provisional=due.provisional,
        late=_local_date(now) > due.date,
        joint_units=joint_units,
        recorded_by=actor,
        recorded_by_name=actor_display(actor),
        recorded_at=now,
        updated_at=now,
        confidential=confidential,
        confidentiality_reason=reason,
        follow_up=FollowUp.OPEN if outcome in Outcome.awaiting_follow_up() else FollowUp.NONE,
    )
    rows = ItemFinding.objects.bulk_create(
        ItemFinding(
            result=result,
            check_item=item,
            compliant=findings[item.pk].compliant,
            finding=findings[item.pk].finding,
            legal_basis=findings[item.pk].legal_basis,
        )
        for item in items
    )
    task_cas(task, InspectionTaskStatus.CHECKED_IN, InspectionTaskStatus.RESULT_RECORDED)
    audit_log(
        actor=actor,
        action="inspections.result_recorded",
        obj=task,
        data={
            "before": {"status": InspectionTaskStatus.CHECKED_IN},
            "after": {"status": InspectionTaskStatus.RESULT_RECORDED, **_result_state(result, rows)},
            "result": result.pk,
            "due_date": result.due_date,
            "due_provisional": result.due_provisional,
            "late": result.late,
        },
    )
    _notify_result_waits(actor=actor, task=task, result=result)
    return result


def _notify_result_waits(*, actor, task, result) -> None:
    """The team leads who may approve the new result are told by e-mail (a job, after commit)."""
    job_submit(
        kind="inspections.notify_result_approval", params={"result_id": result.pk}, bureau=task.bureau, actor=actor
    )


def _result_edit(
    *, actor, task, items, outcome, inspected_on, findings, summary, joint_units, confidential, reason, version
) -> tuple[InspectionResult, bool]:
    result = InspectionResult.objects.select_for_update().get(task=task)
    if result.approved_at is not None:
        raise DomainError(_("The result has been approved and can no longer be changed."))
    existing = {f.check_item_id: f for f in result.findings.all()}
    before = _result_state(result, existing.values())
    result.outcome, result.summary, result.inspected_on = outcome, summary, inspected_on
    result.joint_units, result.confidential, result.confidentiality_reason = joint_units, confidential, reason
    new_rows = []
    for item in items:
        given = findings[item.pk]
        row = existing.get(item.pk) or ItemFinding(result=result, check_item=item)
        row.compliant, row.finding, row.legal_basis = given.compliant, given.finding, given.legal_basis
        new_rows.append(row)
    after = _result_state(result, new_rows)
    if before == after:
        result.refresh_from_db()
        return result, False
    versions.check(task, before, version)
    fields = ["outcome", "summary", "inspected_on", "joint_units", "confidential", "confidentiality_reason"]
    if before["inspected_on"] != after["inspected_on"]:
        due = result_due(inspected_on)
        result.due_date, result.due_provisional = due.date, due.provisional
        result.late = _local_date(result.recorded_at) > due.date
        fields += ["due_date", "due_provisional", "late"]
    if before["outcome"] != after["outcome"]:
        result.follow_up = FollowUp.OPEN if outcome in Outcome.awaiting_follow_up() else FollowUp.NONE
        fields.append("follow_up")
    result.updated_at = timezone.now()
    result.save(update_fields=[*fields, "updated_at"])
    for row in new_rows:
        if row.pk is None:
            row.save()
        elif before["findings"].get(str(row.check_item_id)) != after["findings"][str(row.check_item_id)]:
            row.save(update_fields=["compliant", "finding", "legal_basis"])
    diff = _diff(before, after)
    if "findings" in diff["after"]:
        changed = [k for k in after["findings"] if before["findings"].get(k) != after["findings"][k]]
        diff["before"]["findings"] = {k: before["findings"].get(k) for k in changed}
        diff["after"]["findings"] = {k: after["findings"][k] for k in changed}
    audit_log(
        actor=actor,
        action="inspections.result_edited",
        obj=task,
        data={**diff, "result": result.pk, "due_date": result.due_date, "late": result.late},
    )
    return result, True


# --- a result without arrival (不配合检查情节严重, 无法联系) -----------------------------------------------


def _no_arrival_members(task: InspectionTask, member_ids) -> list[str] | None:
    """The names of the chosen current inspectors of the team, or ``None`` unless at least two were chosen."""
    try:
        ids = {int(pk) for pk in member_ids or ()}
    except (TypeError, ValueError):
        return None
    rows = list(
        TaskMember.objects.filter(task=task, active=True, inspector__isnull=False, pk__in=ids)
        .select_related("inspector")
        .order_by("position", "id")
    )
    if len(rows) != len(ids) or len(rows) < 2:
        return None
    return [f"{m.inspector.name}（{m.inspector.code}）" for m in rows]


def _validate_no_arrival(*, task, outcome, attempted_at, place, witness, members, has_files) -> dict:
    errors: dict[str | None, str] = {}
    if outcome not in Outcome.without_arrival():
        errors["outcome"] = _(
            "Without arrival only 不配合检查情节严重 or 通过登记的住所（经营场所）无法联系 can be recorded (rule 9)."
        )
    if attempted_at is None:
        errors["attempted_at"] = _("Give the time of the attempt.")
    elif attempted_at > timezone.now():
        errors["attempted_at"] = _("The attempt cannot be in the future.")
    else:
        refusal = _checkin_window_refusal(task, _local_date(attempted_at))
        if refusal:
            errors["attempted_at"] = str(refusal)
    if not place:
        errors["place"] = _("Give the place where the inspection was attempted.")
    if members is None:
        errors["members"] = _("Choose the (at least two) inspectors of the team who made the attempt.")
    if not witness and not has_files:
        errors["witness"] = _("Evidence is required: name a witness or attach at least one photo or document.")
    return errors


@_audits_refusal(_the_actor)
def result_record_without_arrival(
    *,
    actor,
    task: InspectionTask,
    outcome: str,
    attempted_at: datetime | None,
    place: str,
    members: list[int],
    witness: str = "",
    summary: str = "",
    files=(),
) -> tuple[InspectionResult, bool]:
    """Record 不配合检查情节严重 (entry refused) or 通过登记的住所（经营场所）无法联系 without a check-in.

    A member of the team records it with evidence of the attempt: its time and place, the (at least two)
    inspectors who made it (``members``: ids of the team's current inspector memberships) and a witness
    or at least one photo or document (``files``). The task moves ASSIGNED → RESULT_RECORDED; the result
    is approved and published like any other. Returns ``(result, created)``; the same record again is a
    no-op. Every refusal names its field; nothing is written unless everything is accepted.
    """
    place, witness, summary = _text(place, 255), _text(witness, NAME_MAX), _text(summary, TEXT_MAX)
    checked = []
    for upload in files or ():
        try:
            checked.append(uploads.check_upload(upload))
        except uploads.UploadRefused as exc:
            raise InvalidFields({"files": str(exc)}) from exc
    stored: list[str] = []
    try:
        with transaction.atomic():
            task = locked_task(task, "bureau", "draw", "enterprise")
            _require_team_member(actor, task)
            names = _no_arrival_members(task, members)
            existing = NoArrival.objects.filter(result__task=task).select_related("result").first()
            if existing is not None:
                same = (existing.result.outcome, existing.attempted_at, existing.place, existing.witness) == (
                    outcome,
                    attempted_at,
                    place,
                    witness,
                )
                if same and existing.members == names and not checked:
                    return existing.result, False
                raise DomainError(_("A result without arrival has already been recorded for this task."))
            if task.status == InspectionTaskStatus.CHECKED_IN:
                raise DomainError(_("The arrival has been confirmed: record the result with the result form."))
            if task.status != InspectionTaskStatus.ASSIGNED:
                raise _status_refusal(task)
            errors = _validate_no_arrival(
                task=task,
                outcome=outcome,
                attempted_at=attempted_at,
                place=place,
                witness=witness,
                members=names,
                has_files=bool(checked),
            )
            if errors:
                raise InvalidFields(errors)
            _refuse_unavailable_team(task, _local_date(attempted_at), RefusedStep.RESULT)
            result = _no_arrival_create(
                actor=actor, task=task, outcome=outcome, attempted_at=attempted_at, summary=summary
            )
            record = NoArrival.objects.create(
                result=result, attempted_at=attempted_at, place=place, witness=witness, members=names
            )
            for upload in files or ():
                attachment, _created = attachment_add(actor=actor, result=result, upload=upload)
                stored.append(attachment.file.name)
            task_cas(task, InspectionTaskStatus.ASSIGNED, InspectionTaskStatus.RESULT_RECORDED)
            audit_log(
                actor=actor,
                action="inspections.result_recorded_without_arrival",
                obj=task,
                data={
                    "before": {"status": InspectionTaskStatus.ASSIGNED},
                    "after": {"status": InspectionTaskStatus.RESULT_RECORDED, "outcome": outcome, "summary": summary},
                    "result": result.pk,
                    "no_arrival": record.pk,
                    "attempted_at": attempted_at,
                    "place": place,
                    "witness": witness,
                    "members": names,
                    "attachments": len(stored),
                    "due_date": result.due_date,
                    "late": result.late,
                },
            )
            _notify_result_waits(actor=actor, task=task, result=result)
            return result, True
    except BaseException:
        for name in stored:
            uploads.discard(name)
        raise


def _no_arrival_create(*, actor, task, outcome, attempted_at, summary) -> InspectionResult:
    now, inspected_on = timezone.now(), _local_date(attempted_at)
    due = result_due(inspected_on)
    return InspectionResult.objects.create(
        task=task,
        outcome=outcome,
        summary=summary,
        inspected_on=inspected_on,
        due_date=due.date,
        due_provisional=due.provisional,
        late=_local_date(now) > due.date,
        joint_units=task.joint_units,
        recorded_by=actor,
        recorded_by_name=actor_display(actor),
        recorded_at=now,
        updated_at=now,
    )


def result_approve(
    *,
    actor,
    result: InspectionResult,
    confidential: bool | None = None,
    confidentiality_reason: str = "",
    version: str | None = None,
) -> InspectionResult:
    """A team lead of the bureau who was not on the team approves a recorded result for publication.

    ``version``: that of the result the lead saw (:func:`result_version`); a result edited since is not
    approved (``core.versions.EditConflict``): the lead approves what he read.

    A confidential result (state secrets, national or public security; the lead may mark it so here,
    with the reason) moves the task to EXEMPT instead: it is never published. The same lead approving
    again is a no-op; of two leads approving at once, exactly one wins.
    """
    reason = _text(confidentiality_reason, TEXT_MAX)
    with transaction.atomic():
        task = locked_task(result.task, "bureau", "draw", "enterprise")
        _require_lead(actor, task)
        if is_team_member(actor, task):
            raise DomainError(_("You were on the inspection team: another team lead must approve the result."))
        result = InspectionResult.objects.select_for_update().get(pk=result.pk)
        if result.approved_at is not None:
            if result.approved_by_id == actor.pk:
                return result
            raise DomainError(
                _("This result has already been approved by %(name)s.") % {"name": result.approved_by_name}
            )
        if task.status != InspectionTaskStatus.RESULT_RECORDED:
            raise _status_refusal(task)
        versions.check(task, _result_state(result, result.findings.all()), version)
        before = {
            "status": task.status,
            "confidential": result.confidential,
            "confidentiality_reason": result.confidentiality_reason,
        }
        if confidential is not None:
            if confidential and not (reason or result.confidentiality_reason):
                raise InvalidFields(
                    {"confidentiality_reason": _("Give the reason (state secrets, national or public security).")}
                )
            result.confidential = confidential
            result.confidentiality_reason = (reason or result.confidentiality_reason) if confidential else ""
        new_status = InspectionTaskStatus.EXEMPT if result.confidential else InspectionTaskStatus.RESULT_APPROVED
        task_cas(task, InspectionTaskStatus.RESULT_RECORDED, new_status)
        result.approved_by, result.approved_by_name, result.approved_at = actor, actor_display(actor), timezone.now()
        result.save(
            update_fields=["approved_by", "approved_by_name", "approved_at", "confidential", "confidentiality_reason"]
        )
        exemption = exemption_record(task=task, result=result, reason=reason) if result.confidential else None
        audit_log(
            actor=actor,
            action="inspections.result_exempted" if result.confidential else "inspections.result_approved",
            obj=task,
            data={
                "before": before,
                "after": {
                    "status": new_status,
                    "confidential": result.confidential,
                    "confidentiality_reason": result.confidentiality_reason,
                },
                "result": result.pk,
                "outcome": result.outcome,
                **({"exemption": exemption.pk} if exemption else {}),
            },
        )
        hooks.result_approved(actor=actor, task=task, result=result)
        return result


def result_change_outcome(
    *, actor, result: InspectionResult, new_outcome: str, reason: str, case_number: str = ""
) -> OutcomeChange:
    """Close the follow-up of an approved 发现问题待后续处理 result (seed 002 (五)), recorded with the reason.

    ``new_outcome`` 未发现问题: no violation was confirmed, the outcome changes. ``new_outcome``
    发现问题待后续处理: a case was filed (``case_number``), the outcome stays. Nothing else is possible.
    A team lead or a member of the team decides; the same decision again is a no-op.
    """
    reason, case_number = _text(reason, TEXT_MAX), _text(case_number, 80)
    with transaction.atomic():
        task = locked_task(result.task, "bureau", "draw", "enterprise")
        if not (has_role(actor, task.bureau, Role.TEAM_LEAD) or is_team_member(actor, task)):
            raise PermissionDenied
        result = InspectionResult.objects.select_for_update().get(pk=result.pk)
        if result.follow_up in FollowUp.closed_states():
            last = result.outcome_changes.order_by("-at", "-id").first()
            if (
                last is not None
                and last.new_outcome == new_outcome
                and (new_outcome != Outcome.PENDING_FOLLOW_UP or last.case_number == case_number)
            ):
                return last
            raise DomainError(_("The follow-up of this result has already been closed."))
        if result.outcome != Outcome.PENDING_FOLLOW_UP:
            raise DomainError(_("Only a result 发现问题待后续处理 can change after approval."))
        if result.approved_at is None:
            raise DomainError(_("The result is not approved yet: the team can still edit it."))
        errors = {}
        if not reason:
            errors["reason"] = _("Give the reason (the conclusion of the investigation).")
        if new_outcome == Outcome.NO_PROBLEM:
            kind, follow_up = OutcomeChangeKind.CHANGED, FollowUp.NO_VIOLATION
        elif new_outcome == Outcome.PENDING_FOLLOW_UP:
            kind, follow_up = OutcomeChangeKind.CONFIRMED, FollowUp.CASE_FILED
            if not case_number:
                errors["case_number"] = _("Give the number of the case filed.")
        else:
            errors["new_outcome"] = _("A result 发现问题待后续处理 becomes 未发现问题 or stays as it is.")
        if errors:
            raise InvalidFields(errors)
        now = timezone.now()
        change = OutcomeChange.objects.create(
            result=result,
            kind=kind,
            old_outcome=result.outcome,
            new_outcome=new_outcome,
            reason=reason,
            case_number=case_number if kind == OutcomeChangeKind.CONFIRMED else "",
            actor=actor,
            actor_name=actor_display(actor),
            at=now,
        )
        before = {"outcome": result.outcome, "follow_up": result.follow_up, "case_number": result.case_number}
        result.outcome, result.follow_up, result.follow_up_closed_at = new_outcome, follow_up, now
        result.case_number = change.case_number
        result.save(update_fields=["outcome", "follow_up", "follow_up_closed_at", "case_number"])
        audit_log(
            actor=actor,
            action="inspections.outcome_changed"
            if kind == OutcomeChangeKind.CHANGED
            else "inspections.outcome_confirmed",
            obj=task,
            data={
                "before": before,
                "after": {"outcome": result.outcome, "follow_up": result.follow_up, "case_number": result.case_number},
                "reason": reason,
                "result": result.pk,
                "change": change.pk,
            },
        )
        publication_follow_outcome(actor=actor, task=task, outcome=result.outcome)  # if already published
        return change


# --- evidence -----------------------------------------------------------------------------------------


def _editable_result(actor, result: InspectionResult) -> tuple[InspectionTask, InspectionResult]:
    task = locked_task(result.task, "bureau", "draw", "enterprise")
    _require_team_member(actor, task)
    result = InspectionResult.objects.select_for_update().get(pk=result.pk)
    if result.approved_at is not None:
        raise DomainError(_("The result has been approved: its attachments can no longer change."))
    return task, result


def attachment_add(*, actor, result: InspectionResult, upload) -> tuple[Attachment, bool]:
    """Attach a photo or document (JPEG, PNG or PDF by content, at most 10 MB) before approval.

    Returns ``(attachment, created)``: the same file (same SHA-256) attached again is not stored twice.
    A file stored by a transaction that then fails is deleted (no orphan in the storage).
    """
    checked = uploads.check_upload(upload)
    with transaction.atomic():
        task, result = _editable_result(actor, result)

        def create(stored, checked):
            attachment = Attachment.objects.create(result=result, **uploads.file_fields(stored, checked, actor))
            audit_log(
                actor=actor,
                action="inspections.attachment_added",
                obj=task,
                data={
                    "attachment": attachment.pk,
                    "name": attachment.original_name,
                    "type": attachment.content_type,
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                },
            )
            return attachment

        return uploads.add_once(
            upload,
            checked=checked,
            existing=Attachment.objects.current().filter(result=result),
            limit=uploads.MAX_FILES_PER_RESULT,
            too_many=_("At most %(max)s files per result.") % {"max": uploads.MAX_FILES_PER_RESULT},
            create=create,
        )


def attachment_remove(*, actor, attachment: Attachment) -> Attachment:
    """Withdraw an attachment before approval. The file is kept as evidence of what was uploaded."""
    with transaction.atomic():
        task, _result = _editable_result(actor, attachment.result)
        attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
        if attachment.removed_at is not None:
            return attachment
        attachment.removed_by, attachment.removed_at = actor, timezone.now()
        attachment.save(update_fields=["removed_by", "removed_at"])
        audit_log(
            actor=actor,
            action="inspections.attachment_removed",
            obj=task,
            data={"attachment": attachment.pk, "name": attachment.original_name, "sha256": attachment.sha256},
        )
        return attachment


# --- enterprise evaluation (企业评价) -------------------------------------------------------------------


def evaluation_submit(
    *,
    task: InspectionTask,
    rating: int,
    code: str,
    comment: str = "",
    ip: str | None = None,
    user_agent: str = "",
    marks: dict | None = None,
) -> tuple[Evaluation, bool]:
    """The enterprise rates the inspection (1–5) through the task's QR code and a one-time ``code`` sent to its
    registered contact, once, after the result's approval.

    Returns ``(evaluation, created)``: a second submission returns the first evaluation unchanged.
    """
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if rating not in Rating.values:
        raise InvalidFields({"rating": _("Choose a rating from 1 to 5.")})
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidFields({"comment": _("At most %(max)s characters.") % {"max": COMMENT_MAX}})
    refusal = None
    with transaction.atomic():
        task = locked_task(task, "bureau", "draw", "enterprise")
        existing = Evaluation.objects.filter(task=task).first()
        if existing is not None:
            return existing, False
        if task.status not in APPROVED_STATES:
            raise DomainError(_("The inspection can be rated once its result has been approved."))
        refusal = codes.code_use(task=task, purpose=CodePurpose.EVALUATION, code=code)
        if refusal is None:
            flags = codes.suspicions(task, marks or {"ip": ip})
            try:
                with transaction.atomic():
                    evaluation = Evaluation.objects.create(
                        task=task,
                        rating=rating,
                        comment=comment,
                        at=timezone.now(),
                        ip=ip or None,
                        user_agent=(user_agent or "")[:255],
                        suspicions=flags,
                    )
            except IntegrityError:
                return Evaluation.objects.get(task=task), False
            audit_log(
                actor=task.enterprise.name[:150],
                action="inspections.evaluation_submitted",
                obj=task,
                data={
                    "evaluation": evaluation.pk,
                    "rating": rating,
                    "comment": comment,
                    "ip": ip or "",
                    "code": "verified",
                    "shared_with_team": flags,
                },
            )
    if refusal is not None:
        raise InvalidFields({"code": str(refusal)})
    return evaluation, True


def evaluation_record_paper(
    *, actor, task: InspectionTask, rating: int, comment: str = "", scan
) -> tuple[Evaluation, bool]:
    """The rating of an enterprise without a registered contact, given on a paper form it signed: a team lead of
    the bureau who is not on the task's team records it with the form's scan. The evaluation is marked ``paper``.

    Refused when the enterprise has a registered contact (the one-time code is then the only way) and before the
    result's approval. Returns ``(evaluation, created)``; a repeat returns the first evaluation unchanged.
    """
    errors = {}
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if rating not in Rating.values:
        errors["rating"] = _("Choose a rating from 1 to 5.")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = _("At most %(max)s characters.") % {"max": COMMENT_MAX}
    try:
        checked = _checked_scan(scan)
    except InvalidFields as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidFields(errors)
    stored = None
    try:
        with transaction.atomic():
            task = locked_task(task, "bureau", "draw", "enterprise")
            if not has_role(actor, task.bureau, Role.TEAM_LEAD):
                raise PermissionDenied
            if is_team_member(actor, task):
                raise DomainError(_("A member of the inspection team does not record the enterprise's rating of it."))
            existing = Evaluation.objects.filter(task=task).first()
            if existing is not None:
                return existing, False
            if task.status not in APPROVED_STATES:
                raise DomainError(_("The inspection can be rated once its result has been approved."))
            _refuse_with_contact(task, CodePurpose.EVALUATION)
            stored = uploads.store(scan, checked)
            paper = _scan_create(actor=actor, task=task, purpose=CodePurpose.EVALUATION, checked=checked, stored=stored)
            evaluation = Evaluation.objects.create(
                task=task,
                rating=rating,
                comment=comment,
                at=timezone.now(),
                method=EvaluationMethod.PAPER,
                recorded_by=actor,
                recorded_by_name=actor_display(actor),
                scan=paper,
            )
            audit_log(
                actor=actor,
                action="inspections.evaluation_recorded_on_paper",
                obj=task,
                data={
                    "evaluation": evaluation.pk,
                    "rating": rating,
                    "comment": comment,
                    "method": EvaluationMethod.PAPER,
                    **_scan_data(paper),
                },
            )
            return evaluation, True
    except BaseException:
        if stored is not None:
            uploads.discard(stored)
        raise


# --- off-site checks of positive-list units (非现场检查, seed 004) -----------------------------------------


def offsite_check_record(
    *, actor, enterprise, checked_on: date | None, method: str, notes: str = ""
) -> tuple[OffsiteCheck, bool]:
    """Record the quarter's off-site check of a positive-list unit (a team lead or an inspector of its bureau).

    One per unit and quarter (the quarter of ``checked_on``); the same record again is a no-op. Returns
    ``(check, created)``. Every refusal names its field.
    """
    if not has_role(actor, enterprise.bureau, Role.TEAM_LEAD, Role.INSPECTOR):
        raise PermissionDenied
    method, notes = _text(method, 120), _text(notes, TEXT_MAX)
    errors: dict[str | None, str] = {}
    if not enterprise.positive_list:
        errors["enterprise"] = _("Off-site checks are recorded for positive-list (正面清单) units only.")
    if checked_on is None:
        errors["checked_on"] = _("Give the day of the off-site check.")
    elif checked_on > timezone.localdate():
        errors["checked_on"] = _("The off-site check cannot be in the future.")
    if not method:
        errors["method"] = _("Say how the unit was checked off-site (e.g. automatic monitoring data).")
    if errors:
        raise InvalidFields(errors)
    year, quarter = checked_on.year, (checked_on.month - 1) // 3 + 1
    with transaction.atomic():
        existing = OffsiteCheck.objects.select_for_update().filter(enterprise=enterprise, year=year, quarter=quarter)
        existing = existing.first()
        if existing is not None:
            if (existing.checked_on, existing.method, existing.notes) == (checked_on, method, notes):
                return existing, False
            raise InvalidFields(
                {
                    "checked_on": _("This unit's off-site check of %(year)sQ%(q)s is already recorded.")
                    % {"year": year, "q": quarter}
                }
            )
        check = OffsiteCheck.objects.create(
            bureau=enterprise.bureau,
            enterprise=enterprise,
            year=year,
            quarter=quarter,
            checked_on=checked_on,
            method=method,
            notes=notes,
            recorded_by=actor,
            recorded_by_name=actor_display(actor),
        )
        audit_log(
            actor=actor,
            action="inspections.offsite_check_recorded",
            obj=enterprise,
            data={"check": check.pk, "year": year, "quarter": quarter, "checked_on": checked_on, "method": method},
        )
        return check, True


# --- confidential views ---------------------------------------------------------------------------------


def task_record_view(*, actor, task: InspectionTask, what: str) -> None:
    """Write that ``actor`` (not on the team) saw a task before its inspection (DESIGN §3 rule 8)."""
    with transaction.atomic():
        audit_log(actor=actor, action="inspections.task_viewed", obj=task, data={"what": what, "status": task.status})


def notice_record_issued(*, actor, task: InspectionTask) -> None:
    """Write that ``actor`` generated the task's inspection notice (it carries the check-in QR code)."""
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="inspections.notice_issued",
            obj=task,
            data={"status": task.status, "team_member": is_team_member(actor, task)},
        )


def task_list_record_view(*, actor, bureau, numbers: list[str]) -> None:
    """Write that ``actor`` saw a list page showing tasks before their inspection."""
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="inspections.task_list_viewed",
            bureau=bureau,
            object_repr=", ".join(numbers)[:255],
            data={"tasks": numbers},
        )
