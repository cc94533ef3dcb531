"""Who may see a draw's list (DESIGN §3 rule 8). The inspections and disclosure apps use these.

Until the inspections have taken place, a draw's list (the drawn enterprises and their teams) is
confidential: only the bureau's auditors, the draw's leads (who created or ran it, who approved or
rejected it) and the inspectors on its teams may see it — and, while it awaits approval, the
bureau's team leads, one of whom must review it to approve it. Everybody else, in the bureau or not,
gets a 404. Until then, an inspector sees only the rows of his own tasks (:func:`sees_whole_list`).
Every view of a confidential list is written to the audit trail
(:func:`sampling.draws.draw_record_view`).
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from core.access import roles_in
from core.enums import Role

from .enums import DrawStatus
from .models import Draw
from .tasks import member_model, task_model


def draw_list_is_confidential(draw: Draw, today: date | None = None) -> bool:
    """True until every inspection task of the approved draw is past its inspection.

    A task is past its inspection once its status is beyond CHECKED_IN (result recorded, approved,
    published, exempt or cancelled) or its planned end date has passed. A draw that is not approved
    (awaiting approval or rejected) stays confidential for ever.
    """
    if draw.status != DrawStatus.APPROVED:
        return True
    today = today or timezone.localdate()
    return task_model().objects.filter(draw=draw, planned_end__gte=today).before_inspection().exists()


def draw_leads(draw: Draw) -> set[int]:
    """User ids of the draw's leads: who created it, ran it, approved or rejected it."""
    return {pk for pk in (draw.created_by_id, draw.executed_by_id, draw.approved_by_id, draw.rejected_by_id) if pk}


def is_assigned(user, draw: Draw) -> bool:
    """Is ``user`` the inspector of a current team member of one of the draw's tasks?"""
    return member_model().objects.filter(task__draw=draw, active=True, inspector__user=user).exists()


def can_view_draw_list(user, draw: Draw) -> bool:
    """May ``user`` see the list (enterprises and teams) of ``draw``? False means: answer 404."""
    if not getattr(user, "is_authenticated", False) or draw.status not in DrawStatus.with_result():
        return False
    roles = roles_in(user, draw.bureau)
    if not roles:
        return False
    if Role.AUDITOR in roles or user.pk in draw_leads(draw):
        return True
    if draw.status == DrawStatus.DRAWN and Role.TEAM_LEAD in roles:
        return True  # awaiting approval: the bureau's leads review it
    if not draw_list_is_confidential(draw):
        return True  # after the inspections: every staff member of the bureau
    return Role.INSPECTOR in roles and is_assigned(user, draw)


def sees_whole_list(user, draw: Draw) -> bool:
    """Of those who may see a draw's list (:func:`can_view_draw_list`), does ``user`` see all of it?

    Auditors, the draw's leads, the bureau's leads while it awaits approval, and everybody once the list is
    no longer confidential see every row. An inspector on one of its teams sees, until the inspections have
    taken place, only the rows of his own tasks (:func:`own_tasks`): the other teams are none of his business.
    """
    roles = roles_in(user, draw.bureau)
    if Role.AUDITOR in roles or user.pk in draw_leads(draw):
        return True
    if draw.status == DrawStatus.DRAWN and Role.TEAM_LEAD in roles:
        return True
    return not draw_list_is_confidential(draw)


def own_tasks(user, draw: Draw) -> dict[int, int]:
    """{task id: enterprise id} of the draw's tasks on whose current team ``user`` is an inspector."""
    return dict(
        member_model()
        .objects.filter(task__draw=draw, active=True, inspector__user=user)
        .values_list("task_id", "task__enterprise_id")
    )
