"""core.bulk: the same rows and values through COPY (PostgreSQL) and bulk_create/bulk_update (elsewhere)."""

import pytest
from django.db import transaction
from django.utils import timezone

from core import bulk
from core.models import AuditEntry, CalendarYear
from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory


def _audit_row(i, *, data=None):
    return {
        "created_at": timezone.now(),
        "bureau_id": None,
        "actor_id": None,
        "actor_name": "测试",
        "action": "test.bulk",
        "object_type": "",
        "object_id": str(i),
        "object_repr": f"第{i}行",
        "data": data if data is not None else {"i": i, "当": "中文"},
        "prev_hash": "0" * 64,
        "hash": f"{i:064d}",
    }


def test_columns_are_every_concrete_field_but_the_key():
    assert bulk.columns(CalendarYear) == ("year", "source", "loaded_at")


def test_insert_writes_every_row_with_its_values_json_included(db):
    fields = bulk.columns(AuditEntry)
    rows = [_audit_row(i) for i in range(3)]
    with transaction.atomic():
        bulk.insert(AuditEntry, fields, [tuple(row[name] for name in fields) for row in rows])
    stored = list(AuditEntry.objects.order_by("object_id").values_list("object_id", "object_repr", "data"))
    assert stored == [(str(i), f"第{i}行", {"i": i, "当": "中文"}) for i in range(3)]


def test_insert_of_no_rows_writes_nothing(db):
    bulk.insert(AuditEntry, bulk.columns(AuditEntry), [])
    assert bulk.insert_returning_ids(AuditEntry, bulk.columns(AuditEntry), []) == []
    assert not AuditEntry.objects.exists()


def test_insert_refuses_rows_that_leave_out_a_column(db):
    fields = [name for name in bulk.columns(AuditEntry) if name != "object_repr"]
    with pytest.raises(ValueError, match=r"missing \['object_repr'\]"):
        bulk.insert(AuditEntry, fields, [])
    with pytest.raises(ValueError, match=r"unknown \['colour'\]"):
        bulk.insert_returning_ids(AuditEntry, [*bulk.columns(AuditEntry), "colour"], [])


def test_insert_returning_ids_gives_the_new_ids_in_the_order_of_the_rows(db):
    fields = bulk.columns(AuditEntry)
    rows = [_audit_row(i) for i in (5, 3, 9)]
    with transaction.atomic():
        ids = bulk.insert_returning_ids(AuditEntry, fields, [tuple(row[name] for name in fields) for row in rows])
    assert [AuditEntry.objects.get(pk=pk).object_id for pk in ids] == ["5", "3", "9"]
    assert len(set(ids)) == 3


def test_update_rows_writes_only_the_named_fields(db, bureau):
    first, second = EnterpriseFactory(bureau=bureau, name="甲"), EnterpriseFactory(bureau=bureau, name="乙")
    first.name, first.notes = "甲二", "不写"
    second.name = "乙二"
    with transaction.atomic():
        bulk.update_rows(Enterprise, [first, second], ["name"])
    assert list(Enterprise.objects.order_by("pk").values_list("name", "notes")) == [("甲二", ""), ("乙二", "")]


def test_insert_large_and_update_large_write_the_values_as_given_and_fail_as_the_orm_would(db):
    """Megabytes of text with quotes, backslashes and Chinese go in as given (bound by the server on PostgreSQL);
    a duplicate key is Django's IntegrityError, as from the ORM."""
    from django.db import IntegrityError

    from sampling.models import DrawData
    from tests.inspections.factories import DrawFactory

    draw = DrawFactory(seq=1)
    pool = '[{"id":"引号 \\" 和 \\\\ 反斜杠","weight":1}]' * 50_000
    values = {
        "draw_id": draw.pk,
        "pool_json": pool,
        "member_ids": {"2026Q1/general": [7, 8]},
        "exclusions": [{"name": '乙 \\ "', "reason": "not_operating"}],
        "inspectors": {"pool": ["ZF001"]},
        "staffing": {},
        "result": None,
    }
    with transaction.atomic():
        bulk.insert_large(DrawData, values)
        bulk.update_large(DrawData, draw.pk, {"result": {"teams": {"A1": ["ZF001"]}}})
    stored = DrawData.objects.get(pk=draw.pk)
    assert (stored.pool_json, stored.member_ids, stored.exclusions, stored.inspectors, stored.result) == (
        pool,
        {"2026Q1/general": [7, 8]},
        [{"name": '乙 \\ "', "reason": "not_operating"}],
        {"pool": ["ZF001"]},
        {"teams": {"A1": ["ZF001"]}},
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_large(DrawData, values)
