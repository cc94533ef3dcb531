"""A recorded outcome corrected after its approval, and the public row with it, in one transaction.

:func:`result_correct` is the one audited way an approved result's outcome changes for a reason found
later: a case investigation or a transferred case that found no violation (seed 002 (五)), an objection
upheld. It records an :class:`~inspections.models.OutcomeChange` (with its source), writes the audit
entry on the task, and — if the result is published — gives the public row the new outcome through
:func:`inspections.publication.publication_follow_outcome`, whose entry carries the publication's state
digest (``core.audit`` STATE_FIELDS), so ``verify_audit`` still matches the row.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import roles_in
from core.audit import actor_display, audit_log
from core.enums import Role
from core.errors import DomainError

from .access import is_team_member
from .enums import CorrectionSource, FollowUp, Outcome, OutcomeChangeKind
from .models import InspectionResult, InspectionTask, OutcomeChange
from .publication import publication_follow_outcome
from .services import TEXT_MAX, InvalidFields
from .transitions import locked_task

# Who may correct: the bureau's team leads and administrators, and the task's team.
CORRECTOR_ROLES = frozenset({Role.TEAM_LEAD, Role.ADMIN})


def _follow_up_after(result: InspectionResult, outcome: str) -> str:
    """Where the result's follow-up stands once its outcome is ``outcome``."""
    if outcome in Outcome.awaiting_follow_up():
        return result.follow_up if result.follow_up in FollowUp.closed_states() else FollowUp.OPEN
    if result.outcome in Outcome.awaiting_follow_up():
        return FollowUp.NO_VIOLATION if outcome == Outcome.NO_PROBLEM else FollowUp.NONE
    return result.follow_up


def result_correct(*, actor, task: InspectionTask, outcome: str, reason: str, source: str) -> InspectionResult:
    """Change the approved result of ``task`` to ``outcome`` (and its public row, if published).

    ``source`` (:class:`~inspections.enums.CorrectionSource`) says what found it; ``reason`` is required.
    The same outcome again is a no-op. Refused: a result not approved yet (the team still edits it), an
    unknown outcome or source (named by field), a user who is neither a lead, an administrator nor on the
    team (``PermissionDenied``); auditors never change anything.
    """
    reason = (reason or "").strip()[:TEXT_MAX]
    with transaction.atomic():
        task = locked_task(task, "bureau")
        if not (roles_in(actor, task.bureau) & CORRECTOR_ROLES or is_team_member(actor, task)):
            raise PermissionDenied
        result = InspectionResult.objects.select_for_update().filter(task=task).first()
        if result is None or result.approved_at is None:
            raise DomainError(_("Only an approved result can be corrected."))
        errors = {}
        if outcome not in Outcome.values:
            errors["outcome"] = _("Choose one of the outcome categories.")
        if source not in CorrectionSource.values:
            errors["source"] = _("Say what corrected the outcome.")
        if not reason:
            errors["reason"] = _("Give the reason for the correction.")
        if errors:
            raise InvalidFields(errors)
        if result.outcome == outcome:
            return result  # a repeat is a no-op
        now = timezone.now()
        before = {"outcome": result.outcome, "follow_up": result.follow_up}
        follow_up = _follow_up_after(result, outcome)
        change = OutcomeChange.objects.create(
            result=result,
            kind=OutcomeChangeKind.CORRECTED,
            old_outcome=result.outcome,
            new_outcome=outcome,
            reason=reason,
            source=source,
            actor=actor,
            actor_name=actor_display(actor),
            at=now,
        )
        fields = ["outcome", "follow_up"]
        if follow_up != result.follow_up and follow_up in FollowUp.closed_states():
            result.follow_up_closed_at = now
            fields.append("follow_up_closed_at")
        result.outcome, result.follow_up = outcome, follow_up
        result.save(update_fields=fields)
        audit_log(
            actor=actor,
            action="inspections.result_corrected",
            obj=task,
            data={
                "before": before,
                "after": {"outcome": outcome, "follow_up": follow_up},
                "reason": reason,
                "source": source,
                "result": result.pk,
                "change": change.pk,
            },
        )
        publication_follow_outcome(actor=actor, task=task, outcome=outcome)  # the public row, if published
        return result
