"""Background jobs of the follow-up: e-mails 5 and 1 working days before a follow-up visit is due.

:func:`visit_deadline_scan` finds the open rectifications whose deadline is that many working days away
and submits one ``followup.notify_visits`` job for them (run daily with the publication scan:
``disclosure.schedule`` on RQ, ``manage.py publication_scan`` from cron). The job writes to every member of
the task's team (the visit is the team's, as the inspection was), each e-mail once per (rectification,
days left, deadline): a scan run twice, or a retried job, sends nothing twice.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.enums import NotificationKind
from core.jobs import job_handler, job_submit
from core.notify import notification_send
from core.workdays import working_days_between
from inspections.deadlines import working_calendar
from inspections.models import TaskMember

from .models import Rectification

NOTICE_WORKING_DAYS = (5, 1)


def visit_deadline_scan(today: date | None = None) -> int:
    """Submit the e-mails of the open visits due in 5 or 1 working days. Returns how many visits."""
    today = today or timezone.localdate()
    calendar = working_calendar()
    items = []
    for pk, deadline in Rectification.objects.open().filter(deadline__gt=today).values_list("pk", "deadline"):
        left = working_days_between(today, deadline, calendar)
        if left in NOTICE_WORKING_DAYS:
            items.append([pk, left, deadline.isoformat()])
    if items:
        job_submit(kind="followup.notify_visits", params={"items": sorted(items)})
    return len(items)


def _render(name: str, context: dict) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"followup/email/{name}_subject.txt", context)
        body = render_to_string(f"followup/email/{name}.txt", context)
    return subject, body


@job_handler("followup.notify_visits")
def notify_visits(job) -> dict:
    """``items``: ``[rectification id, working days left, deadline (ISO)]`` as the scan found them."""
    items = {pk: (days, deadline) for pk, days, deadline in job.params["items"]}
    sent = 0
    rectifications = Rectification.objects.open().filter(pk__in=items).select_related("task", "task__bureau")
    for rectification in rectifications.order_by("pk"):
        days, deadline = items[rectification.pk]
        task = rectification.task
        subject, body = _render(
            "visit",
            {"task": task, "days": days, "deadline": deadline, "url": settings.SITE_URL + reverse("followup:visits")},
        )
        members = TaskMember.objects.filter(task=task, active=True, inspector__user__isnull=False)
        for member in members.select_related("inspector__user").order_by("position"):
            sent += notification_send(
                kind=NotificationKind.FOLLOWUP_DEADLINE,
                event=f"visit-{days}:{rectification.pk}:{deadline}",
                user=member.inspector.user,
                subject=subject,
                body=body,
            )
    return {"sent": sent}
