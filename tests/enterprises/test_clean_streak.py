"""The clean-inspection term of the risk weight (issue 16 item 3: "three clean inspections: weight 1").

An enterprise whose last ``clean_streak`` published inspection results all found no problem (未发现问题), with no
penalty in the last ``penalty_months`` months, holds at most ``clean_weight`` tickets. The published results
reach this app as :class:`enterprises.models.InspectionRecord` rows (kept by ``inspections.publication``: see
tests/followup/test_clean_streak.py for the whole way from a publication); here they are written through the
service directly. Every expected weight is worked out by hand from the rule's words.

Every enterprise below has two violations on record (2025-03-01, 2025-04-01) and the credit rating 不良, so
without the term its weight by the default rule is 1 + min(2, 3) + 2 = 5.
"""

from datetime import date

import pytest

from core.errors import DomainError
from core.models import AuditEntry
from enterprises import services
from enterprises.enums import CreditRating, RecordKind
from enterprises.models import EnterpriseRecord, InspectionRecord, RiskRule
from tests.factories import EnterpriseFactory
from tests.inspections.factories import exactly

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 12, 1)
DEFAULTS = {
    "window_years": 3,
    "records_cap": 3,
    "warning_term": 1,
    "bad_term": 2,
    "penalty_months": 12,
    "penalty_weight": 0,
    "clean_streak": 3,
    "clean_weight": 1,
}
ACTOR = "test"
_tasks = iter(range(1000, 100000))


def _enterprise(bureau, *results, penalty: date | None = None):
    """An enterprise with the two violations and 不良, and ``results``: (day inspected, clean[, day published])."""
    enterprise = EnterpriseFactory(bureau=bureau, credit_rating=CreditRating.BAD)
    for day in (date(2025, 3, 1), date(2025, 4, 1)):
        EnterpriseRecord.objects.create(enterprise=enterprise, kind=RecordKind.VIOLATION, date=day, description="超标")
    if penalty:
        EnterpriseRecord.objects.create(
            enterprise=enterprise, kind=RecordKind.PENALTY, date=penalty, description="罚款"
        )
    for inspected_on, clean, *published in results:
        task_id = next(_tasks)
        services.inspection_record_set(
            actor=ACTOR,
            enterprise=enterprise,
            task_id=task_id,
            number=f"JIANAN-{task_id}",
            inspected_on=inspected_on,
            published_on=published[0] if published else inspected_on,
            clean=clean,
        )
    return enterprise


CLEAN_3 = ((date(2026, 3, 10), True), (date(2026, 6, 10), True), (date(2026, 9, 10), True))


def test_the_default_rule_has_the_term_three_clean_inspections_weight_one(bureau):
    rule = RiskRule.of(bureau)
    assert (rule.clean_streak, rule.clean_weight) == (3, 1)
    assert rule.values() == DEFAULTS
    assert rule.highest == 6  # the term only lowers a weight


def test_the_last_results_decide(bureau):
    exactly = _enterprise(bureau, *CLEAN_3)
    one_short = _enterprise(bureau, (date(2026, 6, 10), True), (date(2026, 9, 10), True))
    problem_between = _enterprise(
        bureau,
        (date(2026, 3, 10), True),
        (date(2026, 6, 10), False),
        (date(2026, 9, 10), True),
        (date(2026, 10, 10), True),
    )
    problem_before = _enterprise(bureau, (date(2025, 12, 1), False), *CLEAN_3)
    problem_last = _enterprise(bureau, *CLEAN_3, (date(2026, 11, 10), False))
    # published on 2026-12-02, after the day of the weight: the run has two results on 2026-12-01
    published_later = _enterprise(
        bureau, (date(2026, 6, 10), True), (date(2026, 9, 10), True), (date(2026, 11, 20), True, date(2026, 12, 2))
    )
    nothing = _enterprise(bureau)

    weights = services.risk_weights(bureau, as_of=AS_OF)

    assert weights == {
        exactly.pk: 1,  # 3 clean in a row: weight 1 whatever the violations and 不良 say
        one_short.pk: 5,  # 2 of 3
        problem_between.pk: 5,  # the last 3: 10-10, 09-10 clean, 06-10 a problem
        problem_before.pk: 1,  # the problem of 2025-12-01 is older than the last 3
        problem_last.pk: 5,
        published_later.pk: 5,
        nothing.pk: 5,
    }
    # the same through the list of ids (the path of a draw's population)
    assert services.risk_weights(bureau, [exactly.pk, one_short.pk], as_of=AS_OF) == {exactly.pk: 1, one_short.pk: 5}
    assert services.risk_weights(bureau, [published_later.pk], as_of=date(2026, 12, 2)) == {published_later.pk: 1}


def test_on_one_day_a_result_with_a_problem_counts_as_the_later_one(bureau):
    # written in this order, so by id the problem of 09-10 comes before the clean result of the same day
    tie = _enterprise(
        bureau,
        (date(2026, 9, 10), False),
        (date(2026, 9, 10), True),
        (date(2026, 10, 10), True),
        (date(2026, 11, 10), True),
    )
    after_tie = _enterprise(
        bureau,
        (date(2026, 9, 10), False),
        (date(2026, 9, 10), True),
        (date(2026, 10, 10), True),
        (date(2026, 11, 10), True),
        (date(2026, 11, 20), True),
    )
    assert services.risk_weights(bureau, as_of=AS_OF) == {tie.pk: 5, after_tie.pk: 1}


