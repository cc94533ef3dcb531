"""Every state change after the inspection: the rectification order and its follow-up visit (整改回访),
the case (立案) and the transfer (移交). This module alone writes the status columns of
:class:`~followup.models.Rectification`, :class:`~followup.models.Case` and :class:`~followup.models.Transfer`.

Rectification: created OPEN when a result with a problem to rectify is approved (:func:`rectification_open`,
registered in ``inspections.hooks``), with its deadline in working days (the bureau's setting); OPEN →
RECTIFIED or NOT_RECTIFIED (:func:`visit_record`); not rectified opens a case. Case: OPENED (from the result,
:func:`case_open`, or from the visit) → FILED (:func:`case_file`) → DECIDED (:func:`case_decide`) → CLOSED
(:func:`case_close`, also straight from FILED). Transfer: SENT (:func:`transfer_send`) → RECEIVED
(:func:`transfer_receive`) → CLOSED (:func:`transfer_close`). A case or a transfer that concludes on a
发现问题待后续处理 result resolves it (seed 002 (五)): no violation found → 未发现问题 through
:func:`inspections.corrections.result_correct`; violation confirmed → the outcome stays, recorded through
:func:`inspections.services.result_change_outcome`. The public row follows in the same transaction.

Services are keyword-only, run in one transaction, lock the row and move its status by compare-and-swap,
treat a repeat as a no-op, refuse with ``DomainError`` (fields named by ``InvalidFields``) or
``PermissionDenied``, and write the audit entry (on the task) in the same transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc

from core import versions
from core.access import has_role, roles_in
from core.audit import actor_display, audit_log
from core.enums import Role
from core.errors import DomainError
from core.models import Bureau
from core.public_cache import bump_public_version
from core.workdays import load_calendar
from enterprises.enums import RecordKind
from enterprises.models import EnterpriseRecord
from enterprises.services import enterprise_record_add
from inspections import uploads
from inspections.access import is_team_member
from inspections.corrections import result_correct
from inspections.enums import CorrectionSource, FollowUp, Outcome
from inspections.models import InspectionResult, InspectionTask
from inspections.services import APPROVED_STATES, InvalidFields, result_change_outcome

from .dates import due_soon_from, rectification_deadline
from .enums import (
    CaseOrigin,
    CaseStatus,
    Conclusion,
    FileOwner,
    PenaltyCategory,
    RectificationStatus,
    TransferStatus,
)
from .models import DEFAULT_RECTIFICATION_WORKING_DAYS, BureauPolicy, Case, FollowUpFile, Rectification, Transfer

TEXT_MAX = 4000
CASE_ROLES = (Role.TEAM_LEAD,)  # cases and transfers: the bureau's team leads
MAX_FILES = 30


# --- helpers -------------------------------------------------------------------------------------------


def _text(value, limit: int = TEXT_MAX) -> str:
    return (value or "").strip()[:limit]


def _require_case_role(actor, bureau) -> None:
    if not has_role(actor, bureau, *CASE_ROLES):
        raise PermissionDenied


def _require_visitor(actor, task: InspectionTask) -> None:
    """The follow-up visit: the task's team (inspectors of the bureau) or a team lead."""
    roles = roles_in(actor, task.bureau)
    if Role.TEAM_LEAD in roles:
        return
    if not (roles & {Role.INSPECTOR} and is_team_member(actor, task)):
        raise PermissionDenied


def _result(task: InspectionTask) -> InspectionResult:
    return InspectionResult.objects.select_for_update().get(task=task)


def _check_date(errors: dict, name: str, value: date | None, *, not_before: date | None, before_label: str) -> None:
    """Refuse (by field) a missing date, a date in the future or one before ``not_before``."""
    if value is None:
        errors[name] = _("Give the date.")
    elif value > timezone.localdate():
        errors[name] = _("The date cannot be in the future.")
    elif not_before is not None and value < not_before:
        errors[name] = _("The date cannot be before %(what)s (%(date)s).") % {
            "what": before_label,
            "date": not_before.isoformat(),
        }


