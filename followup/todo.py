"""The home page's to-do items of the follow-up (see ``core.todo``): visits from 5 working days before
their deadline, overdue ones flagged."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.enums import Role
from core.todo import Todo

from .models import Rectification


def items(request) -> list[Todo]:
    roles, today = request.roles, timezone.localdate()
    if not roles & {Role.INSPECTOR, Role.TEAM_LEAD}:
        return []
    visits = Rectification.objects.for_bureau(request.bureau).shown_on(today)
    if Role.TEAM_LEAD not in roles:
        visits = visits.for_team_of(request.user)
    counts = visits.aggregate(
        due=Count("pk", filter=Q(deadline__gte=today)), overdue=Count("pk", filter=Q(deadline__lt=today))
    )
    due, overdue = counts["due"], counts["overdue"]
    url = reverse("followup:visits")
    return [
        Todo(_("Follow-up visits due soon"), due, url),
        Todo(_("Follow-up visits overdue"), overdue, url, urgent=True),
    ]
