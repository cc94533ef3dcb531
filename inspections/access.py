"""Who may see and do what with an inspection task. One helper per question; views and services share them.

Seeing a task (consistent with the draw rule of :mod:`sampling.access`, DESIGN §3 rule 8):

* the inspectors of its current team always;
* before the inspection (status ASSIGNED or CHECKED_IN and the planned end not past), otherwise only
  the draw's leads (who created, ran, approved or rejected it) and the bureau's auditors;
* after it, the bureau's team leads, administrators and auditors as well.

Other inspectors, registry staff and other bureaus do not see it (404). Auditors read, never change.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.access import granted_bureau_ids, roles_in
from core.enums import Role
from sampling.access import draw_leads

from .enums import InspectionTaskStatus
from .models import InspectionTask, TaskMember

# Roles that see the bureau's task list (each task still subject to the confidentiality rule).
LIST_ROLES = (Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)
# Roles that may act on a task they are not a team member of (leads approve, record paper check-ins…).
LEAD_ROLES = (Role.TEAM_LEAD,)


def is_team_member(user, task: InspectionTask) -> bool:
    """Is ``user`` the inspector of a current member of the task's team?"""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = task.__dict__.get("_ssj_team_user_ids")
    if cached is None:
        cached = set(
            TaskMember.objects.filter(task=task, active=True, inspector__user__isnull=False).values_list(
                "inspector__user_id", flat=True
            )
        )
        task.__dict__["_ssj_team_user_ids"] = cached
    return user.pk in cached


def before_inspection(task: InspectionTask, today: date | None = None) -> bool:
    """Is the task still confidential (its inspection has not taken place)?"""
    today = today or timezone.localdate()
    return task.status in InspectionTaskStatus.before_inspection() and task.planned_end >= today


def can_view_task(user, task: InspectionTask, today: date | None = None) -> bool:
    roles = roles_in(user, task.bureau)
    if not roles:
        return False
    if is_team_member(user, task) or Role.AUDITOR in roles:
        return True
    if before_inspection(task, today):
        return user.pk in draw_leads(task.draw)
    return bool(roles & {Role.TEAM_LEAD, Role.ADMIN})


def _team_q(user) -> Q:
    members = TaskMember.objects.filter(task=OuterRef("pk"), active=True, inspector__user=user)
    return Q(Exists(members))


def visible_tasks(user, bureau, today: date | None = None):
    """The bureau's tasks ``user`` may see, as a queryset (same rule as :func:`can_view_task`)."""
    today = today or timezone.localdate()
    roles = roles_in(user, bureau)
    tasks = InspectionTask.objects.filter(bureau=bureau)
    if not roles:
        return tasks.none()
    if Role.AUDITOR in roles:
        return tasks
    team = _team_q(user)
    if not roles & {Role.TEAM_LEAD, Role.ADMIN}:
        return tasks.filter(team)
    past = ~Q(status__in=InspectionTaskStatus.before_inspection()) | Q(planned_end__lt=today)
    leads = Q(draw__created_by=user) | Q(draw__executed_by=user) | Q(draw__approved_by=user) | Q(draw__rejected_by=user)
    return tasks.filter(past | leads | team)


def task_queryset(user):
    """Tasks of the user's bureaus (objects of other bureaus answer 404)."""
    return InspectionTask.objects.filter(bureau_id__in=granted_bureau_ids(user))


def can_act_as_lead(user, task: InspectionTask) -> bool:
    return bool(roles_in(user, task.bureau) & set(LEAD_ROLES))
