"""What the apps above inspections do when something happens to a result, in the same transaction.

An app higher in the layers (``followup``) registers a handler at its ``AppConfig.ready``; the service
here calls every handler inside its own transaction, so the follow-up is created (or the approval rolled
back) together with the change — the way :mod:`sampling.tasks` lets sampling reach the tasks above it.
"""

from __future__ import annotations

from collections.abc import Callable

_approved_handlers: list[Callable] = []


def on_result_approved(handler: Callable) -> Callable:
    """Register ``handler(*, actor, task, result)``, called when a result is approved (or exempted)."""
    if handler not in _approved_handlers:
        _approved_handlers.append(handler)
    return handler


def result_approved(*, actor, task, result) -> None:
    for handler in _approved_handlers:
        handler(actor=actor, task=task, result=result)
