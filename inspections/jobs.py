"""Background jobs of inspections: the e-mails that tell people what waits for them (:mod:`core.notify`).

* ``inspections.notify_team``: each inspector put on a team — by a draw's approval (``draw_id``: one
  e-mail per inspector listing his tasks of the draw) or by a substitution (``member_ids``: one per new
  membership);
* ``inspections.notify_result_approval``: the team leads who may approve a newly recorded result;
* ``inspections.notify_deadlines``: the team leads, 5 and 1 working days before a result's publication
  deadline (submitted by the daily :func:`inspections.publication.publication_scan`).

Every e-mail is sent at most once per (event, person), so each job is safe to run twice. The task lists
are confidential until the inspection: the team e-mail names task numbers and dates, not enterprises.
"""

from collections import defaultdict

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from core.enums import NotificationKind
from core.jobs import job_handler
from core.notify import notification_send, team_leads

from .enums import InspectionTaskStatus
from .models import InspectionResult, InspectionTask, TaskMember

PENDING_PUBLICATION = (InspectionTaskStatus.RESULT_RECORDED, InspectionTaskStatus.RESULT_APPROVED)


def _render(name: str, context: dict) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"inspections/email/{name}_subject.txt", context)
        body = render_to_string(f"inspections/email/{name}.txt", context)
    return subject, body


@job_handler("inspections.notify_team")
def notify_team(job) -> dict:
    members = (
        TaskMember.objects.filter(
            active=True, inspector__user__isnull=False, task__status=InspectionTaskStatus.ASSIGNED
        )
        .select_related("inspector__user", "task__bureau", "task__draw__task__plan__bureau")
        .order_by("task__number", "position")
    )
    if "draw_id" in job.params:
        members = members.filter(task__draw_id=job.params["draw_id"])
        event = "team-draw:{draw}"
    else:
        members = members.filter(pk__in=job.params["member_ids"])
        event = "team-member:{member}"
    by_user: dict[int, list[TaskMember]] = defaultdict(list)
    for member in members:
        by_user[member.inspector.user_id].append(member)
    url = settings.SITE_URL + reverse("inspections:my-tasks")
    sent = 0
    for rows in by_user.values():
        first = rows[0]
        subject, body = _render(
            "team", {"bureau": first.task.bureau, "draw": first.task.draw, "members": rows, "url": url}
        )
        sent += notification_send(
            kind=NotificationKind.TEAM_ASSIGNED,
            event=event.format(draw=first.task.draw_id, member=first.pk),
            user=first.inspector.user,
            subject=subject,
            body=body,
        )
    return {"sent": sent}


@job_handler("inspections.notify_result_approval")
def notify_result_approval(job) -> dict:
    result = InspectionResult.objects.select_related("task__bureau", "task__enterprise").get(pk=job.params["result_id"])
    task = result.task
    if task.status != InspectionTaskStatus.RESULT_RECORDED or result.approved_at is not None:
        return {"sent": 0}
    team = TaskMember.objects.filter(task=task, active=True, inspector__user__isnull=False)
    subject, body = _render(
        "result_approval",
        {"task": task, "result": result, "url": settings.SITE_URL + reverse("inspections:task-detail", args=[task.pk])},
    )
    sent = 0
    for lead in team_leads(task.bureau_id, exclude=team.values_list("inspector__user_id", flat=True)):
        sent += notification_send(
            kind=NotificationKind.RESULT_APPROVAL,
            event=f"result-approval:{result.pk}",
            user=lead,
            subject=subject,
            body=body,
        )
    return {"sent": sent}


@job_handler("inspections.notify_deadlines")
def notify_deadlines(job) -> dict:
    """``items``: ``[task id, working days left, deadline (ISO)]`` as the scan found them."""
    items = {task_id: (days, deadline) for task_id, days, deadline in job.params["items"]}
    tasks = InspectionTask.objects.filter(pk__in=items, status__in=PENDING_PUBLICATION).select_related(
        "bureau", "enterprise"
    )
    leads: dict[int, list] = {}
    sent = 0
    for task in tasks.order_by("number"):
        days, deadline = items[task.pk]
        if task.bureau_id not in leads:
            leads[task.bureau_id] = team_leads(task.bureau_id)
        subject, body = _render(
            "deadline",
            {
                "task": task,
                "days": days,
                "deadline": deadline,
                "url": settings.SITE_URL + reverse("disclosure:dashboard"),
            },
        )
        for lead in leads[task.bureau_id]:
            sent += notification_send(
                kind=NotificationKind.PUBLICATION_DEADLINE,
                event=f"deadline-{days}:{task.pk}:{deadline}",
                user=lead,
                subject=subject,
                body=body,
            )
    return {"sent": sent}
