"""Concurrent writers on PostgreSQL: of two leads approving at once exactly one wins; a QR code scanned on two
phones at once records one arrival; an evaluation sent twice at once is recorded once."""

import os
import threading

import pytest
from django.db import connection

from core.errors import DomainError
from core.models import AuditEntry
from inspections import services
from inspections.codes import code_issue
from inspections.enums import InspectionTaskStatus
from inspections.models import CheckIn, Evaluation, InspectionResult, InspectionTask

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def needs_postgresql():
    if connection.vendor != "postgresql":
        if os.environ.get("SSJ_REQUIRE_SERVICES"):
            pytest.fail("this test needs PostgreSQL (DATABASE_URL) when SSJ_REQUIRE_SERVICES is set")
        pytest.skip("needs PostgreSQL: SQLite serialises every writer")


def at_once(calls: dict) -> dict:
    """Run each call in its own thread, released together; what each returned or the refusal it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes = {}

    def run(name, call):
        try:
            barrier.wait(timeout=10)
            outcomes[name] = call()
        except DomainError as exc:
            outcomes[name] = str(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == sorted(calls)
    return outcomes


def test_two_leads_approving_at_once_exactly_one_wins(recorded, frank, grace):
    outcomes = at_once(
        {
            "frank": lambda: services.result_approve(actor=frank, result=recorded),
            "grace": lambda: services.result_approve(actor=grace, result=recorded),
        }
    )
    result = InspectionResult.objects.get(pk=recorded.pk)
    winner = result.approved_by.username
    loser = "grace" if winner == "frank" else "frank"
    assert outcomes[winner].pk == recorded.pk
    assert outcomes[loser] == f"该结果已由 {result.approved_by_name} 审核通过。"
    assert InspectionTask.objects.get(pk=recorded.task_id).status == InspectionTaskStatus.RESULT_APPROVED
    assert AuditEntry.objects.filter(action="inspections.result_approved").count() == 1


def test_a_code_scanned_on_two_phones_at_once_records_one_arrival(task):
    code = enterprise_code(task, "arrival")
    outcomes = at_once(
        {
            "gate": lambda: services.checkin_confirm(code=code, task=task, confirmed_by_name="门卫"),
            "office": lambda: services.checkin_confirm(code=code, task=task, confirmed_by_name="周接待"),
        }
    )
    (checkin,) = CheckIn.objects.filter(task=task)
    assert sorted(created for _c, created in outcomes.values()) == [False, True]
    assert {c.pk for c, _created in outcomes.values()} == {checkin.pk}
    assert AuditEntry.objects.filter(action="inspections.checkin_confirmed").count() == 1


def test_an_evaluation_sent_twice_at_once_is_recorded_once(approved):
    code = enterprise_code(approved.task, "evaluation")
    outcomes = at_once(
        {
            "first": lambda: services.evaluation_submit(code=code, task=approved.task, rating=5),
            "second": lambda: services.evaluation_submit(code=code, task=approved.task, rating=2),
        }
    )
    (evaluation,) = Evaluation.objects.all()
    assert sorted(created for _e, created in outcomes.values()) == [False, True]
    assert {e.rating for e, _created in outcomes.values()} == {evaluation.rating}
    assert AuditEntry.objects.filter(action="inspections.evaluation_submitted").count() == 1


def enterprise_code(task, purpose):
    """A one-time code for ``task`` as if sent to the enterprise (issue 13 item 2)."""
    return code_issue(task=task, purpose=purpose)
