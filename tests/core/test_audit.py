import importlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from core.audit import GENESIS_HASH, audit_log, audit_log_many, verify_chain
from core.models import AuditEntry, CalendarYear


def _log(n, actor=None, bureau=None):
    entries = []
    for i in range(n):
        with transaction.atomic():
            entries.append(audit_log(actor=actor, action="test.thing_done", bureau=bureau, data={"i": i, "当": "中文"}))
    return entries


def test_audit_log_chains_entries(bureau, alice):
    first, second = _log(2, actor=alice, bureau=bureau)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert second.actor_name == "张组长"
    assert second.data == {"i": 1, "当": "中文"}
    report = verify_chain()
    assert report.ok and report.checked == 2


def test_audit_log_many_continues_the_chain_from_the_last_entry(bureau, alice):
    (last,) = _log(1, actor=alice, bureau=bureau)
    with transaction.atomic():
        year = CalendarYear.objects.create(year=2032, source="测试")
        audit_log_many(
            actor=alice,
            bureau=bureau,
            entries=[("test.year_loaded", year, {"after": 2032}), ("test.import", None, {"rows": 1, "当": "中文"})],
        )
    first, second = AuditEntry.objects.filter(action__in=["test.year_loaded", "test.import"]).order_by("id")
    assert first.prev_hash == last.hash
    assert second.prev_hash == first.hash
    assert (first.object_type, first.object_id, first.bureau_id, first.actor_name) == (
        "core.calendaryear",
        str(year.pk),
        bureau.pk,
        "张组长",
    )
    assert second.data == {"rows": 1, "当": "中文"}
    report = verify_chain()
    assert report.ok and report.checked == 3


def test_audit_log_many_outside_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError):
        audit_log_many(actor=None, bureau=None, entries=[("test.x", None, {})])


def test_audit_log_records_object_and_previous_values(alice):
    with transaction.atomic():
        year = CalendarYear.objects.create(year=2031, source="测试")
        entry = audit_log(actor=alice, action="calendar.year_loaded", obj=year, data={"before": None, "after": 2031})
    assert (entry.object_type, entry.object_id, entry.object_repr) == ("core.calendaryear", str(year.pk), "2031")
    assert entry.data == {"before": None, "after": 2031}


def test_audit_log_outside_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError):
        audit_log(actor=None, action="test.x")


def test_audit_entries_cannot_be_changed_or_deleted_through_the_orm(db):
    (entry,) = _log(1)
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def _tamper(sql, params):
    """Change a row behind the ORM's back (on PostgreSQL the owner must disable the trigger first)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER USER")


def test_verify_chain_names_the_first_tampered_entry(transactional_db):
    entries = _log(4)
    _tamper("UPDATE core_auditentry SET data = %s WHERE id = %s", ['{"i": 99}', entries[2].pk])
    report = verify_chain()
    assert not report.ok
    assert report.broken_id == entries[2].pk
    assert report.checked == 2
    with pytest.raises(CommandError, match=f"entry #{entries[2].pk}"):
        call_command("verify_audit")


def test_verify_chain_detects_a_deleted_entry(transactional_db):
    entries = _log(3)
    _tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    report = verify_chain()
    assert report.broken_id == entries[2].pk
    assert "link" in report.reason


def test_verify_audit_command_reports_intact_chain(db, capsys):
    _log(3)
    call_command("verify_audit")
    assert capsys.readouterr().out.strip() == "audit chain intact: 3 entries"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize(
    "sql",
    ["UPDATE core_auditentry SET action = 'x'", "DELETE FROM core_auditentry", "TRUNCATE core_auditentry CASCADE"],
)
def test_postgresql_trigger_refuses_update_delete_truncate(transactional_db, sql):
    _log(1)
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ssj.test_flush = 'off'")  # what every non-test session has
        cursor.execute(sql)
    assert AuditEntry.objects.count() == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_database_migrated_normally_has_no_flush_escape(transactional_db):
    """ssj.test_flush opens TRUNCATE in the test database only: not for the owner of a migrated database."""
    migration = importlib.import_module("core.migrations.0003_append_only_without_test_escape")
    assert "test_flush" not in migration.APPEND_ONLY
    _log(1)
    refused = pytest.raises(Exception, match="append-only: TRUNCATE refused")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(migration.APPEND_ONLY)  # the function as `migrate` leaves it
        cursor.execute("SET LOCAL ssj.test_flush = 'on'")
        cursor.execute("TRUNCATE core_auditentry CASCADE")
    assert AuditEntry.objects.count() == 1


def test_audit_list_for_auditor_filters_and_scopes(client_for, dave, bureau, other_bureau, mallory):
    with transaction.atomic():
        audit_log(actor=dave, action="enterprise.created", bureau=bureau, object_repr="许昌宏达化工有限公司")
        audit_log(actor=dave, action="draw.approved", bureau=bureau, object_repr="建环抽查〔2026〕1号")
        audit_log(actor=mallory, action="enterprise.created", bureau=other_bureau, object_repr="外局企业")
    client = client_for(dave)
    body = client.get("/audit/").content.decode()
    assert "许昌宏达化工有限公司" in body and "建环抽查〔2026〕1号" in body
    assert "外局企业" not in body
    filtered = client.get("/audit/", {"action": "draw."}).content.decode()
    assert "建环抽查〔2026〕1号" in filtered and "许昌宏达化工有限公司" not in filtered


def test_audit_list_refused_to_other_roles(client_for, alice, carol):
    assert client_for(alice).get("/audit/").status_code == 403
    assert client_for(carol).get("/audit/").status_code == 403


@pytest.mark.parametrize("rows", [1, 3])
def test_audit_list_query_count(client_for, dave, bureau, rows, django_assert_num_queries):
    with transaction.atomic():
        for i in range(rows):
            audit_log(actor=dave, action="test.row", bureau=bureau, data={"i": i})
    client = client_for(dave)
    client.get("/audit/")  # warm the session
    # session, user, memberships, count, page of entries, session save (in a savepoint pair)
    with django_assert_num_queries(8):
        assert client.get("/audit/").status_code == 200
