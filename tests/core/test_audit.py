import importlib
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.audit import GENESIS_HASH, anchor_write, audit_log, audit_log_many, entry_hash, verify_chain
from core.models import AuditAnchor, AuditEntry, CalendarYear


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
    with pytest.raises(RuntimeError) as info:
        audit_log_many(actor=None, bureau=None, entries=[("test.x", None, {})])
    assert str(info.value) == "audit_log_many must be called inside the transaction of the change it records"


def test_audit_log_records_object_and_previous_values(alice):
    with transaction.atomic():
        year = CalendarYear.objects.create(year=2031, source="测试")
        entry = audit_log(actor=alice, action="calendar.year_loaded", obj=year, data={"before": None, "after": 2031})
    assert (entry.object_type, entry.object_id, entry.object_repr) == ("core.calendaryear", str(year.pk), "2031")
    assert entry.data == {"before": None, "after": 2031}


def test_audit_log_outside_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError) as info:
        audit_log(actor=None, action="test.x")
    assert str(info.value) == "audit_log must be called inside the transaction of the change it records"


def test_an_entry_without_object_has_empty_object_fields_and_a_label_as_actor(db):
    with transaction.atomic():
        entry = audit_log(actor="manage.py seed_demo", action="test.x")
    assert (entry.object_type, entry.object_id, entry.object_repr, entry.bureau_id) == ("", "", "", None)
    assert (entry.actor_id, entry.actor_name) == (None, "manage.py seed_demo")


def test_an_entry_takes_its_bureau_from_its_object_when_none_is_given(db, alice):
    from tests.inspections.factories import DrawFactory

    draw = DrawFactory(seq=1)
    with transaction.atomic():
        entry = audit_log(actor=alice, action="test.x", obj=draw)
        many = audit_log_many(actor=alice, bureau=None, entries=[("test.y", draw, {})])
    assert many is None
    assert entry.bureau_id == draw.task.plan.bureau_id == draw.bureau_id
    assert AuditEntry.objects.get(action="test.y").bureau_id == draw.bureau_id


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
        response = client.get("/audit/")
    assert response.status_code == 200
    assert [entry.data for entry in response.context["page"]][:rows] == [{"i": i} for i in reversed(range(rows))]


# --- anchors: the chain's head kept outside the database -------------------------------------------------


