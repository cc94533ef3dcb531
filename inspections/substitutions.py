"""Substitutions as a two-person act (DESIGN §3 rules 7 and 16): one team lead proposes, another approves.

* :func:`substitution_propose` — a team lead (never the administrator) proposes to replace a task's
  enterprise or one of its inspectors, with a reason category; "closed" and "suspended" must match the
  enterprise's status in the registry, "unreachable" and "other" need a written explanation. One open
  proposal per task.
* :func:`substitution_approve` — a team lead other than the proposer approves it: the reason is checked
  again and the substitution is made there and then (:func:`inspections.assignment.draw_substitute_enterprise`
  or :func:`~inspections.assignment.draw_substitute_inspector`), in the same transaction.
* :func:`substitution_reject` — a team lead rejects it with a reason; the proposer himself may withdraw it.

Every step locks the proposal, checks its state, moves it by a compare-and-swap and writes its audit entry,
in one transaction: of two leads approving at once, one makes the substitution and the other is told so.
This module alone writes ``SubstitutionRequest.status``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.access import has_role
from core.audit import actor_display, audit_log
from core.enums import Role
from core.errors import DomainError
from enterprises.enums import EnterpriseStatus
from inspectors.models import Inspector
from sampling.enums import DrawStatus

from . import assignment
from .enums import InspectionTaskStatus, SubstitutionKind, SubstitutionReason, SubstitutionRequestStatus
from .models import InspectionTask, SubstitutionRequest
from .transitions import locked_task

NOTE_MAX = 255
PROPOSERS = (Role.TEAM_LEAD,)


def _require_lead(actor, task: InspectionTask) -> None:
    if not has_role(actor, task.bureau, *PROPOSERS):
        raise PermissionDenied


def _reason_refusal(kind: str, reason_code: str, note: str, task: InspectionTask) -> str | None:
    """Why the reason cannot be accepted for this task now, or None."""
    if reason_code not in SubstitutionReason.for_kind(kind):
        return _("Choose one of the reasons offered.")
    if reason_code in SubstitutionReason.needs_note() and not note:
        return _("Explain the reason (what was tried, what happened).")
    required = SubstitutionReason.registry_status().get(reason_code)
    status = task.enterprise.status
    if required is not None and status != required:
        return _(
            "The registry shows %(enterprise)s as %(status)s, not %(required)s: record the change of status in "
            "the registry first, or choose another reason."
        ) % {
            "enterprise": task.enterprise.name,
            "status": EnterpriseStatus(status).label,
            "required": EnterpriseStatus(required).label,
        }
    return None


def _open_task(task: InspectionTask) -> None:
    if task.draw.status != DrawStatus.APPROVED:
        raise DomainError(_("Substitutions are made in approved draws only."))
    if task.status != InspectionTaskStatus.ASSIGNED:
        raise DomainError(
            _("Only a task not yet started can be changed (this one is %(status)s).")
            % {"status": task.get_status_display()}
        )


def substitution_propose(
    *, actor, task: InspectionTask, kind: str, reason_code: str, note: str = "", inspector: Inspector | None = None
) -> SubstitutionRequest:
    """A team lead proposes a substitution; nothing changes in the draw until another lead approves it."""
    note = (note or "").strip()[:NOTE_MAX]
    if kind not in SubstitutionKind.values:
        raise DomainError(_("Choose what to replace."))
    with transaction.atomic():
        task = locked_task(task, "bureau", "draw", "enterprise")
        _require_lead(actor, task)
        _open_task(task)
        if kind == SubstitutionKind.INSPECTOR:
            if inspector is None or not task.members.filter(inspector=inspector, active=True).exists():
                raise DomainError(_("Choose an inspector of this team."))
        else:
            inspector = None
        refusal = _reason_refusal(kind, reason_code, note, task)
        if refusal:
            raise DomainError(refusal)
        open_request = SubstitutionRequest.objects.filter(task=task, status=SubstitutionRequestStatus.PROPOSED).first()
        if open_request is not None:
            raise DomainError(
                _("A substitution of this task proposed by %(name)s awaits a decision.")
                % {"name": open_request.proposed_by_name}
            )
        try:
            with transaction.atomic():
                request = SubstitutionRequest.objects.create(
                    draw=task.draw,
                    task=task,
                    kind=kind,
                    inspector=inspector,
                    reason_code=reason_code,
                    note=note,
                    proposed_by=actor,
                    proposed_by_name=actor_display(actor),
                    proposed_at=timezone.now(),
                )
        except IntegrityError as exc:
            raise DomainError(_("Another substitution of this task was proposed meanwhile. Reload the page.")) from exc
        audit_log(
            actor=actor,
            action="draw.substitution_proposed",
            obj=task.draw,
            data={
                "request": request.pk,
                "task": task.number,
                "kind": kind,
                "inspector": inspector.code if inspector else "",
                "reason": reason_code,
                "note": note,
                "after": {"status": SubstitutionRequestStatus.PROPOSED},
            },
        )
        return request


def _locked_request(request: SubstitutionRequest) -> SubstitutionRequest:
    return (
        SubstitutionRequest.objects.select_for_update(of=("self",))
        .select_related("task__bureau", "task__draw", "task__enterprise", "inspector")
        .get(pk=request.pk)
    )


def _decided_refusal(request: SubstitutionRequest) -> DomainError:
    return DomainError(
        _("This substitution was already decided: %(status)s by %(name)s.")
        % {"status": request.get_status_display(), "name": request.decided_by_name}
    )


def _move(request: SubstitutionRequest, new: str, **fields) -> None:
    """Compare-and-swap PROPOSED → ``new``; refuse if somebody decided it meanwhile."""
    if not SubstitutionRequest.objects.filter(pk=request.pk, status=SubstitutionRequestStatus.PROPOSED).update(
        status=new, **fields
    ):
        raise _decided_refusal(SubstitutionRequest.objects.get(pk=request.pk))
    request.status = new
    for name, value in fields.items():
        setattr(request, name, value)


def substitution_approve(*, actor, request: SubstitutionRequest) -> SubstitutionRequest:
    """A second team lead approves a proposal: the reason is checked again and the substitution is made."""
    with transaction.atomic():
        request = _locked_request(request)
        task = request.task
        _require_lead(actor, task)
        if request.status == SubstitutionRequestStatus.APPROVED and request.decided_by_id == actor.pk:
            return request  # a repeat is a no-op
        if request.status != SubstitutionRequestStatus.PROPOSED:
            raise _decided_refusal(request)
        if request.proposed_by_id == actor.pk:
            raise DomainError(_("You proposed this substitution: another team lead must approve it."))
        task.enterprise.refresh_from_db(fields=["status"])
        refusal = _reason_refusal(request.kind, request.reason_code, request.note, task)
        if refusal:
            raise DomainError(refusal)
        with translation.override("zh-hans"):
            reason = request.reason_text
        if request.kind == SubstitutionKind.ENTERPRISE:
            substitution = assignment.draw_substitute_enterprise(
                actor=actor, task=task, reason=reason, approval=request
            )
        else:
            substitution = assignment.draw_substitute_inspector(
                actor=actor, task=task, inspector=request.inspector, reason=reason, approval=request
            )
        now = timezone.now()
        _move(
            request,
            SubstitutionRequestStatus.APPROVED,
            decided_by=actor,
            decided_by_name=actor_display(actor),
            decided_at=now,
            substitution=substitution,
        )
        details = dict(substitution.details, proposed_by=request.proposed_by_name, request=request.pk)
        substitution.details = details
        substitution.save(update_fields=["details"])
        audit_log(
            actor=actor,
            action="draw.substitution_approved",
            obj=task.draw,
            data={
                "request": request.pk,
                "task": task.number,
                "kind": request.kind,
                "proposed_by": request.proposed_by_name,
                "substitution": substitution.pk,
                "before": {"status": SubstitutionRequestStatus.PROPOSED},
                "after": {"status": SubstitutionRequestStatus.APPROVED},
            },
        )
        return request


def substitution_reject(*, actor, request: SubstitutionRequest, reason: str) -> SubstitutionRequest:
    """Another team lead rejects a proposal with a reason; the proposer may withdraw his own."""
    reason = (reason or "").strip()[:NOTE_MAX]
    if not reason:
        raise DomainError(_("Give the reason for rejecting the substitution."))
    with transaction.atomic():
        request = _locked_request(request)
        _require_lead(actor, request.task)
        new = (
            SubstitutionRequestStatus.WITHDRAWN
            if request.proposed_by_id == actor.pk
            else SubstitutionRequestStatus.REJECTED
        )
        if request.status == new and request.decided_by_id == actor.pk:
            return request
        if request.status != SubstitutionRequestStatus.PROPOSED:
            raise _decided_refusal(request)
        _move(
            request,
            new,
            decided_by=actor,
            decided_by_name=actor_display(actor),
            decided_at=timezone.now(),
            decision_note=reason,
        )
        audit_log(
            actor=actor,
            action=f"draw.substitution_{new}",
            obj=request.draw,
            data={
                "request": request.pk,
                "task": request.task.number,
                "reason": reason,
                "before": {"status": SubstitutionRequestStatus.PROPOSED},
                "after": {"status": new},
            },
        )
        return request