def test_a_penalty_in_the_window_keeps_the_term_off(bureau):
    recent = _enterprise(bureau, *CLEAN_3, penalty=date(2026, 1, 15))
    edge = _enterprise(bureau, *CLEAN_3, penalty=date(2025, 12, 2))  # within the 12 months before 2026-12-01
    old = _enterprise(bureau, *CLEAN_3, penalty=date(2025, 12, 1))  # exactly 12 months before: outside
    assert services.risk_weights(bureau, as_of=AS_OF) == {
        recent.pk: 6,  # 1 + min(3 records, 3) + 2
        edge.pk: 6,
        old.pk: 1,
    }


def test_the_bureaus_own_parameters(bureau, other_bureau, erin):
    ours = [_enterprise(bureau, *CLEAN_3), _enterprise(bureau, (date(2026, 9, 10), True))]
    theirs = [_enterprise(other_bureau, *CLEAN_3), _enterprise(other_bureau, (date(2026, 9, 10), True))]
    plain = EnterpriseFactory(bureau=bureau)  # no record, no rating: 1
    services.inspection_record_set(
        actor=ACTOR,
        enterprise=plain,
        task_id=next(_tasks),
        number="JIANAN-1",
        inspected_on=date(2026, 9, 10),
        published_on=date(2026, 9, 10),
        clean=True,
    )
    # ours: one clean result is enough, and such an enterprise holds at most 2
    services.risk_rule_update(actor=erin, bureau=bureau, **{**DEFAULTS, "clean_streak": 1, "clean_weight": 2})
    assert services.risk_weights(bureau, as_of=AS_OF) == {ours[0].pk: 2, ours[1].pk: 2, plain.pk: 1}  # never raised
    # theirs: the default rule
    assert services.risk_weights(other_bureau, as_of=AS_OF) == {theirs[0].pk: 1, theirs[1].pk: 5}
    # the term off
    services.risk_rule_update(actor=erin, bureau=bureau, **{**DEFAULTS, "clean_streak": 0, "clean_weight": 2})
    assert services.risk_weights(bureau, as_of=AS_OF) == {ours[0].pk: 5, ours[1].pk: 5, plain.pk: 1}


def test_the_term_lowers_a_penalty_floor_only_when_no_penalty_is_recent(bureau, erin):
    services.risk_rule_update(actor=erin, bureau=bureau, **{**DEFAULTS, "penalty_weight": 8})
    recent = _enterprise(bureau, *CLEAN_3, penalty=date(2026, 1, 15))
    old = _enterprise(bureau, *CLEAN_3, penalty=date(2025, 11, 1))
    # recent: max(1 + 3 + 2, 8) = 8, no term; old: 1 + 3 + 2 = 6 (no floor), then the term: 1
    assert services.risk_weights(bureau, as_of=AS_OF) == {recent.pk: 8, old.pk: 1}


# --- the record of a published result ----------------------------------------------------------------------


def _entries():
    return list(
        AuditEntry.objects.filter(action__startswith="enterprises.inspection_record")
        .order_by("id")
        .values_list("action", "actor_name", "object_type", "object_id", "data")
    )


def test_the_record_is_written_once_and_changed_when_corrected(bureau):
    enterprise = EnterpriseFactory(bureau=bureau)
    facts = {
        "enterprise": enterprise,
        "task_id": 77,
        "number": "JIANAN2026-1-1-Q3-1-0001",
        "inspected_on": date(2026, 9, 10),
        "published_on": date(2026, 9, 14),
    }
    record, changed = services.inspection_record_set(actor=ACTOR, clean=False, **facts)
    assert changed
    again, changed = services.inspection_record_set(actor=ACTOR, clean=False, **facts)
    assert (again.pk, changed) == (record.pk, False)
    _corrected, changed = services.inspection_record_set(actor=ACTOR, clean=True, **facts)
    assert changed
    assert list(InspectionRecord.objects.values_list("enterprise_id", "task_id", "number", "clean")) == [
        (enterprise.pk, 77, "JIANAN2026-1-1-Q3-1-0001", True)
    ]
    assert _entries() == [
        (
            "enterprises.inspection_recorded",
            "test",
            "enterprises.enterprise",
            str(enterprise.pk),
            {
                "after": {
                    "inspection_record": record.pk,
                    "task": 77,
                    "number": "JIANAN2026-1-1-Q3-1-0001",
                    "inspected_on": "2026-09-10",
                    "published_on": "2026-09-14",
                    "clean": False,
                }
            },
        ),
        (
            "enterprises.inspection_record_changed",
            "test",
            "enterprises.enterprise",
            str(enterprise.pk),
            {
                "inspection_record": record.pk,
                "task": 77,
                "number": "JIANAN2026-1-1-Q3-1-0001",
                "before": {"clean": False},
                "after": {"clean": True},
            },
        ),
    ]


def test_the_record_of_a_task_stays_with_its_enterprise(bureau):
    first, second = EnterpriseFactory(bureau=bureau), EnterpriseFactory(bureau=bureau)
    facts = {"task_id": 78, "number": "N", "inspected_on": date(2026, 9, 10), "published_on": date(2026, 9, 10)}
    services.inspection_record_set(actor=ACTOR, enterprise=first, clean=True, **facts)
    with pytest.raises(DomainError, match=exactly("This inspection is on the record of another enterprise.")):
        services.inspection_record_set(actor=ACTOR, enterprise=second, clean=False, **facts)
    assert list(InspectionRecord.objects.values_list("enterprise_id", "clean")) == [(first.pk, True)]


def test_the_record_is_never_deleted(bureau):
    record, _changed = services.inspection_record_set(
        actor=ACTOR,
        enterprise=EnterpriseFactory(bureau=bureau),
        task_id=79,
        number="N",
        inspected_on=date(2026, 9, 10),
        published_on=date(2026, 9, 10),
        clean=True,
    )
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        InspectionRecord.objects.all().delete()
