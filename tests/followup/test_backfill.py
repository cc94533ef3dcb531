"""Issue 16: results approved with a problem found before the follow-up existed get their rectification
ordered afterwards (``manage.py backfill_rectifications``): the deadline from the day the inspection ended
(2026-09-25: 20 working days over the National Day holiday is 2026-10-29, 10 is 2026-10-15, counted by hand in
test_services.py), audited, and a second run orders nothing."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import AuditEntry
from followup import services
from followup.models import Rectification
from inspections import hooks

from .conftest import INSPECTED, at, inspect

pytestmark = pytest.mark.django_db

ACTOR = "manage.py backfill_rectifications"


@pytest.fixture
def before_followup(monkeypatch):
    """Approvals made while no follow-up app answered the approval's hook."""
    monkeypatch.setattr(hooks, "_approved_handlers", [])


def _ordered_entries():
    return list(
        AuditEntry.objects.filter(action="followup.rectification_ordered")
        .order_by("id")
        .values_list("actor_id", "actor_name", "object_id", "data")
    )


def test_backfill_orders_the_missing_rectifications_once(before_followup, bureau, erin, draw, bob, partner, frank):
    services.policy_update(actor=erin, bureau=bureau, rectification_working_days=10)
    problem = inspect(bureau, [bob.inspector, partner], draw, outcome="rectification_ordered", approver=frank)
    pending = inspect(bureau, [bob.inspector, partner], draw, outcome="pending_follow_up", approver=frank)
    clean = inspect(bureau, [bob.inspector, partner], draw, outcome="no_problem", approver=frank)
    assert not Rectification.objects.exists()

    out = StringIO()
    with at(date(2026, 12, 4)):
        call_command("backfill_rectifications", stdout=out)

    rows = list(
        Rectification.objects.order_by("task_id").values_list(
            "task_id", "status", "ordered_on", "working_days", "deadline", "due_soon_from"
        )
    )
    # (10-09, 10-15] holds five working days: on the list from 10-09
    assert rows == [
        (problem.pk, "open", INSPECTED, 10, date(2026, 10, 15), date(2026, 10, 9)),
        (pending.pk, "open", INSPECTED, 10, date(2026, 10, 15), date(2026, 10, 9)),
    ]
    assert clean.pk not in {r[0] for r in rows}
    data = {
        "outcome": None,
        "ordered_on": "2026-09-25",
        "working_days": 10,
        "deadline": "2026-10-15",
        "provisional": False,
        "backfilled": True,
    }
    r1, r2 = Rectification.objects.order_by("task_id")
    assert _ordered_entries() == [
        (None, ACTOR, str(problem.pk), {**data, "rectification": r1.pk, "outcome": "rectification_ordered"}),
        (None, ACTOR, str(pending.pk), {**data, "rectification": r2.pk, "outcome": "pending_follow_up"}),
    ]
    assert out.getvalue().splitlines() == [
        f"task {problem.pk}: ordered 2026-09-25, deadline 2026-10-15",
        f"task {pending.pk}: ordered 2026-09-25, deadline 2026-10-15",
        "2 rectification(s) ordered",
    ]

    # again: nothing more, nothing audited
    out = StringIO()
    call_command("backfill_rectifications", stdout=out)
    assert out.getvalue() == "0 rectification(s) ordered\n"
    assert Rectification.objects.count() == 2
    assert len(_ordered_entries()) == 2


def test_backfill_of_one_bureau_and_an_unknown_bureau(before_followup, bureau, draw, bob, partner, frank):
    task = inspect(bureau, [bob.inspector, partner], draw, outcome="info_not_disclosed", approver=frank)
    out = StringIO()
    with pytest.raises(CommandError, match="no bureau with the code 'nowhere'"):
        call_command("backfill_rectifications", "--bureau", "nowhere", stdout=out)
    assert not Rectification.objects.exists()
    call_command("backfill_rectifications", "--bureau", bureau.code, stdout=out)
    r = Rectification.objects.get()
    assert (r.task_id, r.working_days, r.deadline) == (task.pk, 20, date(2026, 10, 29))


def test_an_order_made_at_approval_is_left_alone(ordered):
    before = _ordered_entries()
    assert services.rectifications_backfill(actor=ACTOR) == []
    assert _ordered_entries() == before
