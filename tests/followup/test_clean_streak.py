"""The clean-inspection term of the risk weight from the publication on (issue 16 item 3): publishing a result
puts it on the enterprise's record in the same transaction, a correction of the published outcome changes it
there, results published before the record existed are put on it by ``manage.py backfill_inspection_records``
(once), and the credit record page says why the weight is what it is.

The enterprise has two violations on record (2025-03-01 and 2025-04-01): by the default rule its weight is
1 + min(2, 3) = 3 without the term (no credit rating), and 1 once its last three published results found no
problem (and no penalty lies in the last 12 months).
"""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.models import AuditEntry
from enterprises.enums import RecordKind
from enterprises.models import EnterpriseRecord, InspectionRecord
from enterprises.services import risk_rule_update, risk_weights
from inspections import publication
from inspections import services as inspection_services
from inspections.codes import code_issue
from inspections.corrections import result_correct
from inspections.enums import CorrectionSource, Outcome
from inspections.models import InspectionTask
from inspections.publication import publication_publish
from tests.factories import EnterpriseFactory
from tests.inspections.factories import DrawFactory, findings_for, make_task

from .conftest import at
from .test_credit import _terms

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 12, 1)
BACKFILL = "manage.py backfill_inspection_records"


@pytest.fixture
def enterprise(bureau):
    enterprise = EnterpriseFactory(
        bureau=bureau,
        name="建安精细化工有限公司",
        contact_email="contact@enterprise.example",
        legal_representative="周法人",
    )
    for day in (date(2025, 3, 1), date(2025, 4, 1)):
        EnterpriseRecord.objects.create(enterprise=enterprise, kind=RecordKind.VIOLATION, date=day, description="超标")
    return enterprise


def publish_result(*, bureau, lead, approver, inspectors, enterprise, day, outcome=Outcome.NO_PROBLEM):
    """A result of ``enterprise`` inspected on ``day`` (a task of a draw of its own), approved and published by
    ``approver`` the same day; 无法联系 without a check-in. ``inspectors[0].user`` records it."""
    recorder = inspectors[0].user
    with at(day):
        draw = DrawFactory(task__plan__bureau=bureau, created_by=approver, executed_by=approver, approved_by=lead)
        task = make_task(bureau=bureau, inspectors=inspectors, draw=draw, enterprise=enterprise)
        members = list(task.members.filter(active=True).order_by("position").values_list("pk", flat=True))
        if outcome == Outcome.UNREACHABLE:
            result, _created = inspection_services.result_record_without_arrival(
                actor=recorder,
                task=task,
                outcome=outcome,
                attempted_at=timezone.now() - timedelta(hours=1),
                place="工业园区纬三路8号",
                members=members,
                witness="园区管委会 李见证",
                summary="登记住所已无人办公。",
            )
        else:
            inspection_services.checkin_confirm(
                code=code_issue(task=task, purpose="arrival"), task=task, confirmed_by_name="周接待", ip="10.0.0.9"
            )
            items = list(task.check_items.order_by("order"))
            result, _changed = inspection_services.result_record(
                actor=recorder,
                task=task,
                outcome=outcome,
                inspected_on=day,
                findings=findings_for(
                    task, finding="设施未运行", bad_items=[] if outcome == "no_problem" else [items[0].pk]
                ),
                summary="现场检查。",
            )
        inspection_services.result_approve(actor=approver, result=result)
        publication_publish(actor=approver, task=InspectionTask.objects.get(pk=task.pk))
    return InspectionTask.objects.get(pk=task.pk)


@pytest.fixture
def publish(bureau, alice, bob, partner, frank):
    """publish(enterprise, day, outcome): :func:`publish_result` by bob's team, approved and published by frank."""

    def make(enterprise, day, outcome=Outcome.NO_PROBLEM):
        return publish_result(
            bureau=bureau,
            lead=alice,
            approver=frank,
            inspectors=[bob.inspector, partner],
            enterprise=enterprise,
            day=day,
            outcome=outcome,
        )

    return make


def _kept(enterprise):
    return list(
        InspectionRecord.objects.filter(enterprise=enterprise)
        .order_by("inspected_on", "id")
        .values_list("task_id", "number", "inspected_on", "published_on", "clean")
    )


def _weight(bureau, enterprise, day=AS_OF):
    return risk_weights(bureau, [enterprise.pk], as_of=day)[enterprise.pk]


DAYS = (date(2026, 3, 10), date(2026, 6, 10), date(2026, 9, 10))


