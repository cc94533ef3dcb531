"""The home page's to-do items of inspections (see ``core.todo``)."""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.enums import Role
from core.todo import Todo

from .access import visible_tasks
from .enums import InspectionTaskStatus
from .models import InspectionTask, TaskMember
from .queries import flagged_q, suspicion_text

FLAGGED_SHOWN = 5


def items(request) -> list[Todo]:
    bureau, user, roles = request.bureau, request.user, request.roles
    found = []
    if roles & {Role.INSPECTOR, Role.TEAM_LEAD}:
        mine = (
            InspectionTask.objects.filter(bureau=bureau)
            .assigned_to(user)
            .filter(status__in=[InspectionTaskStatus.ASSIGNED, InspectionTaskStatus.CHECKED_IN])
            .count()
        )
        found.append(Todo(_("Your inspections to carry out and record"), mine, reverse("inspections:my-tasks")))
    if Role.TEAM_LEAD in roles:
        on_team = TaskMember.objects.filter(task=OuterRef("pk"), active=True, inspector__user=user)
        to_approve = (
            InspectionTask.objects.filter(bureau=bureau, status=InspectionTaskStatus.RESULT_RECORDED)
            .exclude(Exists(on_team))  # a lead on the task's current team does not approve its result
            .count()
        )
        url = reverse("inspections:task-list") + "?" + urlencode({"status": InspectionTaskStatus.RESULT_RECORDED})
        found.append(Todo(_("Results awaiting your approval"), to_approve, url))
    if roles & {Role.TEAM_LEAD, Role.AUDITOR}:
        found.append(flagged_todo(user, bureau))
    return found


def flagged_todo(user, bureau) -> Todo:
    """The tasks whose arrival confirmation or rating shared an address, browser or session with a team member,
    the latest :data:`FLAGGED_SHOWN` listed by number and reason (no enterprise name: the home page is not a
    confidential view), each linking to its task."""
    flagged = visible_tasks(user, bureau).filter(flagged_q())
    count = flagged.count()
    details = []
    if count:
        latest = flagged.select_related("checkin", "evaluation").order_by("-planned_start", "-number")[:FLAGGED_SHOWN]
        for task in latest:
            details.append((flag_summary(task), reverse("inspections:task-detail", args=[task.pk])))
    label = _("Confirmations shared with the inspection team")
    return Todo(label, count, reverse("inspections:flagged"), urgent=True, details=tuple(details))


def flag_summary(task) -> str:
    """「<number>: arrival confirmation from the same browser; rating from …」 for a flagged task."""
    parts = []
    checkin, evaluation = getattr(task, "checkin", None), getattr(task, "evaluation", None)
    if checkin is not None and checkin.suspicions:
        parts.append(_("arrival confirmation from %(shared)s") % {"shared": suspicion_text(checkin.suspicions)})
    if evaluation is not None and evaluation.suspicions:
        parts.append(_("rating from %(shared)s") % {"shared": suspicion_text(evaluation.suspicions)})
    return _("%(number)s: %(reasons)s") % {
        "number": task.number,
        "reasons": pgettext("list separator", "; ").join(parts),
    }
