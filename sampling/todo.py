"""The home page's to-do items of plans and draws (see ``core.todo``)."""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.enums import Role
from core.todo import Todo

from .enums import DrawStatus
from .models import Draw, Plan

# From this day of December, next year's plan waits to be filed with the higher authority (seed 003).
FILING_REMINDER_FROM = (12, 1)


def plan_filing_todo(bureau, today) -> Todo | None:
    """From 1 December until a plan of next year is filed: file it (seed 003, by 31 December)."""
    if (today.month, today.day) < FILING_REMINDER_FROM:
        return None
    plans = list(Plan.objects.filter(bureau=bureau, year=today.year + 1).order_by("seq").values_list("pk", "filed_on"))
    if any(filed_on is not None for _pk, filed_on in plans):
        return None
    # The form on next year's (first) plan page; without a plan yet, the plans of next year.
    if plans:
        url = reverse("sampling:plan-detail", args=[plans[0][0]]) + "#filing"
    else:
        url = reverse("sampling:plan-list") + f"?year={today.year + 1}"
    return Todo(
        _("File the %(year)s plan with the higher authority by 31 December") % {"year": today.year + 1},
        1,
        url,
        urgent=True,
    )


def items(request) -> list[Todo]:
    if not request.roles & {Role.TEAM_LEAD, Role.ADMIN}:
        return []
    filing = plan_filing_todo(request.bureau, timezone.localdate())
    if Role.TEAM_LEAD not in request.roles:
        return [filing] if filing else []
    user = request.user
    waiting = (
        Draw.objects.filter(bureau=request.bureau, status=DrawStatus.DRAWN)
        .exclude(Q(created_by=user) | Q(executed_by=user))  # a second team lead approves
        .count()
    )
    return [
        Todo(_("Draws awaiting your approval"), waiting, reverse("sampling:draw-list")),
        *([filing] if filing else []),
    ]