def _cas_refusal(obj) -> DomainError:
    obj.refresh_from_db(fields=["status"])
    return DomainError(
        _("This changed meanwhile (it is now %(status)s). Reload the page.") % {"status": obj.get_status_display()}
    )


def _advance(obj, old: str, new: str, **fields):
    """Compare-and-set: move ``obj`` (a rectification, case or transfer its service locked and checked) from
    status ``old`` to ``new`` with ``fields`` (and ``updated_at`` where the table has one); a row that moved
    meanwhile refuses (:func:`_cas_refusal`). Returns the row as now stored."""
    # Each table by its name: tests/architecture finds the one writer of each status column by these calls.
    if isinstance(obj, Case):
        moved = Case.objects.filter(pk=obj.pk, status=old).update(status=new, updated_at=timezone.now(), **fields)
    elif isinstance(obj, Transfer):
        moved = Transfer.objects.filter(pk=obj.pk, status=old).update(status=new, updated_at=timezone.now(), **fields)
    else:
        moved = Rectification.objects.filter(pk=obj.pk, status=old).update(status=new, **fields)
    if not moved:
        raise _cas_refusal(obj)
    obj.refresh_from_db()
    return obj


def _audit_step(*, actor, action: str, task, obj, old: str, new: str, **data) -> None:
    """The audit entry of a step of ``obj`` (named on its task, the row by its kind), in the step's transaction."""
    audit_log(
        actor=actor,
        action=action,
        obj=task,
        data={obj._meta.model_name: obj.pk, "before": {"status": old}, "after": {"status": new}, **data},
    )


def _bump_public_after_commit() -> None:
    transaction.on_commit(bump_public_version)


# --- the bureau's setting ------------------------------------------------------------------------------


def rectification_working_days(bureau) -> int:
    value = BureauPolicy.objects.filter(bureau=bureau).values_list("rectification_working_days", flat=True).first()
    return value or DEFAULT_RECTIFICATION_WORKING_DAYS


def _policy_values(policy: BureauPolicy | None) -> dict:
    return {
        "rectification_working_days": policy.rectification_working_days
        if policy
        else DEFAULT_RECTIFICATION_WORKING_DAYS,
        "authority_uscc": policy.authority_uscc if policy else "",
    }


def policy_version(bureau) -> str:
    """The version of the bureau's settings an edit form carries (core/versions.py)."""
    policy = BureauPolicy.objects.filter(bureau=bureau).first()
    return versions.version(policy, _policy_values(policy))


def policy_update(
    *, actor, bureau, rectification_working_days: int, authority_uscc: str = "", version: str | None = None
) -> BureauPolicy:
    """The bureau's administrator sets the working days given to rectify (orders from now on) and the
    bureau's own unified social credit code (for the penalty exchange file). ``version``: that of the edit
    form; a change since then refuses with ``EditConflict``."""
    if not has_role(actor, bureau, Role.ADMIN):
        raise PermissionDenied
    days, code = rectification_working_days, _text(authority_uscc, 40).upper()
    errors = {}
    if not isinstance(days, int) or not 1 <= days <= 250:
        errors["rectification_working_days"] = _("Give a number of working days from 1 to 250.")
    if code and not uscc.is_valid(code):
        errors["authority_uscc"] = _("This is not a valid unified social credit code.")
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        Bureau.objects.select_for_update().get(pk=bureau.pk)  # the first save creates the row: one at a time
        policy = BureauPolicy.objects.select_for_update().filter(bureau=bureau).first()
        before = _policy_values(policy)
        after = {"rectification_working_days": days, "authority_uscc": code}
        if policy is not None and before == after:
            return policy
        versions.check(policy, before, version)
        now = timezone.now()
        if policy is None:
            policy = BureauPolicy.objects.create(
                bureau=bureau,
                rectification_working_days=days,
                authority_uscc=code,
                updated_by=actor,
                updated_by_name=actor_display(actor),
                updated_at=now,
            )
        else:
            policy.rectification_working_days, policy.authority_uscc = days, code
            policy.updated_by, policy.updated_by_name, policy.updated_at = actor, actor_display(actor), now
            policy.save(
                update_fields=[
                    "rectification_working_days",
                    "authority_uscc",
                    "updated_by",
                    "updated_by_name",
                    "updated_at",
                ]
            )
        audit_log(
            actor=actor,
            action="followup.policy_updated",
            obj=policy,
            bureau=bureau,
            data={"before": before, "after": after},
        )
        return policy


