"""The inspection tasks of approved draws, as sampling needs them, without importing the app that owns them.

The inspections app owns the inspection task and its team from the moment a draw is approved
(registries → sampling → inspections → disclosure). Sampling still needs two things of them:

* to read what earlier draws gave each enterprise — the yearly cap, coverage, the last-team rule and
  the confidentiality of a draw's list all count tasks and team members;
* to have the tasks of a draw created in the very transaction that approves it.

Like Django's ``get_user_model()``, sampling reaches them through what the owner registers here at
start-up (``InspectionsConfig.ready``): the task and team-member models, whose QuerySets answer
``counted()`` and ``before_inspection()``, and the service that creates an approved draw's tasks.
Sampling never writes a task itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class TaskLedger:
    task_model: type
    member_model: type
    # create_for_draw(draw, listing=None) -> number of tasks created; runs inside the approval's transaction
    # (listing: the list as it stands, sampling.draws.current_list's answer, when the approval has it)
    create_for_draw: Callable[..., int]


_ledger: TaskLedger | None = None


def register(ledger: TaskLedger) -> None:
    global _ledger  # noqa: PLW0603 - one registration per process, at start-up
    _ledger = ledger


def ledger() -> TaskLedger:
    if _ledger is None:
        raise ImproperlyConfigured("The inspections app has not registered its task ledger (is it installed?).")
    return _ledger


def task_model():
    """The inspection task model (``inspections.InspectionTask``)."""
    return ledger().task_model


def member_model():
    """The team member model (``inspections.TaskMember``)."""
    return ledger().member_model