def _owner_sql(*statements):
    """As the schema owner: the append-only triggers disabled (PostgreSQL) for the statements."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE core_auditanchor DISABLE TRIGGER USER")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER USER")
            cursor.execute("ALTER TABLE core_auditanchor ENABLE TRIGGER USER")


def _rehash(entries, changed_id, data):
    """Edit one entry and recompute its hash and every later one, so the chain recomputes cleanly."""
    prev, statements = GENESIS_HASH, []
    for entry in entries:
        if entry.pk == changed_id:
            entry.data = data
        fields = {
            name: getattr(entry, name)
            for name in ("created_at", "bureau_id", "actor_id", "actor_name", "action", "object_type", "object_id")
        }
        new_hash = entry_hash(prev_hash=prev, object_repr=entry.object_repr, data=entry.data, **fields)
        statements.append(
            (
                "UPDATE core_auditentry SET data = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [json.dumps(entry.data), prev, new_hash, entry.pk],
            )
        )
        prev = new_hash
    return statements


def test_audit_anchor_records_the_head_in_the_database_the_file_and_the_public_list(db, tmp_path, capsys):
    path = tmp_path / "anchors.jsonl"
    call_command("audit_anchor", file=str(path))
    entries = _log(2)
    call_command("audit_anchor", file=str(path))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["entry"], line["hash"]) for line in lines] == [(0, GENESIS_HASH), (entries[1].pk, entries[1].hash)]
    assert [a.as_line() for a in AuditAnchor.objects.order_by("id")] == lines
    assert f"anchored entry #{entries[1].pk} {entries[1].hash}" in capsys.readouterr().out
    public = Client().get("/public/audit-anchors/")  # no account needed
    assert public.status_code == 200 and public["Content-Type"] == "text/plain; charset=utf-8"
    assert [json.loads(line) for line in public.content.decode().splitlines()] == lines
    call_command("verify_audit", anchors=str(path))
    assert capsys.readouterr().out.strip() == "audit chain intact: 2 entries; 4 anchors held"


def test_anchors_are_append_only(db):
    anchor = anchor_write(path="")
    with pytest.raises(PermissionError):
        anchor.save()
    with pytest.raises(PermissionError):
        AuditAnchor.objects.all().delete()


@pytest.mark.parametrize("attack", ["truncate", "delete the tail", "edit and rehash"])
def test_verify_audit_with_anchors_finds_a_rewritten_chain(transactional_db, tmp_path, capsys, attack):
    path = tmp_path / "anchors.jsonl"
    entries = _log(3)
    anchor_write(path=str(path))
    _log(1)
    wipe_anchors = ("DELETE FROM core_auditanchor", [])  # the owner removes the database's own anchors too
    if attack == "truncate":
        wipe = "TRUNCATE core_auditentry" if connection.vendor == "postgresql" else "DELETE FROM core_auditentry"
        _owner_sql((wipe, []), wipe_anchors)
        expected, reason = 0, "the chain holds no such entry"
    elif attack == "delete the tail":
        _owner_sql(("DELETE FROM core_auditentry WHERE id >= %s", [entries[1].pk]), wipe_anchors)
        expected, reason = 1, "the chain holds no such entry"
    else:
        everything = list(AuditEntry.objects.order_by("id"))
        _owner_sql(*_rehash(everything, entries[1].pk, {"i": 99}), wipe_anchors)
        expected, reason = 4, "the entry's hash differs from the anchored hash"
    call_command("verify_audit")  # without the file the rewritten chain looks whole
    assert capsys.readouterr().out.strip() == f"audit chain intact: {expected} entries"
    with pytest.raises(CommandError) as refused:
        call_command("verify_audit", anchors=str(path))
    assert str(refused.value) == (
        f"anchor of {json.loads(path.read_text())['at']} (entry #{entries[2].pk}, hash {entries[2].hash[:16]}…): "
        f"{reason} — the chain was truncated, shortened or rehashed"
    )


def test_verify_audit_checks_the_database_anchors_and_refuses_a_malformed_file(db, tmp_path):
    entries = _log(2)
    anchor_write(path="")
    call_command("verify_audit")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"entry": 1}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="line 1: not an anchor"):
        call_command("verify_audit", anchors=str(bad))
    with pytest.raises(CommandError, match="cannot read the anchors"):
        call_command("verify_audit", anchors=str(tmp_path / "missing.jsonl"))
    assert entries


def test_verify_audit_of_a_restored_backup_takes_the_anchors_before_its_day(db, tmp_path):
    path = tmp_path / "anchors.jsonl"
    (entry,) = _log(1)
    anchor_write(path=str(path))
    later = {"entry": entry.pk + 50, "hash": "f" * 64, "at": "2099-01-01T09:00:00+08:00"}  # after the dump
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(later) + "\n")
    with pytest.raises(CommandError, match="the chain holds no such entry"):
        call_command("verify_audit", anchors=str(path))
    call_command("verify_audit", anchors=str(path), anchored_before="2099-01-01")


# --- the state digests (issue 20: the audit digests under mutation testing) --------------------------------


@pytest.mark.parametrize(
    ("value", "digest"),
    [
        # printf '"approved"' | sha256sum, and so on: canonical JSON, keys sorted, no spaces, UTF-8 as is
        ("approved", "70ab47ec8fbd75027e36d5fae28639b5"),
        ({"b": "中", "a": 1}, "2831299868169bc527f55f88ebbdcd8b"),
        (None, "74234e98afe7498fb5daf1f36ac2d78a"),
        (date(2026, 12, 4), "79a8577af8a9f72c46f559b6a70d388f"),
    ],
)
def test_field_digest_is_the_first_128_bits_of_the_sha256_of_canonical_json(value, digest):
    from core.audit import field_digest

    assert field_digest(value) == digest


def test_verify_rows_finds_a_row_changed_behind_the_services_and_names_its_fields(db, alice):
    from core.audit import field_digest, state_digests, state_key, verify_rows
    from sampling.models import Draw
    from tests.inspections.factories import DrawFactory
    from tests.tamper import triggers_disabled

    draw = DrawFactory(seq=1)
    digests = state_digests([draw])
    assert list(digests) == [f"sampling.draw:{draw.pk}"] == [state_key(draw)]
    assert digests[state_key(draw)]["status"] == field_digest(draw.status)
    assert digests[state_key(draw)]["seq"] == field_digest(1)
    assert list(digests[state_key(draw)]) == list(Draw.STATE_FIELDS)
    with transaction.atomic():
        entry = audit_log(actor=alice, action="test.draw_touched", obj=draw, state=[draw])
    assert entry.data["state"] == digests
    report = verify_chain()
    assert report.ok and report.states == {state_key(draw): entry.pk}
    assert verify_rows(report.states) == []

    with triggers_disabled("sampling_draw"):
        Draw.objects.filter(pk=draw.pk).update(seq=7, year=draw.year + 1)
    (mismatch,) = verify_rows(verify_chain().states)
    assert (mismatch.table, mismatch.pk, mismatch.entry_id, sorted(mismatch.fields)) == (
        "sampling_draw",
        str(draw.pk),
        entry.pk,
        ["seq", "year"],
    )
    assert str(mismatch).startswith(f"sampling_draw #{draw.pk} does not match audit entry #{entry.pk}: fields ")


def test_verify_rows_reports_a_missing_row_and_skips_a_removed_model(db):
    from core.audit import RowMismatch, verify_rows

    assert (
        str(RowMismatch("sampling_draw", "5", 9, []))
        == "sampling_draw #5 does not match audit entry #9: the row is missing"
    )
    assert verify_rows({"gone.model:1": 3}) == []


def test_the_latest_entry_of_a_row_is_the_one_compared(db, alice):
    from core.audit import state_key, verify_rows
    from sampling.models import Draw
    from tests.inspections.factories import DrawFactory
    from tests.tamper import triggers_disabled

    draw = DrawFactory(seq=1)
    with transaction.atomic():
        audit_log(actor=alice, action="test.draw_touched", obj=draw, state=[draw])
    with triggers_disabled("sampling_draw"):
        Draw.objects.filter(pk=draw.pk).update(seq=2)
    with transaction.atomic():
        second = audit_log(actor=alice, action="test.draw_touched", obj=draw, state=[draw])
    report = verify_chain()
    assert report.states == {state_key(draw): second.pk}
    assert verify_rows(report.states) == []


@pytest.mark.parametrize(
    "value",
    [
        {"b": [1, 2.5, None, True], "a": {"z": "中", "y": -0.0}},
        {"10": 1, "2": 2},  # JSON text keeps keys as text: sorted as text
        [{"id": "91330100MA2XXXXX1Y", "weight": 1}] * 3,
        '引号 " 和 \\ 反斜杠',
        12345678901234567890,
        None,
    ],
)
def test_the_digest_of_json_text_is_the_digest_of_its_value(value):
    """A column of JSON text (``stores_json_text``) is digested from its text: the same digest as its decoded value."""
    from core.audit import field_digest, json_text_digest
    from sampling.models import JSONTextField

    text = JSONTextField().get_prep_value(value)
    assert json_text_digest(text) == field_digest(json.loads(text) if text is not None else None)
    assert json_text_digest(text) == field_digest(value)  # here: the value is JSON-native


def test_state_digests_of_json_text_columns_match_their_decoded_values_and_catch_a_change(db, alice):
    from core.audit import field_digest, state_digests, state_key, verify_rows
    from sampling.models import DrawData
    from tests.inspections.factories import DrawFactory
    from tests.tamper import triggers_disabled

    draw = DrawFactory(seq=1)
    data = DrawData.objects.create(
        draw_id=draw.pk,
        pool_json='[{"count":1,"label":"2026Q1/general","members":[{"id":"A1","weight":1}]}]',
        member_ids={"2026Q1/general": [7]},
        exclusions=[{"id": 8, "uscc": "B2", "name": "乙", "reason": "not_operating", "params": {"status": "closed"}}],
        inspectors={"pool": ["ZF001", "ZF002"], "team_size": 2, "max_per_inspector": 3, "exclusions": []},
        staffing={"names": {"ZF001": "甲", "ZF002": "乙"}},
        result=None,
    )
    stored = DrawData.objects.get(pk=data.pk)
    digests = state_digests([data])[state_key(data)]
    assert digests == {name: field_digest(getattr(stored, name)) for name in DrawData.STATE_FIELDS}
    assert digests["result"] == field_digest(None)
    with transaction.atomic():
        entry = audit_log(actor=alice, action="test.data_touched", obj=draw, state=[data])
    assert verify_rows(verify_chain().states) == []

    def store(text):
        with triggers_disabled("sampling_drawdata"), connection.cursor() as cursor:
            cursor.execute("UPDATE sampling_drawdata SET member_ids = %s WHERE draw_id = %s", [text, data.pk])

    store('{ "2026Q1/general" : [ 7 ] }')  # the same value written otherwise: it matches
    assert verify_rows(verify_chain().states) == []
    store('{"2026Q1/general":[9]}')
    (mismatch,) = verify_rows(verify_chain().states)
    assert (mismatch.table, mismatch.entry_id, mismatch.fields) == ("sampling_drawdata", entry.pk, ["member_ids"])


def test_a_row_mismatch_names_its_fields_separated_by_commas():
    from core.audit import RowMismatch

    assert (
        str(RowMismatch("sampling_draw", "5", 9, ["seq", "year"]))
        == "sampling_draw #5 does not match audit entry #9: fields seq, year"
    )


# --- refusals of a step, written after the refused transaction rolled back -----------------------------------


def _refusal(obj, *inspectors, step="check_in", day=date(2026, 11, 23), enterprise=("91410000MA0000001X", "宏达化工")):
    from core.errors import StepRefused

    return StepRefused("refused", obj=obj, step=step, day=day, enterprise=enterprise, inspectors=inspectors, draw_id=41)


@pytest.fixture
def year(db):
    return CalendarYear.objects.create(year=2033, source="测试")


REFUSED_AT = "2026-11-23 10:00:00+08:00"


def test_a_refusal_writes_one_entry_per_inspector_naming_step_inspector_enterprise_rule_day_and_draw(year, alice):
    import time_machine

    from core.audit import audit_refusal

    refusal = _refusal(year, ("JA001", "李明", "on leave"), ("JA002", "王芳", "recused"))
    with time_machine.travel(REFUSED_AT, tick=False):
        written = audit_refusal(actor=alice, action="inspections.step_refused", refusal=refusal)
    assert written == list(AuditEntry.objects.order_by("id"))
    assert [(e.action, e.actor_id, e.actor_name, e.object_type, e.object_id) for e in written] == [
        ("inspections.step_refused", alice.pk, "张组长", "core.calendaryear", str(year.pk)),
    ] * 2
    common = {"step": "check_in", "enterprise": "91410000MA0000001X", "enterprise_name": "宏达化工"}
    assert [e.data for e in written] == [
        {**common, "inspector": "JA001", "inspector_name": "李明", "rule": "on leave", "day": "2026-11-23", "draw": 41},
        {**common, "inspector": "JA002", "inspector_name": "王芳", "rule": "recused", "day": "2026-11-23", "draw": 41},
    ]
    assert verify_chain().ok


def test_a_refusal_runs_in_its_own_transaction_after_the_refused_one_rolled_back(transactional_db):
    from core.audit import audit_refusal

    year = CalendarYear.objects.create(year=2034, source="测试")
    (entry,) = audit_refusal(actor="test", action="test.refused", refusal=_refusal(year, ("JA001", "李明", "rule")))
    assert AuditEntry.objects.get().pk == entry.pk and entry.actor_name == "test"


def test_the_same_refusal_of_the_same_object_on_the_same_day_is_written_once(year, alice):
    import time_machine

    from core.audit import audit_refusal

    first = ("JA001", "李明", "on leave")
    with time_machine.travel(REFUSED_AT, tick=False):
        assert len(audit_refusal(actor=alice, action="x.refused", refusal=_refusal(year, first))) == 1
    with time_machine.travel("2026-11-23 23:59:00+08:00", tick=False):
        # the same again (its inspector's name spelt otherwise: not part of the key), then a new one after it
        again = _refusal(year, ("JA001", "李 明", "on leave"), ("JA002", "王芳", "on leave"))
        assert [e.data["inspector"] for e in audit_refusal(actor=alice, action="x.refused", refusal=again)] == ["JA002"]
        # one inspector twice in one refusal: once
        twice = _refusal(year, ("JA003", "赵", "r"), ("JA003", "赵", "r"))
        assert [e.data["inspector"] for e in audit_refusal(actor=alice, action="x.refused", refusal=twice)] == ["JA003"]
    assert AuditEntry.objects.count() == 3


@pytest.mark.parametrize(
    "change",
    ["step", "inspector", "enterprise", "rule", "action", "object", "object of another model", "next day"],
)
def test_a_refusal_differing_in_step_inspector_enterprise_rule_action_object_or_day_is_written_again(
    year, alice, change
):
    import time_machine

    from core.audit import audit_refusal

    with time_machine.travel(REFUSED_AT, tick=False):
        audit_refusal(actor=alice, action="x.refused", refusal=_refusal(year, ("JA001", "李明", "on leave")))
    obj, action, inspector, kwargs = year, "x.refused", ("JA001", "李明", "on leave"), {}
    moment = "2026-11-23 23:59:00+08:00"
    if change == "step":
        kwargs["step"] = "result"
    elif change == "inspector":
        inspector = ("JA009", "李明", "on leave")
    elif change == "enterprise":
        kwargs["enterprise"] = ("91410000MA0000002Y", "宏达化工")
    elif change == "rule":
        inspector = ("JA001", "李明", "recused")
    elif change == "action":
        action = "y.refused"
    elif change == "object":
        obj = CalendarYear.objects.create(year=2035, source="测试")
    elif change == "object of another model":
        from tests.factories import BureauFactory

        obj = BureauFactory(pk=year.pk, code="samepk")  # the same id, another table
    else:
        moment = "2026-11-24 00:00:00+08:00"  # midnight in Beijing (16:00 UTC the day before)
    with time_machine.travel(moment, tick=False):
        written = audit_refusal(actor=alice, action=action, refusal=_refusal(obj, inspector, **kwargs))
    assert len(written) == 1
    assert AuditEntry.objects.count() == 2


def test_the_refusal_locks_the_refused_objects_row_before_reading_earlier_refusals(year, alice):
    from django.test.utils import CaptureQueriesContext

    from core.audit import audit_refusal

    with CaptureQueriesContext(connection) as queries:
        audit_refusal(actor=alice, action="x.refused", refusal=_refusal(year, ("JA001", "李明", "r")))
    first = queries[0]["sql"] if not queries[0]["sql"].startswith("SAVEPOINT") else queries[1]["sql"]
    assert f'FROM "core_calendaryear" WHERE "core_calendaryear"."id" = {year.pk}' in first


# --- small parts of the chain's code ------------------------------------------------------------------------


def test_actor_display_is_empty_for_no_user_an_anonymous_one_or_a_label(alice):
    from django.contrib.auth.models import AnonymousUser

    from core.audit import actor_display

    assert [actor_display(None), actor_display(AnonymousUser()), actor_display("manage.py x")] == ["", "", ""]
    assert actor_display(alice) == "张组长"


class _PostgresLike:
    """core.audit's view of a PostgreSQL connection: records what its cursors execute (nothing runs)."""

    vendor = "postgresql"

    def __init__(self):
        self.executed = []

    @property
    def in_atomic_block(self):
        return connection.in_atomic_block

    def cursor(self):
        outer = self

        class Cursor:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def execute(self, sql, params):
                outer.executed.append((sql, params))

        return Cursor()