def test_three_published_clean_results_weigh_one(bureau, enterprise, publish, frank):
    tasks = [publish(enterprise, DAYS[0]), publish(enterprise, DAYS[1])]
    assert _weight(bureau, enterprise) == 3  # two in a row: not yet
    tasks.append(publish(enterprise, DAYS[2]))
    assert _kept(enterprise) == [(t.pk, t.number, day, day, True) for t, day in zip(tasks, DAYS, strict=True)]
    assert _weight(bureau, enterprise) == 1
    assert _weight(bureau, enterprise, date(2026, 9, 9)) == 3  # the third was published on 2026-09-10
    entries = AuditEntry.objects.filter(action="enterprises.inspection_recorded").order_by("id")
    assert [(e.actor_id, e.object_id, e.data["after"]["task"], e.data["after"]["clean"]) for e in entries] == [
        (frank.pk, str(enterprise.pk), t.pk, True) for t in tasks
    ]


def test_an_unreachable_result_ends_the_run(bureau, enterprise, publish):
    tasks = [publish(enterprise, day) for day in DAYS]
    assert _weight(bureau, enterprise) == 1
    unreachable = publish(enterprise, date(2026, 10, 9), Outcome.UNREACHABLE)
    assert _kept(enterprise)[-1] == (unreachable.pk, unreachable.number, date(2026, 10, 9), date(2026, 10, 9), False)
    assert _weight(bureau, enterprise) == 3
    assert len(tasks) == 3


def test_a_problem_between_clean_results(bureau, enterprise, publish):
    publish(enterprise, DAYS[0])
    publish(enterprise, DAYS[1], Outcome.CORRECTED)  # 发现问题已责令改正
    publish(enterprise, DAYS[2])
    publish(enterprise, date(2026, 10, 9))
    assert _weight(bureau, enterprise) == 3  # the last three: 10-09, 09-10 clean, 06-10 a problem
    publish(enterprise, date(2026, 11, 10))
    assert _weight(bureau, enterprise) == 1  # now the last three are clean


def test_a_corrected_published_result_changes_the_record(bureau, enterprise, publish, alice):
    publish(enterprise, DAYS[0])
    publish(enterprise, DAYS[1])
    pending = publish(enterprise, DAYS[2], Outcome.PENDING_FOLLOW_UP)
    assert _weight(bureau, enterprise) == 3
    with at(date(2026, 11, 16)):
        result_correct(
            actor=alice,
            task=pending,
            outcome=Outcome.NO_PROBLEM,
            reason="立案调查未发现违法行为",
            source=CorrectionSource.CASE,
        )
    assert _kept(enterprise)[-1] == (pending.pk, pending.number, DAYS[2], DAYS[2], True)
    assert _weight(bureau, enterprise) == 1
    # an objection upheld the other way: the record follows again
    with at(date(2026, 11, 20)):
        result_correct(
            actor=alice,
            task=pending,
            outcome=Outcome.CORRECTED,
            reason="复核发现问题",
            source=CorrectionSource.OBJECTION,
        )
    assert _kept(enterprise)[-1][-1] is False
    assert _weight(bureau, enterprise) == 3
    changed = AuditEntry.objects.filter(action="enterprises.inspection_record_changed").order_by("id")
    assert [(e.actor_id, e.data["task"], e.data["before"], e.data["after"]) for e in changed] == [
        (alice.pk, pending.pk, {"clean": False}, {"clean": True}),
        (alice.pk, pending.pk, {"clean": True}, {"clean": False}),
    ]


def test_a_recent_penalty_keeps_the_weight(bureau, enterprise, publish, carol):
    for day in DAYS:
        publish(enterprise, day)
    EnterpriseRecord.objects.create(
        enterprise=enterprise, kind=RecordKind.PENALTY, date=date(2026, 10, 20), description="罚款"
    )
    assert _weight(bureau, enterprise) == 4  # 1 + min(3 records, 3); no term with a penalty in 12 months


# --- results published before the record existed -----------------------------------------------------------


@pytest.fixture
def before_the_record(monkeypatch):
    """Publications made while the publication did not yet keep the enterprise's record."""
    monkeypatch.setattr(publication, "inspection_record_set", lambda **kwargs: (None, False))