# --- rectification and the follow-up visit ------------------------------------------------------------


def rectification_open(
    *, actor, task: InspectionTask, result: InspectionResult, backfilled: bool = False
) -> Rectification | None:
    """Order the rectification of an approved result's problem, with its deadline (called at approval).

    Only for the outcomes of :meth:`Outcome.needs_rectification`; once per task. Runs inside the approval's
    transaction (``inspections.hooks``); the order dates from the day the inspection ended. ``backfilled``:
    ordered afterwards for a result approved before the follow-up existed (:func:`rectifications_backfill`).
    """
    if result.outcome not in Outcome.needs_rectification():
        return None
    if Rectification.objects.filter(task=task).exists():
        return None
    days = rectification_working_days(task.bureau)
    calendar = load_calendar()
    due = rectification_deadline(result.inspected_on, days, calendar)
    rectification = Rectification.objects.create(
        task=task,
        bureau=task.bureau,
        ordered_on=result.inspected_on,
        working_days=days,
        deadline=due.date,
        deadline_provisional=due.provisional,
        due_soon_from=due_soon_from(due.date, calendar),
        created_at=timezone.now(),
    )
    audit_log(
        actor=actor,
        action="followup.rectification_ordered",
        obj=task,
        data={
            "rectification": rectification.pk,
            "outcome": result.outcome,
            "ordered_on": result.inspected_on,
            "working_days": days,
            "deadline": due.date,
            "provisional": due.provisional,
            **({"backfilled": True} if backfilled else {}),
        },
    )
    return rectification


def rectifications_backfill(*, actor: str, bureau=None) -> list[Rectification]:
    """Order the rectifications that approved results with a problem found lack: those approved before the
    follow-up existed (the approval's hook then did nothing). The deadline counts, as at an approval, the
    bureau's working days from the day the inspection ended, so it may be past already (the visit is then
    overdue at once). One transaction per task, the task locked and the absence checked again inside it, and
    each order audited (``followup.rectification_ordered`` with ``"backfilled": true``); running it again
    orders nothing. ``actor``: the label of whoever runs it (a command). Returns the orders made."""
    wanted = (
        InspectionResult.objects.filter(
            task__status__in=APPROVED_STATES,
            outcome__in=Outcome.needs_rectification(),
            task__rectification__isnull=True,
        )
        .order_by("task_id")
        .values_list("task_id", flat=True)
    )
    if bureau is not None:
        wanted = wanted.filter(task__bureau=bureau)
    made = []
    for task_id in list(wanted):
        with transaction.atomic():
            task = InspectionTask.objects.select_for_update(of=("self",)).select_related("bureau").get(pk=task_id)
            result = InspectionResult.objects.get(task=task)
            if task.status not in APPROVED_STATES:
                continue
            rectification = rectification_open(actor=actor, task=task, result=result, backfilled=True)
            if rectification is not None:
                made.append(rectification)
    return made