def test_every_writer_of_the_chain_takes_the_same_advisory_lock_on_postgresql(db, monkeypatch):
    import core.audit

    fake = _PostgresLike()
    monkeypatch.setattr(core.audit, "connection", fake)
    with transaction.atomic():
        audit_log(actor="test", action="test.one")
        audit_log_many(actor="test", bureau=None, entries=[("test.many", None, {})])
    anchor_write(path="")
    assert fake.executed == [("SELECT pg_advisory_xact_lock(%s)", [53180082026])] * 3


def test_anchor_write_appends_to_the_configured_file_by_default(db, tmp_path, settings):
    path = tmp_path / "configured.jsonl"
    settings.AUDIT_ANCHOR_FILE = str(path)
    anchor = anchor_write()
    assert path.read_text(encoding="utf-8") == (
        '{"entry": 0, "hash": "' + GENESIS_HASH + '", "at": "' + anchor.created_at.isoformat() + '"}\n'
    )


def test_the_public_list_holds_the_latest_400_anchors_oldest_first(db):
    from core.audit import published_anchors

    anchors = [anchor_write(path="") for _ in range(401)]
    listed = published_anchors()
    assert len(listed) == 400
    assert [line["at"] for line in listed] == [a.created_at.isoformat() for a in anchors[1:]]


