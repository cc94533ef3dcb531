"""The database itself refuses unknown enumerated values and broken invariants (issue 14 item 4).

Runs on SQLite and on PostgreSQL (``DATABASE_URL``): every enumerated column gets a bad value through raw
SQL (an INSERT for the calendar, an UPDATE of a valid row elsewhere) and the database refuses it.
"""

from datetime import date

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from core.constraints import _violations
from core.models import CalendarDay, Job, NotificationOptOut, NotificationSent
from enterprises.models import EnterpriseRecord, EnterpriseStatusChange
from inspections.models import (
    Attachment,
    Evaluation,
    Exemption,
    InspectionResult,
    InspectionTask,
    Objection,
    ObjectionFile,
    OutcomeChange,
    PaperScan,
    Reminder,
    Substitution,
    SubstitutionRequest,
    TaskMember,
)
from inspections.publication import publication_publish
from inspectors.models import Expert
from sampling.models import DrawChange, QuotaPolicy
from tests.factories import InspectorFactory
from tests.tamper import triggers_disabled

from .factories import InspectionTaskFactory, make_task

APPS = ("core", "enterprises", "inspectors", "sampling", "inspections")


def enum_checks():
    """(model, column) of every CHECK constraint on an enumerated column (named ``<model>_<field>_valid``)."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.CheckConstraint) and constraint.name.endswith("_valid"):
                (lookup, _values) = constraint.condition.children[0]
                field = model._meta.get_field(lookup.removesuffix("__in"))
                found.append((model, field.column))
    return found


def test_every_enumerated_column_has_a_check():
    checked = {(m._meta.label, c) for m, c in enum_checks()}
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        for field in model._meta.concrete_fields:
            if field.choices and field.get_internal_type() == "CharField":
                assert (model._meta.label, field.column) in checked, f"{model._meta.label}.{field.name} has no CHECK"


@pytest.fixture
def every_row(approved, alice, bob, frank, bureau, draw, partner):
    """At least one valid row in every table with an enumerated column."""
    result = approved
    task = result.task
    publication_publish(actor=frank, task=task)
    other = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    now = timezone.now()
    CalendarDay.objects.create(date=date(2031, 1, 1), kind="holiday")
    Job.objects.create(kind="test.kind")
    NotificationOptOut.objects.create(user=frank, kind="draw_approval")
    NotificationSent.objects.create(
        kind="draw_approval", event="draw-approval:1", user=frank, email="f@x.example", subject="s", sent_at=now
    )
    EnterpriseStatusChange.objects.create(enterprise=task.enterprise, new_status="suspended", effective_date=now.date())
    EnterpriseRecord.objects.create(enterprise=task.enterprise, kind="complaint", date=now.date(), description="x")
    Expert.objects.create(bureau=bureau, name="专家", kind="monitoring", organisation="监测站")
    QuotaPolicy.objects.create(bureau=bureau, year=2031)
    Substitution.objects.create(draw=draw, kind="inspector", task=task, reason="病假", actor=frank)
    SubstitutionRequest.objects.create(
        draw=other.draw,
        task=other,
        kind="enterprise",
        reason_code="unreachable",
        note="多次联系不上",
        proposed_by=frank,
        proposed_by_name="frank",
        proposed_at=now,
    )
    DrawChange.objects.create(
        draw=draw,
        step="approval",
        kind="enterprise",
        stratum="2026Q1/key",
        uscc=task.enterprise.uscc,
        old="a",
        new="b",
        reason="yearly_cap",
    )
    Attachment.objects.create(
        result=result,
        file="inspections/x.jpg",
        original_name="x.jpg",
        content_type="image/jpeg",
        size=1,
        sha256="0" * 64,
        uploaded_by=bob,
        uploaded_at=now,
    )
    OutcomeChange.objects.create(
        result=result,
        kind="changed",
        old_outcome="pending_follow_up",
        new_outcome="no_problem",
        reason="x",
        actor=frank,
        at=now,
    )
    Exemption.objects.create(task=other, bureau=bureau, reason="涉密", source="publication", decided_at=now)
    scan = PaperScan.objects.create(
        task=task,
        purpose="evaluation",
        file="inspections/y.pdf",
        original_name="评价表.pdf",
        content_type="application/pdf",
        size=1,
        sha256="1" * 64,
        uploaded_by=alice,
        uploaded_at=now,
    )
    Evaluation.objects.create(task=task, rating=4, at=now, method="paper", recorded_by=alice, scan=scan)
    Reminder.objects.create(task=task, bureau=bureau, kind="overdue", day=now.date(), deadline=now.date())
    objection = Objection.objects.create(
        task=task, text="异议", filed_by_name="周", filed_at=now, due_on=now.date(), old_outcome="no_problem"
    )
    ObjectionFile.objects.create(
        objection=objection,
        file="inspections/y.png",
        original_name="y.png",
        content_type="image/png",
        size=1,
        sha256="0" * 64,
        uploaded_at=now,
    )
    return task


@pytest.mark.parametrize(("model", "column"), enum_checks(), ids=lambda v: getattr(v, "__name__", v))
def test_a_bad_value_written_with_raw_sql_is_refused(every_row, model, column):
    pk = model._base_manager.values_list("pk", flat=True).first()
    assert pk is not None, f"no {model.__name__} row to change"
    table, quote = model._meta.db_table, connection.ops.quote_name
    key = model._meta.pk.get_db_prep_value(pk, connection)
    # the CHECK itself, not a trigger of the table that may refuse the change first (a committed draw's)
    with triggers_disabled(table), pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE {quote('id')} = %s", ["x?", key])
    assert not model._base_manager.filter(**{f"{column}": "x?"}).exists()


def test_a_bad_value_inserted_with_raw_sql_is_refused(db):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO core_calendarday (date, kind, name) VALUES (%s, %s, %s)", ["2031-01-02", "x?", ""])
    assert not CalendarDay.objects.filter(date=date(2031, 1, 2)).exists()


def test_an_unknown_outcome_is_refused_on_insert(recorded):
    quote = connection.ops.quote_name
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote('inspections_inspectionresult')} SET outcome = %s", ["passed"])
    assert InspectionResult.objects.get().outcome == "no_problem"


def test_one_task_per_enterprise_per_draw(task):
    with pytest.raises(IntegrityError), transaction.atomic():
        InspectionTaskFactory(bureau=task.bureau, draw=task.draw, enterprise=task.enterprise)


def test_an_inspector_is_a_current_member_once_per_task(task, bob):
    member = TaskMember.objects.get(task=task, inspector=bob.inspector)
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskMember.objects.create(task=task, inspector=bob.inspector, position=9)
    # a replaced member stays, inactive, and may come back as a new current row
    TaskMember.objects.filter(pk=member.pk).update(active=False)
    TaskMember.objects.create(task=task, inspector=bob.inspector, position=9)
    assert TaskMember.objects.filter(task=task, inspector=bob.inspector).count() == 2


def test_the_migration_check_names_the_rows_that_would_break_a_constraint(task, bureau, draw, bob):
    second = make_task(bureau=bureau, inspectors=[InspectorFactory(bureau=bureau)], draw=draw)
    rule = models.UniqueConstraint(fields=["draw"], name="one_task_per_draw")
    assert _violations(InspectionTask, rule) == [f"sampling_inspectiontask draw={draw.pk} (2 rows)"]
    check = models.CheckConstraint(condition=models.Q(status="cancelled"), name="all_cancelled")
    assert sorted(_violations(InspectionTask, check)) == sorted(
        f"sampling_inspectiontask id={pk}" for pk in (task.pk, second.pk)
    )
