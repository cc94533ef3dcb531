"""Reads for the task pages: deadlines on the working-day calendar, list querysets with what they show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from core.workdays import WorkCalendar, add_working_days, load_calendar, working_days_between
from enterprises.enums import EnterpriseStatus
from enterprises.models import Enterprise

from .enums import InspectionTaskStatus
from .models import InspectionTask, TaskMember
from .services import RESULT_WORKING_DAYS

# A result due within this many working days is "due soon".
DUE_SOON_WORKING_DAYS = 2


@dataclass(frozen=True)
class Deadline:
    """What a task's card shows about time: the day something is due and how it stands today."""

    due: date | None
    state: str  # "", "soon", "late", "overdue" (inspection not started after its period), "done-late"
    provisional: bool = False


def calendar_for(today: date) -> WorkCalendar:
    """The working-day calendar around ``today`` (two queries), for computing many deadlines."""
    return load_calendar(range(today.year - 1, today.year + 2))


def deadline(task: InspectionTask, cal: WorkCalendar, today: date) -> Deadline:
    """The task's deadline as of ``today``; ``task`` carries ``checkin`` and ``result`` (select_related)."""
    result = _related(task, "result")
    if result is not None:
        return Deadline(result.due_date, "done-late" if result.late else "", result.due_provisional)
    if task.status == InspectionTaskStatus.CHECKED_IN:
        checkin = _related(task, "checkin")
        if checkin is None:
            return Deadline(None, "")
        due = add_working_days(timezone.localtime(checkin.at).date(), RESULT_WORKING_DAYS, cal)
        if today > due.date:
            state = "late"
        elif working_days_between(today, due.date, cal) <= DUE_SOON_WORKING_DAYS:
            state = "soon"
        else:
            state = ""
        return Deadline(due.date, state, due.provisional)
    if task.status == InspectionTaskStatus.ASSIGNED and today > task.planned_end:
        return Deadline(task.planned_end, "overdue")
    return Deadline(None, "")


def _related(obj, name):
    """A reverse one-to-one (``result``, ``checkin``…) or None."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def late_checkin_cutoff(cal: WorkCalendar, today: date) -> date:
    """The latest arrival day whose result is overdue today (add_working_days is monotonic in its start)."""
    day = today - timedelta(days=1)
    while add_working_days(day, RESULT_WORKING_DAYS, cal).date >= today:
        day -= timedelta(days=1)
    return day


def late_q(cal: WorkCalendar, today: date) -> Q:
    """Tasks whose result was recorded late, or is overdue and not recorded yet."""
    cutoff = late_checkin_cutoff(cal, today)
    return Q(result__late=True) | Q(
        status=InspectionTaskStatus.CHECKED_IN, result__isnull=True, checkin__at__date__lte=cutoff
    )


def with_card_data(tasks):
    """What a task card or row shows, in a fixed number of queries whatever the number of tasks."""
    members = TaskMember.objects.filter(active=True).select_related("inspector", "expert").order_by("position", "id")
    return tasks.select_related("enterprise", "draw", "result", "checkin", "evaluation").prefetch_related(
        Prefetch("members", queryset=members, to_attr="team")
    )


# --- off-site checks of positive-list units (非现场检查, seed 004) -----------------------------------------


def offsite_units(bureau):
    """The bureau's positive-list (正面清单) units an off-site check must cover each quarter: every one not closed
    (the denominator of the dashboard's coverage target, :mod:`disclosure.targets`)."""
    return Enterprise.objects.filter(bureau=bureau, positive_list=True).exclude(status=EnterpriseStatus.CLOSED)


# What a flagged confirmation shared with a team member seen on the task (inspections.codes.suspicions).
SUSPICION_WORDS = {
    "ip": _("the same network address"),
    "browser": _("the same browser"),
    "session": _("the same login session"),
}


def flagged_q() -> Q:
    """Tasks whose arrival confirmation or rating came from an address, browser or session seen for a team member."""
    return (Q(checkin__isnull=False) & ~Q(checkin__suspicions=[])) | (
        Q(evaluation__isnull=False) & ~Q(evaluation__suspicions=[])
    )


def suspicion_text(flags) -> str:
    """The shared marks in words, e.g. 同一网络地址、同一浏览器."""
    return pgettext("list separator", ", ").join(str(SUSPICION_WORDS.get(flag, flag)) for flag in flags)
