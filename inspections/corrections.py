"""Corrections of an approved result's outcome (an upheld objection, an investigation's conclusion).

:func:`result_correct` changes the recorded outcome and, when the result is published, the public row's in
the same transaction, with an audit entry that names why (``source``) and the reason.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import has_role
from core.audit import audit_log
from core.enums import Role

from .enums import InspectionTaskStatus, Outcome
from .models import InspectionResult, InspectionTask
from .publication import publication_follow_outcome
from .services import InvalidFields
from .transitions import locked_task

CORRECTORS = (Role.TEAM_LEAD,)
CORRECTABLE_STATES = (InspectionTaskStatus.RESULT_APPROVED, InspectionTaskStatus.PUBLISHED)
REASON_MAX = 4000
SOURCE_MAX = 40


def result_correct(*, actor, task: InspectionTask, outcome: str, reason: str, source: str) -> InspectionResult:
    """A team lead of the task's bureau corrects the outcome of an approved (or published) result.

    The recorded outcome and the published one change together; the same outcome again is a no-op.
    Refuses an unknown outcome, a missing reason and a result that is not approved.
    """
    reason = (reason or "").strip()
    source = (source or "").strip()[:SOURCE_MAX]
    with transaction.atomic():
        task = locked_task(task, "bureau")
        if not has_role(actor, task.bureau, *CORRECTORS):
            raise PermissionDenied
        result = InspectionResult.objects.select_for_update().filter(task=task).first()
        if result is None or result.approved_at is None or task.status not in CORRECTABLE_STATES:
            raise InvalidFields({None: _("Only an approved or published result can be corrected.")})
        if outcome not in Outcome.values:
            raise InvalidFields({"outcome": _("Choose one of the outcome categories.")})
        if result.outcome == outcome:
            return result  # a repeat is a no-op
        errors = {}
        if not reason:
            errors["reason"] = _("Give the reason for the correction.")
        elif len(reason) > REASON_MAX:
            errors["reason"] = _("At most %(max)s characters.") % {"max": REASON_MAX}
        if errors:
            raise InvalidFields(errors)
        before = result.outcome
        result.outcome, result.updated_at = outcome, timezone.now()
        result.save(update_fields=["outcome", "updated_at"])
        audit_log(
            actor=actor,
            action="inspections.result_corrected",
            obj=task,
            data={
                "before": {"outcome": before},
                "after": {"outcome": outcome},
                "reason": reason,
                "source": source,
                "result": result.pk,
            },
        )
        publication_follow_outcome(actor=actor, task=task, outcome=outcome)  # the public row, if published
        return result