def test_read_anchors_skips_blank_lines_and_reads_entry_as_a_number_and_hash_as_text(tmp_path):
    from core.audit import read_anchors

    path = tmp_path / "anchors.jsonl"
    path.write_text('{"entry": "5", "hash": "ab", "at": "t1"}\n\n   \n{"entry": 7, "hash": 12, "at": "t2"}\n')
    assert read_anchors(path) == [{"entry": 5, "hash": "ab", "at": "t1"}, {"entry": 7, "hash": "12", "at": "t2"}]


def test_verify_chain_gives_the_exact_reason_for_a_broken_link_and_a_changed_entry(transactional_db):
    entries = _log(3)
    _tamper("UPDATE core_auditentry SET action = %s WHERE id = %s", ["test.other", entries[1].pk])
    assert (verify_chain().broken_id, verify_chain().reason) == (entries[1].pk, "its content does not match its hash")
    _tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    report = verify_chain()
    assert (report.broken_id, report.reason) == (entries[2].pk, "its link to the previous entry does not match")


def test_only_an_anchor_of_entry_0_with_the_genesis_hash_is_an_empty_chain(db):
    (entry,) = _log(1)
    anchors = [
        {"entry": 0, "hash": GENESIS_HASH},  # taken while the chain was empty: fine
        {"entry": 0, "hash": "f" * 64},  # entry 0 never exists
        {"entry": 9999, "hash": GENESIS_HASH},  # nor does 9999
    ]
    report = verify_chain(anchors)
    assert report.checked == 1 and report.broken_id is None
    assert report.anchor_errors == [
        ({"entry": 0, "hash": "f" * 64}, "the chain holds no such entry"),
        ({"entry": 9999, "hash": GENESIS_HASH}, "the chain holds no such entry"),
    ]
    assert entry.pk != 9999