def _add_file(*, actor, upload, owner: str, task, **target) -> tuple[FollowUpFile, bool]:
    """A visit's evidence or a transfer's document, checked and stored as a result's (``inspections.uploads``)."""

    def create(stored, checked):
        item = FollowUpFile.objects.create(owner=owner, **target, **uploads.file_fields(stored, checked, actor))
        audit_log(
            actor=actor,
            action="followup.file_added",
            obj=task,
            data={"file": item.pk, "owner": owner, "name": item.original_name, "sha256": item.sha256},
        )
        return item

    return uploads.add_once(
        upload,
        existing=FollowUpFile.objects.filter(owner=owner, **target),
        limit=MAX_FILES,
        too_many=_("At most %(max)s files.") % {"max": MAX_FILES},
        create=create,
    )


def visit_file_add(*, actor, rectification: Rectification, upload) -> tuple[FollowUpFile, bool]:
    """Attach evidence to an open follow-up visit (JPEG, PNG or PDF by content, like the result's files)."""
    with transaction.atomic():
        rectification = (
            Rectification.objects.select_for_update().select_related("task__bureau").get(pk=rectification.pk)
        )
        _require_visitor(actor, rectification.task)
        if rectification.status != RectificationStatus.OPEN:
            raise DomainError(_("The follow-up visit is recorded: its evidence can no longer change."))
        return _add_file(
            actor=actor, upload=upload, owner=FileOwner.VISIT, task=rectification.task, rectification=rectification
        )


def visit_record(
    *, actor, rectification: Rectification, rectified: bool, visited_on: date | None, findings: str
) -> Rectification:
    """Record the follow-up visit: rectified, or not (which opens a case, unless the result has one or
    was transferred). The public row shows 整改情况 from then on."""
    findings = _text(findings)
    with transaction.atomic():
        rectification = (
            Rectification.objects.select_for_update().select_related("task__bureau").get(pk=rectification.pk)
        )
        task = rectification.task
        _require_visitor(actor, task)
        new = RectificationStatus.RECTIFIED if rectified else RectificationStatus.NOT_RECTIFIED
        if rectification.status == new:
            return rectification  # a repeat is a no-op
        if rectification.status != RectificationStatus.OPEN:
            raise DomainError(_("The follow-up visit has already been recorded."))
        errors = {}
        _check_date(
            errors,
            "visited_on",
            visited_on,
            not_before=rectification.ordered_on,
            before_label=_("the inspection"),
        )
        if not findings:
            errors["findings"] = _("Say what the visit found.")
        if not rectified and not findings:
            errors["findings"] = _("Say what was not rectified.")
        if errors:
            raise InvalidFields(errors)
        now = timezone.now()
        rectification = _advance(
            rectification,
            RectificationStatus.OPEN,
            new,
            visited_on=visited_on,
            findings=findings,
            visited_by=actor,
            visited_by_name=actor_display(actor),
            recorded_at=now,
        )
        case = None
        if (
            not rectified
            and not Case.objects.filter(task=task).exists()
            and not Transfer.objects.filter(task=task).exists()
        ):
            case = _case_create(actor=actor, task=task, origin=CaseOrigin.VISIT, now=now)
        if not rectified:
            _record_once(
                actor=actor,
                enterprise=task.enterprise,
                kind=RecordKind.VIOLATION,
                date=visited_on,
                reference=task.number,
                description=f"回访未整改：{findings}",  # stored data, in the registry's language
            )
        _audit_step(
            actor=actor,
            action="followup.visit_recorded",
            task=task,
            obj=rectification,
            old=RectificationStatus.OPEN,
            new=new,
            visited_on=visited_on,
            late=visited_on > rectification.deadline,
            files=list(rectification.files.values_list("sha256", flat=True)),
            **({"case": case.pk} if case else {}),
        )
        _bump_public_after_commit()
        return rectification


def _record_once(*, actor, enterprise, kind: str, date: date, reference: str, description: str) -> None:
    """Put a record on the enterprise's credit record (it feeds the draws' risk weight), once per reference."""
    if EnterpriseRecord.objects.filter(enterprise=enterprise, kind=kind, reference=reference[:80]).exists():
        return
    enterprise_record_add(
        actor=actor, enterprise=enterprise, kind=kind, date=date, reference=reference, description=description
    )