def test_the_backfill_puts_earlier_results_on_the_record_once(
    bureau, enterprise, publish, before_the_record, monkeypatch
):
    tasks = [
        publish(enterprise, DAYS[0]),
        publish(enterprise, DAYS[1], Outcome.UNREACHABLE),
        publish(enterprise, DAYS[2]),
    ]
    assert not InspectionRecord.objects.exists()
    monkeypatch.undo()
    out = StringIO()
    with at(date(2026, 12, 4)):
        call_command("backfill_inspection_records", stdout=out)
    assert out.getvalue().splitlines() == [
        *(f"task {t.pk}: on the record" for t in tasks),
        "3 result(s) put on the record",
    ]
    assert [row[-1] for row in _kept(enterprise)] == [True, False, True]
    entries = AuditEntry.objects.filter(action="enterprises.inspection_recorded").order_by("id")
    assert [(e.actor_id, e.actor_name, e.data["after"]["task"]) for e in entries] == [
        (None, BACKFILL, t.pk) for t in tasks
    ]
    # again: nothing to do, nothing written
    out = StringIO()
    call_command("backfill_inspection_records", stdout=out)
    assert out.getvalue() == "0 result(s) put on the record\n"
    assert AuditEntry.objects.filter(action__startswith="enterprises.inspection_record").count() == 3
    assert _weight(bureau, enterprise) == 3  # 09-10, 06-10 无法联系: the run is one long


def test_the_backfill_repairs_a_row_left_behind_and_keeps_to_its_bureau(
    bureau, other_bureau, enterprise, publish, before_the_record, monkeypatch
):
    task = publish(enterprise, DAYS[0], Outcome.CORRECTED)
    monkeypatch.undo()
    InspectionRecord.objects.create(
        enterprise=enterprise,
        task_id=task.pk,
        number=task.number,
        inspected_on=DAYS[0],
        published_on=DAYS[0],
        clean=True,  # not as published
        recorded_at=timezone.now(),
        updated_at=timezone.now(),
    )
    out = StringIO()
    call_command("backfill_inspection_records", "--bureau", other_bureau.code, stdout=out)
    assert out.getvalue() == "0 result(s) put on the record\n"
    call_command("backfill_inspection_records", "--bureau", bureau.code, stdout=out)
    assert _kept(enterprise) == [(task.pk, task.number, DAYS[0], DAYS[0], False)]
    with pytest.raises(CommandError, match="no bureau with the code 'nowhere'"):
        call_command("backfill_inspection_records", "--bureau", "nowhere")


# --- the credit record page ----------------------------------------------------------------------------


def test_the_credit_record_names_the_clean_run(bureau, enterprise, publish, dave, mallory, client_for):
    url = f"/followup/enterprise/{enterprise.pk}/credit/"
    publish(enterprise, date(2026, 2, 10), Outcome.UNREACHABLE)
    publish(enterprise, DAYS[0])
    publish(enterprise, DAYS[1])
    with at(AS_OF):
        html = client_for(dave).get(url).content.decode()
    assert "今日风险权重：3" in html
    assert _terms(html) == {
        "base": ("每家企业有一张签。", "1"),
        "records": ("2023-12-01 之后至 2026-12-01 的记录 2 条（最多计 3 条）", "2"),
        "credit": ("未评价", "0"),
        "clean": ("最近连续 2 次已公示的检查结果未发现问题；需连续 3 次（2026-02-10 的检查发现问题）", "—"),
        "total": ("", "3"),
    }
    publish(enterprise, DAYS[2])
    with at(AS_OF):
        html = client_for(dave).get(url).content.decode()
    assert "今日风险权重：1" in html
    assert _terms(html)["clean"] == ("连续 3 次检查未发现问题：权重为 1", "1")
    assert _terms(html)["total"] == ("", "1")
    # a penalty in the last 12 months: the term does not apply
    EnterpriseRecord.objects.create(
        enterprise=enterprise, kind=RecordKind.PENALTY, date=date(2026, 10, 20), description="罚款"
    )
    with at(AS_OF):
        html = client_for(dave).get(url).content.decode()
    assert "今日风险权重：4" in html
    assert _terms(html)["clean"] == ("连续 3 次检查未发现问题，但 2025-12-01 之后有行政处罚记录：不适用此项", "—")
    # another bureau's staff do not see it
    assert client_for(mallory).get(url).status_code == 404


def test_the_credit_record_without_the_term(bureau, enterprise, publish, erin, dave, client_for):
    for day in DAYS:
        publish(enterprise, day)
    rule = {
        "window_years": 3,
        "records_cap": 3,
        "warning_term": 1,
        "bad_term": 2,
        "penalty_months": 12,
        "penalty_weight": 0,
        "clean_streak": 0,
        "clean_weight": 1,
    }
    with at(date(2026, 11, 25)):
        risk_rule_update(actor=erin, bureau=bureau, **rule)
    with at(AS_OF):
        html = client_for(dave).get(f"/followup/enterprise/{enterprise.pk}/credit/").content.decode()
    assert "今日风险权重：3" in html
    assert "term-clean" not in html
    assert re.findall(r'<tr id="term-(\w+)">', html) == ["base", "records", "credit", "total"]
