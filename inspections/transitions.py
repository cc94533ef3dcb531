"""The one way an inspection task's status changes: a compare-and-swap inside the caller's transaction.

Every service that moves a task (check-in and results in :mod:`inspections.services`, substitutions in
:mod:`inspections.assignment`, publication and exemption in :mod:`inspections.publication`) locks the
task with :func:`locked_task`, checks its state, and moves it with :func:`task_cas`, which refuses
when somebody else moved it first. No other module writes the status column (a test checks it).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import InspectionTask


def locked_task(task: InspectionTask, *related: str) -> InspectionTask:
    """The task row, locked for this transaction (``SELECT … FOR UPDATE`` of the task alone), with ``related``."""
    return InspectionTask.objects.select_for_update(of=("self",)).select_related(*related).get(pk=task.pk)


def task_cas(task: InspectionTask, old: str, new: str, **fields) -> None:
    """Move ``task`` from ``old`` to ``new`` (setting ``fields`` too); refuse if it is no longer ``old``."""
    if not InspectionTask.objects.filter(pk=task.pk, status=old).update(status=new, **fields):
        current = InspectionTask.objects.get(pk=task.pk)
        raise DomainError(
            _("This task changed meanwhile (it is now %(status)s). Reload the page.")
            % {"status": current.get_status_display()}
        )
    task.status = new
    for name, value in fields.items():
        setattr(task, name, value)