# --- cases (立案) ----------------------------------------------------------------------------------------


def _case_create(*, actor, task, origin: str, now) -> Case:
    return Case.objects.create(
        task=task,
        bureau=task.bureau,
        origin=origin,
        opened_by=actor,
        opened_by_name=actor_display(actor),
        opened_at=now,
        updated_at=now,
    )


def _approved_problem(task) -> InspectionResult:
    result = InspectionResult.objects.filter(task=task).first()
    if result is None or result.approved_at is None:
        raise DomainError(_("The result is not approved yet."))
    if result.outcome not in Outcome.problems_found():
        raise DomainError(_("This result found no problem: there is nothing to file or transfer."))
    return result


def case_open(*, actor, task: InspectionTask) -> Case:
    """Open a case from an approved result that found a problem (a team lead). Once per result."""
    with transaction.atomic():
        task = InspectionTask.objects.select_for_update(of=("self",)).select_related("bureau").get(pk=task.pk)
        _require_case_role(actor, task.bureau)
        existing = Case.objects.filter(task=task).first()
        if existing is not None:
            return existing
        if Transfer.objects.filter(task=task).exists():
            raise DomainError(_("This result was transferred to another department: no case is filed here."))
        _approved_problem(task)
        case = _case_create(actor=actor, task=task, origin=CaseOrigin.RESULT, now=timezone.now())
        audit_log(
            actor=actor,
            action="followup.case_opened",
            obj=task,
            data={"case": case.pk, "after": {"status": CaseStatus.OPENED}, "origin": case.origin},
        )
        return case