def test_verify_rows_reports_each_missing_or_changed_row_once_in_numeric_order(db):
    import hashlib

    from core.audit import RowMismatch, verify_rows

    def digest(text):  # printf '"源"' | sha256sum, first 32 hex digits
        return hashlib.sha256(json.dumps(text, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]

    for pk in (99, 100, 101):
        CalendarYear.objects.create(pk=pk, year=1000 + pk, source="源")
    keys = [f"core.calendaryear:{pk}" for pk in (101, 100, 99)]  # recorded out of order
    with transaction.atomic():
        entry = audit_log(
            actor="test", action="test.state", data={"state": {k: {"source": digest("源")} for k in keys}}
        )
    CalendarYear.objects.filter(pk=99).delete()
    CalendarYear.objects.filter(pk=100).update(source="改")
    states = {"archive.gone:1": entry.pk, **dict.fromkeys(keys, entry.pk)}  # a removed model first
    expected = [
        RowMismatch("core_calendaryear", "99", entry.pk, []),
        RowMismatch("core_calendaryear", "100", entry.pk, ["source"]),
    ]
    assert verify_rows(states) == expected
    assert verify_rows(states, batch=1) == expected


def test_an_entry_without_an_actor_has_no_actor_id_nor_name(db):
    with transaction.atomic():
        entry = audit_log(actor=None, action="test.x")
    assert (entry.actor_id, entry.actor_name) == (None, "")


def test_a_json_text_column_is_read_as_its_stored_text_and_the_others_as_values(db):
    """The rows behind the state digests: a ``stores_json_text`` column comes back undecoded (its text as stored,
    to be digested by json_text_digest), every other column as its value."""
    from core.audit import _row_values
    from sampling.models import DrawData
    from tests.inspections.factories import DrawFactory

    draw = DrawFactory(seq=1)
    DrawData.objects.create(draw_id=draw.pk, pool_json="[]", member_ids={"2026Q1/general": [7]}, result=None)
    rows = _row_values(DrawData, [draw.pk], ["member_ids", "result", "draw_id"])
    values = rows[str(draw.pk)]
    assert sorted(values) == ["draw_id", "member_ids", "result"]
    assert values["draw_id"] == draw.pk
    assert (type(values["member_ids"]).__name__, values["member_ids"].text) == ("_StoredJSON", '{"2026Q1/general":[7]}')
    assert (type(values["result"]).__name__, values["result"].text) == ("_StoredJSON", None)


def test_carried_digests_stand_in_for_the_fields_they_name_and_the_others_are_read(db, alice):
    """``carried`` digests of the fields a transition left unchanged go into the entry as given (those fields are
    not read again); every other field is read from the stored row. Digests carried for another row change
    nothing."""
    from core.audit import field_digest, recorded_digests, state_digests, state_key
    from sampling.models import Draw
    from tests.inspections.factories import DrawFactory
    from tests.tamper import triggers_disabled

    draw = DrawFactory(seq=1)
    key = state_key(draw)
    with transaction.atomic():
        first = audit_log(actor=alice, action="test.draw_frozen", obj=draw, state=[draw])
    recorded = recorded_digests(draw, action="test.draw_frozen", about=draw)
    assert recorded == first.data["state"][key] and recorded["seq"] == field_digest(1)

    # the row changes behind the services: the carried digest of seq still stands in the new entry, the
    # year (not carried) is read again
    with triggers_disabled("sampling_draw"):
        Draw.objects.filter(pk=draw.pk).update(seq=5, year=draw.year + 1)
    carried = {key: {"seq": recorded["seq"]}}
    digests = state_digests([draw], carried)[key]
    assert list(digests) == list(Draw.STATE_FIELDS)
    assert digests["seq"] == field_digest(1)  # carried, not read (the row holds 5 now)
    assert digests["year"] == field_digest(draw.year + 1)  # read
    with transaction.atomic():
        second = audit_log(actor=alice, action="test.draw_touched", obj=draw, state=[draw], carried=carried)
    assert second.data["state"][key] == digests
    # carried digests of another row are not this row's
    other = {"sampling.draw:0": {"seq": "x" * 64}}
    assert state_digests([draw], other)[key]["seq"] == field_digest(5)
    # every field carried: the row is not read at all, and a missing row is no error
    everything = {key: dict.fromkeys(Draw.STATE_FIELDS, "d" * 64)}
    with CaptureQueriesContext(connection) as queries:
        assert state_digests([draw], everything)[key] == everything[key]
    assert len(queries) == 0


def test_recorded_digests_are_those_of_the_latest_entry_of_that_action_about_that_object(db, alice):
    from core.audit import field_digest, recorded_digests, state_key
    from sampling.models import Draw, DrawData
    from tests.inspections.factories import DrawFactory
    from tests.tamper import triggers_disabled

    draw, other = DrawFactory(seq=1), DrawFactory(seq=3)
    assert recorded_digests(draw, action="test.draw_frozen", about=draw) == {}
    with transaction.atomic():
        audit_log(actor=alice, action="test.draw_frozen", obj=draw, state=[draw])
        audit_log(actor=alice, action="test.draw_frozen", obj=other, state=[other])  # about another object
        audit_log(actor=alice, action="test.other_action", obj=draw, state=[draw, other])
    with triggers_disabled("sampling_draw"):
        Draw.objects.filter(pk=draw.pk).update(seq=2)
    with transaction.atomic():
        audit_log(actor=alice, action="test.draw_frozen", obj=draw, state=[draw])  # the latest: seq 2
        audit_log(actor=alice, action="test.draw_frozen", obj=draw, data={"note": 1})  # no state: skipped
    assert recorded_digests(draw, action="test.draw_frozen", about=draw)["seq"] == field_digest(2)
    # a later entry of that action about another kind of object with the same id (the draw's data, keyed by the
    # draw's id) is not about the draw
    data = DrawData.objects.create(draw_id=draw.pk, pool_json="[]", member_ids={}, exclusions=[], inspectors={})
    assert str(data.pk) == str(draw.pk)
    with triggers_disabled("sampling_draw"):
        Draw.objects.filter(pk=draw.pk).update(seq=4)
    with transaction.atomic():
        audit_log(actor=alice, action="test.draw_frozen", obj=data, state=[draw])  # seq 4, about the data
    assert recorded_digests(draw, action="test.draw_frozen", about=draw)["seq"] == field_digest(2)
    assert recorded_digests(draw, action="test.draw_frozen", about=data)["seq"] == field_digest(4)
    # the digests of the row named, in an entry about another object
    assert recorded_digests(other, action="test.other_action", about=draw)["seq"] == field_digest(3)
    assert recorded_digests(other, action="test.draw_frozen", about=draw) == {}
    assert state_key(other) != state_key(draw)
