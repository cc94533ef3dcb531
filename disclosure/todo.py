"""The home page's to-do items of publication (see ``core.todo``)."""

from collections import Counter

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.todo import Todo
from inspections.deadlines import DUE_SOON_WORKING_DAYS, deadline_for, working_calendar
from inspections.enums import DeadlineState
from inspections.publication import PUBLISHERS, pending_tasks


def items(request) -> list[Todo]:
    if not request.roles & set(PUBLISHERS):
        return []
    today, calendar = timezone.localdate(), working_calendar()
    # Not yet published, counted per inspection day: a deadline computed per day, not per task.
    per_day = (
        pending_tasks(request.bureau)
        .order_by()
        .values_list("result__inspected_on")
        .annotate(n=Count("pk"))
        .values_list("result__inspected_on", "n")
    )
    states = Counter()
    for day, count in per_day:
        states[deadline_for(day, today, calendar).state] += count
    url = reverse("disclosure:dashboard")
    return [
        Todo(_("Results past their publication deadline"), states[DeadlineState.OVERDUE], url, urgent=True),
        Todo(
            _("Results to publish within %(days)s working days") % {"days": DUE_SOON_WORKING_DAYS},
            states[DeadlineState.DUE_SOON],
            url,
        ),
    ]
