"""inspections.corrections.result_correct: the recorded and the published outcome changed in one transaction,
audited, with the publication's state digest kept right."""

import pytest
from django.core.exceptions import PermissionDenied

from core.audit import verify_chain, verify_rows
from core.errors import DomainError
from core.models import AuditEntry
from inspections.corrections import result_correct
from inspections.enums import FollowUp, Outcome
from inspections.models import InspectionResult, Publication
from inspections.publication import publication_publish
from inspections.services import InvalidFields

from .factories import exactly


@pytest.fixture
def published(approved, frank):
    publication_publish(actor=frank, task=approved.task)
    return approved


def test_correct_a_published_result_changes_the_public_row(published, alice):
    task = published.task
    result = result_correct(
        actor=alice, task=task, outcome=Outcome.INFO_NOT_DISCLOSED, reason="复核发现未公示排污信息", source="objection"
    )
    assert result.outcome == Outcome.INFO_NOT_DISCLOSED
    assert InspectionResult.objects.get(pk=result.pk).outcome == Outcome.INFO_NOT_DISCLOSED
    publication = Publication.objects.get(task=task)
    assert publication.outcome == Outcome.INFO_NOT_DISCLOSED
    assert publication.outcome_updated_at is not None
    change = result.outcome_changes.get()
    assert (change.kind, change.source, change.old_outcome, change.new_outcome, change.actor_name) == (
        "corrected",
        "objection",
        "no_problem",
        "info_not_disclosed",
        "张组长",
    )
    corrected = AuditEntry.objects.get(action="inspections.result_corrected")
    assert corrected.data["before"] == {"outcome": "no_problem", "follow_up": ""}
    assert corrected.data["after"] == {"outcome": "info_not_disclosed", "follow_up": ""}
    followed = AuditEntry.objects.get(action="publication.outcome_updated")
    assert f"inspections.publication:{publication.pk}" in followed.data["state"]
    report = verify_chain()
    assert report.ok
    assert verify_rows(report.states) == []


def test_correct_an_unpublished_result(approved, bob):
    result_correct(actor=bob, task=approved.task, outcome=Outcome.CORRECTED, reason="补充认定", source="case")
    assert InspectionResult.objects.get(pk=approved.pk).outcome == Outcome.CORRECTED
    assert not Publication.objects.exists()
    assert not AuditEntry.objects.filter(action="publication.outcome_updated").exists()


def test_pending_result_corrected_to_no_problem_closes_its_follow_up(approved, alice):
    InspectionResult.objects.filter(pk=approved.pk).update(outcome=Outcome.PENDING_FOLLOW_UP, follow_up=FollowUp.OPEN)
    result_correct(actor=alice, task=approved.task, outcome=Outcome.NO_PROBLEM, reason="调查未发现违法", source="case")
    result = InspectionResult.objects.get(pk=approved.pk)
    assert (result.outcome, result.follow_up) == (Outcome.NO_PROBLEM, FollowUp.NO_VIOLATION)
    assert result.follow_up_closed_at is not None


def test_a_repeat_is_a_no_op(published, alice):
    result_correct(actor=alice, task=published.task, outcome=Outcome.CORRECTED, reason="更正", source="objection")
    count = AuditEntry.objects.count()
    result_correct(actor=alice, task=published.task, outcome=Outcome.CORRECTED, reason="更正", source="objection")
    assert AuditEntry.objects.count() == count
    assert published.outcome_changes.count() == 1


def test_refusals(recorded, approved, alice, dave, carol, mallory):
    task = approved.task
    for user in (dave, carol, mallory):
        with pytest.raises(PermissionDenied):
            result_correct(actor=user, task=task, outcome=Outcome.CORRECTED, reason="x", source="case")
    with pytest.raises(InvalidFields) as excinfo:
        result_correct(actor=alice, task=task, outcome="bogus", reason=" ", source="rumour")
    assert excinfo.value.errors == {
        "outcome": "请选择一种检查结果类型。",
        "source": "请说明更正依据。",
        "reason": "请填写更正理由。",
    }
    assert InspectionResult.objects.get(pk=approved.pk).outcome == Outcome.NO_PROBLEM


def test_an_unapproved_result_is_not_corrected(recorded, alice):
    with pytest.raises(DomainError, match=exactly("只有已审核的检查结果才能更正。")):
        result_correct(actor=alice, task=recorded.task, outcome=Outcome.CORRECTED, reason="x", source="case")
