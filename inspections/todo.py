"""The home page's to-do items of inspections (see ``core.todo``)."""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.enums import Role
from core.todo import Todo

from .enums import InspectionTaskStatus
from .models import InspectionTask, TaskMember


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
    return found