def _locked_case(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("task__bureau").get(pk=case.pk)


def case_file(
    *,
    actor,
    case: Case,
    case_number: str,
    filed_on: date | None,
    legal_basis: str,
    violation_type: str = "",
    violation_facts: str = "",
) -> Case:
    """OPENED → FILED (立案) with the case number, the date and the legal basis."""
    case_number, legal_basis = _text(case_number, 80), _text(legal_basis)
    violation_type, violation_facts = _text(violation_type, 200), _text(violation_facts)
    with transaction.atomic():
        case = _locked_case(case)
        task = case.task
        _require_case_role(actor, task.bureau)
        if case.status != CaseStatus.OPENED:
            if case.status == CaseStatus.FILED and case.case_number == case_number:
                return case
            raise DomainError(_("This case has already been filed."))
        result = InspectionResult.objects.get(task=task)
        errors = {}
        if not case_number:
            errors["case_number"] = _("Give the case number.")
        elif Case.objects.filter(bureau=case.bureau, case_number=case_number).exclude(pk=case.pk).exists():
            errors["case_number"] = _("Another case of the bureau has this number.")
        _check_date(errors, "filed_on", filed_on, not_before=result.inspected_on, before_label=_("the inspection"))
        if not legal_basis:
            errors["legal_basis"] = _("Give the legal basis.")
        if errors:
            raise InvalidFields(errors)
        case = _advance(
            case,
            CaseStatus.OPENED,
            CaseStatus.FILED,
            case_number=case_number,
            filed_on=filed_on,
            legal_basis=legal_basis,
            violation_type=violation_type,
            violation_facts=violation_facts,
        )
        _audit_step(
            actor=actor,
            action="followup.case_filed",
            task=task,
            obj=case,
            old=CaseStatus.OPENED,
            new=CaseStatus.FILED,
            case_number=case_number,
            filed_on=filed_on,
            legal_basis=legal_basis,
        )
        return case


def _fine(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidFields({"fine": _("Give the amount in yuan, e.g. 50000.00.")}) from exc


def case_decide(
    *,
    actor,
    case: Case,
    decision_number: str,
    decided_on: date | None,
    penalty_category: str,
    penalty_content: str,
    penalty_basis: str = "",
    fine=None,
) -> Case:
    """FILED → DECIDED: the penalty decision (number, date, kind, content, fine in yuan)."""
    decision_number, penalty_content, penalty_basis = (
        _text(decision_number, 100),
        _text(penalty_content),
        _text(penalty_basis),
    )
    with transaction.atomic():
        case = _locked_case(case)
        task = case.task
        _require_case_role(actor, task.bureau)
        if case.status != CaseStatus.FILED:
            if case.status == CaseStatus.DECIDED and case.decision_number == decision_number:
                return case
            if case.status == CaseStatus.OPENED:
                raise DomainError(_("File the case first."))
            raise DomainError(_("A decision has already been recorded for this case."))
        errors = {}
        amount = None
        try:
            amount = _fine(fine)
        except InvalidFields as exc:
            errors.update(exc.errors)
        if amount is not None and amount < 0:
            errors["fine"] = _("The amount cannot be below zero.")
        elif amount is not None and amount != amount.quantize(Decimal("0.01")):
            errors["fine"] = _("Give the amount in yuan with at most two decimals.")
        if not decision_number:
            errors["decision_number"] = _("Give the number of the penalty decision.")
        _check_date(errors, "decided_on", decided_on, not_before=case.filed_on, before_label=_("the filing"))
        if penalty_category not in PenaltyCategory.values:
            errors["penalty_category"] = _("Choose the kind of penalty.")
        elif penalty_category == PenaltyCategory.FINE and amount is None:
            errors["fine"] = _("Give the amount of the fine.")
        if not penalty_content:
            errors["penalty_content"] = _("Describe the penalty.")
        if errors:
            raise InvalidFields(errors)
        case = _advance(
            case,
            CaseStatus.FILED,
            CaseStatus.DECIDED,
            decision_number=decision_number,
            decided_on=decided_on,
            penalty_category=penalty_category,
            penalty_content=penalty_content,
            penalty_basis=penalty_basis or case.legal_basis,
            fine=amount,
        )
        _record_once(
            actor=actor,
            enterprise=task.enterprise,
            kind=RecordKind.PENALTY,
            date=decided_on,
            reference=decision_number,
            description=f"{case.get_penalty_category_display()}：{penalty_content}",  # stored data
        )
        _audit_step(
            actor=actor,
            action="followup.case_decided",
            task=task,
            obj=case,
            old=CaseStatus.FILED,
            new=CaseStatus.DECIDED,
            decision_number=decision_number,
            decided_on=decided_on,
            penalty_category=penalty_category,
            fine=amount,
        )
        return case


def _resolve_pending(*, actor, task, conclusion: str, reason: str, source: str, reference: str) -> None:
    """Resolve a 发现问题待后续处理 result by what the investigation concluded (seed 002 (五))."""
    result = InspectionResult.objects.get(task=task)
    if result.outcome != Outcome.PENDING_FOLLOW_UP or result.follow_up != FollowUp.OPEN:
        return
    if conclusion == Conclusion.NO_VIOLATION:
        result_correct(actor=actor, task=task, outcome=Outcome.NO_PROBLEM, reason=reason, source=source)
    else:
        result_change_outcome(
            actor=actor, result=result, new_outcome=Outcome.PENDING_FOLLOW_UP, reason=reason, case_number=reference
        )


def case_close(*, actor, case: Case, closed_on: date | None, conclusion: str, reason: str = "") -> Case:
    """FILED or DECIDED → CLOSED with the conclusion; a case with a penalty decided confirmed a violation."""
    reason = _text(reason)
    with transaction.atomic():
        case = _locked_case(case)
        task = case.task
        _require_case_role(actor, task.bureau)
        if case.status == CaseStatus.CLOSED:
            if case.conclusion == conclusion and case.closed_on == closed_on:
                return case
            raise DomainError(_("This case is already closed."))
        if case.status == CaseStatus.OPENED:
            raise DomainError(_("File the case first."))
        errors = {}
        start = case.decided_on or case.filed_on
        label = _("the decision") if case.decided_on else _("the filing")
        _check_date(errors, "closed_on", closed_on, not_before=start, before_label=label)
        if conclusion not in Conclusion.values:
            errors["conclusion"] = _("Choose the conclusion.")
        elif conclusion == Conclusion.NO_VIOLATION and case.status == CaseStatus.DECIDED:
            errors["conclusion"] = _("A penalty was decided: the case confirmed a violation.")
        if conclusion == Conclusion.NO_VIOLATION and not reason:
            errors["reason"] = _("Give the reason (the conclusion of the investigation).")
        if errors:
            raise InvalidFields(errors)
        old = case.status
        case = _advance(case, old, CaseStatus.CLOSED, closed_on=closed_on, conclusion=conclusion)
        _audit_step(
            actor=actor,
            action="followup.case_closed",
            task=task,
            obj=case,
            old=old,
            new=CaseStatus.CLOSED,
            closed_on=closed_on,
            conclusion=conclusion,
            reason=reason,
        )
        words = reason or _("Case %(number)s closed: violation confirmed.") % {"number": case.case_number}
        _resolve_pending(
            actor=actor,
            task=task,
            conclusion=conclusion,
            reason=words,
            source=CorrectionSource.CASE,
            reference=case.case_number,
        )
        _bump_public_after_commit()
        return case


# --- transfers (移交) -------------------------------------------------------------------------------------


def _same_department(name: str, bureau) -> bool:
    def norm(text):
        return "".join((text or "").split()).casefold()

    return norm(name) in {norm(bureau.name), norm(bureau.short_name), norm(bureau.code)}


def transfer_send(
    *, actor, task: InspectionTask, department: str, transferred_on: date | None, reason: str
) -> Transfer:
    """Transfer an approved result's problem to the department that holds the power (a team lead)."""
    department, reason = _text(department, 120), _text(reason)
    with transaction.atomic():
        task = InspectionTask.objects.select_for_update(of=("self",)).select_related("bureau").get(pk=task.pk)
        _require_case_role(actor, task.bureau)
        existing = Transfer.objects.filter(task=task).first()
        if existing is not None:
            if existing.department == department and existing.transferred_on == transferred_on:
                return existing
            raise DomainError(_("This result has already been transferred."))
        if Case.objects.filter(task=task).exists():
            raise DomainError(_("A case was opened for this result: it is not transferred."))
        result = _approved_problem(task)
        errors = {}
        if not department:
            errors["department"] = _("Name the receiving department.")
        elif _same_department(department, task.bureau):
            errors["department"] = _("A transfer goes to another department, not to this bureau.")
        _check_date(
            errors, "transferred_on", transferred_on, not_before=result.inspected_on, before_label=_("the inspection")
        )
        if errors:
            raise InvalidFields(errors)
        now = timezone.now()
        transfer = Transfer.objects.create(
            task=task,
            bureau=task.bureau,
            department=department,
            transferred_on=transferred_on,
            reason=reason,
            sent_by=actor,
            sent_by_name=actor_display(actor),
            sent_at=now,
            updated_at=now,
        )
        audit_log(
            actor=actor,
            action="followup.transfer_sent",
            obj=task,
            data={
                "transfer": transfer.pk,
                "after": {"status": TransferStatus.SENT},
                "department": department,
                "transferred_on": transferred_on,
            },
        )
        return transfer


def _locked_transfer(transfer: Transfer) -> Transfer:
    return Transfer.objects.select_for_update().select_related("task__bureau").get(pk=transfer.pk)


def transfer_file_add(*, actor, transfer: Transfer, upload) -> tuple[FollowUpFile, bool]:
    """Attach a document of the transfer (the letter, the receipt) while it is not concluded."""
    with transaction.atomic():
        transfer = _locked_transfer(transfer)
        _require_case_role(actor, transfer.task.bureau)
        if transfer.status == TransferStatus.CLOSED:
            raise DomainError(_("The transfer is concluded: its documents can no longer change."))
        return _add_file(actor=actor, upload=upload, owner=FileOwner.TRANSFER, task=transfer.task, transfer=transfer)


def transfer_receive(
    *, actor, transfer: Transfer, receipt_number: str, received_by_name: str, received_on: date | None
) -> Transfer:
    """SENT → RECEIVED: the receiving department's receipt number and the person who received it."""
    receipt_number, received_by_name = _text(receipt_number, 80), _text(received_by_name, 60)
    with transaction.atomic():
        transfer = _locked_transfer(transfer)
        task = transfer.task
        _require_case_role(actor, task.bureau)
        if transfer.status != TransferStatus.SENT:
            if transfer.status == TransferStatus.RECEIVED and transfer.receipt_number == receipt_number:
                return transfer
            raise DomainError(_("The receipt of this transfer has already been recorded."))
        errors = {}
        if not receipt_number:
            errors["receipt_number"] = _("Give the receipt number.")
        if not received_by_name:
            errors["received_by_name"] = _("Name the person who received it.")
        _check_date(
            errors, "received_on", received_on, not_before=transfer.transferred_on, before_label=_("the transfer")
        )
        if errors:
            raise InvalidFields(errors)
        transfer = _advance(
            transfer,
            TransferStatus.SENT,
            TransferStatus.RECEIVED,
            receipt_number=receipt_number,
            received_by_name=received_by_name,
            received_on=received_on,
        )
        _audit_step(
            actor=actor,
            action="followup.transfer_received",
            task=task,
            obj=transfer,
            old=TransferStatus.SENT,
            new=TransferStatus.RECEIVED,
            receipt_number=receipt_number,
            received_by=received_by_name,
            received_on=received_on,
        )
        return transfer


def transfer_close(*, actor, transfer: Transfer, concluded_on: date | None, conclusion: str, note: str) -> Transfer:
    """RECEIVED → CLOSED: what the receiving department concluded (it resolves 发现问题待后续处理)."""
    note = _text(note)
    with transaction.atomic():
        transfer = _locked_transfer(transfer)
        task = transfer.task
        _require_case_role(actor, task.bureau)
        if transfer.status == TransferStatus.CLOSED:
            if transfer.conclusion == conclusion and transfer.concluded_on == concluded_on:
                return transfer
            raise DomainError(_("This transfer is already concluded."))
        if transfer.status != TransferStatus.RECEIVED:
            raise DomainError(_("Record the receipt first."))
        errors = {}
        _check_date(
            errors, "concluded_on", concluded_on, not_before=transfer.received_on, before_label=_("the receipt")
        )
        if conclusion not in Conclusion.values:
            errors["conclusion"] = _("Choose the conclusion.")
        if not note:
            errors["note"] = _("Say what the department found.")
        if errors:
            raise InvalidFields(errors)
        transfer = _advance(
            transfer,
            TransferStatus.RECEIVED,
            TransferStatus.CLOSED,
            concluded_on=concluded_on,
            conclusion=conclusion,
            conclusion_note=note,
        )
        _audit_step(
            actor=actor,
            action="followup.transfer_closed",
            task=task,
            obj=transfer,
            old=TransferStatus.RECEIVED,
            new=TransferStatus.CLOSED,
            concluded_on=concluded_on,
            conclusion=conclusion,
        )
        _resolve_pending(
            actor=actor,
            task=task,
            conclusion=conclusion,
            reason=note,
            source=CorrectionSource.TRANSFER,
            reference=transfer.receipt_number,
        )
        _bump_public_after_commit()
        return transfer
