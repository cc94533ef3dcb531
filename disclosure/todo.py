"""The home page's to-do items of publication (see ``core.todo``)."""

from collections import Counter

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.todo import Todo

from . import queries
from .deadlines import DUE_SOON_WORKING_DAYS, working_calendar
from .enums import DeadlineState
from .services import PUBLISHERS


def items(request) -> list[Todo]:
    if not request.roles & set(PUBLISHERS):
        return []
    rows = queries.pending_rows(request.bureau, timezone.localdate(), working_calendar())
    states = Counter(row.deadline.state for row in rows)  # recorded or approved, not yet published
    url = reverse("disclosure:dashboard")
    return [
        Todo(_("Results past their publication deadline"), states[DeadlineState.OVERDUE], url, urgent=True),
        Todo(
            _("Results to publish within %(days)s working days") % {"days": DUE_SOON_WORKING_DAYS},
            states[DeadlineState.DUE_SOON],
            url,
        ),
    ]
