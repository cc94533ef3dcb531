"""The draw services against the database: the ceremony, teams, approval, rejection, substitutions."""

import hashlib
import json
import os
import subprocess
import sys
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from core.enums import Role
from core.errors import DomainError
from core.models import AuditEntry
from enterprises.models import Enterprise, EnterpriseRecord, Industry
from enterprises.services import inspection_record_set, risk_rule_update
from inspections import substitutions
from inspections.enums import InspectionTaskStatus, MemberRole, SubstitutionKind
from inspections.models import InspectionTask, Substitution, TaskMember
from inspectors.enums import InspectorKind
from inspectors.models import Conflict, Expert, Inspector, LeavePeriod
from sampling import draws, plans
from sampling.enums import DrawStatus, PlanStatus, QuotaPreset
from sampling.models import Draw, DrawData, DrawEntry, Plan, QuotaPolicy
from sampling.presets import PRESETS
from sampling.records import draw_public_record
from sampling.staffing import last_team_exclusions
from tests.conftest import _member
from tests.factories import InspectorFactory
from tests.reference_draw import canonical_json
from tests.reference_draw import pool_hash as reference_pool_hash
from tests.reference_draw import replay as reference_replay
from tests.reference_draw import ticket as reference_ticket
from tests.sampling.conftest import add_task, create_draw, make_enterprises, run_draw
from tests.tamper import triggers_disabled

REPO = Path(__file__).resolve().parents[2]


def result_of(draw):
    return Draw.objects.get(pk=draw.pk).data.result


def selected(draw):
    return {s["label"]: s["selected"] for s in result_of(draw)["strata"]}


def audit_actions(draw):
    return list(
        AuditEntry.objects.filter(object_type="sampling.draw", object_id=str(draw.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --------------------------------------------------------------------------- plans and policies


def test_plans_are_numbered_per_bureau_and_year(bureau, alice):
    first = plans.plan_create(actor=alice, bureau=bureau, year=2026, name="日常监管")
    second = plans.plan_create(actor=alice, bureau=bureau, year=2026, name="专项检查")
    other_year = plans.plan_create(actor=alice, bureau=bureau, year=2027, name="日常监管")
    assert [first.number, second.number, other_year.number] == [
        "建环抽查〔2026〕1号",
        "建环抽查〔2026〕2号",
        "建环抽查〔2027〕1号",
    ]
    assert AuditEntry.objects.filter(action="sampling.plan_created").count() == 3


def test_plan_creation_needs_a_lead(bureau, carol, dave):
    for user in (carol, dave):
        with pytest.raises(PermissionDenied):
            plans.plan_create(actor=user, bureau=bureau, year=2026, name="x")
    assert not Plan.objects.exists()


def test_plan_status_goes_draft_active_closed(plan, alice, check_item):
    with pytest.raises(DomainError, match=r"至少一个任务|at least one task"):
        plans.plan_set_status(actor=alice, plan=plan, status=PlanStatus.ACTIVE)
    add_task(plan, alice, [check_item], activate=False)
    assert plans.plan_set_status(actor=alice, plan=plan, status=PlanStatus.ACTIVE).status == PlanStatus.ACTIVE
    assert plans.plan_set_status(actor=alice, plan=plan, status=PlanStatus.ACTIVE).status == PlanStatus.ACTIVE
    plans.plan_set_status(actor=alice, plan=plan, status=PlanStatus.CLOSED)
    with pytest.raises(DomainError):
        plans.plan_set_status(actor=alice, plan=plan, status=PlanStatus.ACTIVE)
    assert AuditEntry.objects.filter(action="sampling.plan_status_set").count() == 2


def test_task_needs_a_tier_items_and_known_tags(plan, alice, check_item):
    with pytest.raises(DomainError):
        add_task(plan, alice, [check_item], include_general=False, include_key=False)
    with pytest.raises(DomainError):
        add_task(plan, alice, [])
    with pytest.raises(DomainError, match="colour"):
        add_task(plan, alice, [check_item], tag_conditions={"colour": ["red"]})
    with pytest.raises(DomainError, match="9999"):
        add_task(plan, alice, [check_item], tag_conditions={"industry": ["9999"]})
    with pytest.raises(DomainError):
        add_task(plan, alice, [check_item], joint_kind="internal", joint_units="")
    task = add_task(plan, alice, [check_item], tag_conditions={"scale": ["small", "large", "small"]})
    assert task.tag_conditions == {"scale": ["large", "small"]} and task.seq == 1


def test_task_update_is_audited_with_before_and_after(task, alice):
    plans.plan_task_update(actor=alice, task=task, name="改名", ratio_override=Decimal("15"))
    entry = AuditEntry.objects.get(action="sampling.task_updated")
    assert entry.data["before"]["name"] == "一般和重点排污单位抽查"
    assert entry.data["after"]["name"] == "改名" and entry.data["after"]["ratio_override"] == "15"
    plans.plan_task_update(actor=alice, task=task, name="改名")  # no change, no entry
    assert AuditEntry.objects.filter(action="sampling.task_updated").count() == 1


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_sets_the_seed_rules(bureau, alice, preset):
    policy = plans.quota_policy_apply_preset(actor=alice, bureau=bureau, year=2026, preset=preset)
    for name, value in PRESETS[preset].items():
        assert getattr(policy, name) == value, name
    assert policy.preset == preset
    plans.quota_policy_apply_preset(actor=alice, bureau=bureau, year=2026, preset=preset)  # unchanged: no entry
    assert AuditEntry.objects.filter(action="sampling.policy_preset_applied").count() == 1


def test_changing_a_preset_value_makes_the_policy_custom(bureau, alice, dave):
    policy = plans.quota_policy_apply_preset(actor=alice, bureau=bureau, year=2026, preset=QuotaPreset.XIPING)
    policy = plans.quota_policy_update(actor=alice, policy=policy, key_ratio=Decimal("22.5"))
    assert policy.preset == QuotaPreset.CUSTOM and policy.key_ratio == Decimal("22.5")
    entry = AuditEntry.objects.get(action="sampling.policy_updated")
    assert (entry.data["before"]["key_ratio"], entry.data["after"]["key_ratio"]) == ("20.00", "22.50")
    with pytest.raises(PermissionDenied):
        plans.quota_policy_update(actor=dave, policy=policy, key_ratio=Decimal(1))
    with pytest.raises(DomainError):
        plans.quota_policy_update(actor=alice, policy=policy, key_ratio=Decimal(120))


# --------------------------------------------------------------------------- the ceremony


def test_draw_create_freezes_the_pool_and_publishes_hashes(county, alice, enterprises):
    draw = create_draw(county, alice)
    data = draw.data
    strata = json.loads(data.pool_json)
    assert [(s["label"], s["count"], len(s["members"])) for s in strata] == [
        ("2026Q1/key", 2, 8),  # 25% of 8
        ("2026Q1/general", 2, 20),  # 10% of 20
    ]
    key_usccs = sorted(e.uscc for e in enterprises if e.tier == "key")
    assert strata[0]["members"] == [{"id": uscc, "weight": 1} for uscc in key_usccs]
    assert draw.pool_hash == reference_pool_hash(strata)
    assert len(draw.nonce) == 64 and draw.nonce_hash == hashlib.sha256(draw.nonce.encode()).hexdigest()
    assert data.inspectors == {
        "pool": ["ZF001", "ZF002", "ZF003", "ZF004", "ZF005", "ZF006"],
        "team_size": 2,
        "max_per_inspector": 3,  # ceil(2 × 4 / 6) + 1
        "exclusions": [],
    }
    assert draw.inspectors_hash == hashlib.sha256(canonical_json(data.inspectors).encode()).hexdigest()
    assert (draw.status, draw.seed, draw.member_count, draw.excluded_count) == (DrawStatus.CREATED, "", 28, 0)
    created = AuditEntry.objects.get(action="draw.created")
    assert created.data["pool_hash"] == draw.pool_hash and created.data["nonce_hash"] == draw.nonce_hash
    assert "nonce" not in created.data


def test_draw_execute_derives_the_seed_and_the_result_replays(drawn):
    draw = Draw.objects.get(pk=drawn.pk)
    assert draw.status == DrawStatus.DRAWN
    assert (
        draw.seed == hashlib.sha256(f"{draw.pool_hash}|{draw.nonce}|31 07 19 / 体彩排列三 26031".encode()).hexdigest()
    )
    assert draw.witnesses == "刘见证\n陈见证"
    record = draw_public_record(draw)
    assert record["algorithm"] == "ssj-draw-2"
    assert result_of(draw) == reference_replay(record)  # a second implementation, written from the text
    # the rows follow the recorded order: selected first, then the head of the reserve
    for stratum in result_of(draw)["strata"]:
        rows = list(
            DrawEntry.objects.filter(draw=draw, stratum=stratum["label"])
            .order_by("position")
            .values_list("enterprise__uscc", "selected")
        )
        head = stratum["selected"] + stratum["reserve"][: max(len(stratum["selected"]), 10)]
        assert rows == [(uscc, i < len(stratum["selected"])) for i, uscc in enumerate(head)]
    assert draw.selected_count == 4
    assert audit_actions(draw) == ["draw.created", "draw.executed"]


def test_the_ceremonys_entry_digests_the_whole_frozen_data_with_the_pool_as_created(drawn):
    """The ceremony does not read the frozen pool back (megabytes for a province): its entry carries the pool's
    digests as the creation recorded them and reads back the result only; the entry still digests every field."""
    from core.audit import field_digest, verify_chain, verify_rows

    draw = Draw.objects.get(pk=drawn.pk)
    stored = DrawData.objects.get(draw=draw)
    key = f"sampling.drawdata:{draw.pk}"
    created, executed = (
        AuditEntry.objects.get(action=action, object_id=str(draw.pk)).data["state"][key]
        for action in ("draw.created", "draw.executed")
    )
    assert executed == {name: field_digest(getattr(stored, name)) for name in DrawData.STATE_FIELDS}
    assert executed["result"] != created["result"] == field_digest(None)
    assert {name: executed[name] for name in DrawData.FROZEN_FIELDS} == {
        name: created[name] for name in DrawData.FROZEN_FIELDS
    }
    assert verify_rows(verify_chain().states) == []


def test_a_frozen_pool_changed_before_the_ceremony_is_named_against_the_ceremonys_entry(county, alice):
    """Changed behind the services (the trigger disabled, as the schema owner could) between creation and ceremony:
    the ceremony's entry carries the digests of the pool as created, so the changed field is named against it."""
    from core.audit import verify_chain, verify_rows

    draw = create_draw(county, alice)
    data = DrawData.objects.get(draw=draw)
    with triggers_disabled("sampling_drawdata"), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sampling_drawdata SET member_ids = %s WHERE draw_id = %s",
            [json.dumps({label: list(reversed(ids)) for label, ids in data.member_ids.items()}), draw.pk],
        )
    draws.draw_execute(actor=alice, draw=draw, witness_input="31 07 19", witnesses="刘见证")
    executed = AuditEntry.objects.get(action="draw.executed", object_id=str(draw.pk))
    (mismatch,) = verify_rows(verify_chain().states)
    assert (mismatch.table, mismatch.pk, mismatch.entry_id, mismatch.fields) == (
        "sampling_drawdata",
        str(draw.pk),
        executed.pk,
        ["member_ids"],
    )


def test_the_draw_services_pause_the_cycle_collector_and_leave_it_as_they_found_it(county, alice, frank, monkeypatch):
    import gc

    from sampling import algorithm

    seen = []
    replay = algorithm.replay
    monkeypatch.setattr(algorithm, "replay", lambda record: seen.append(gc.isenabled()) or replay(record))
    assert gc.isenabled()
    draw = run_draw(county, alice)
    assert seen == [False] and gc.isenabled()
    with pytest.raises(DomainError):
        draws.draw_approve(actor=alice, draw=draw)  # the runner is refused: the collector is enabled again
    assert gc.isenabled()
    gc.disable()
    try:
        draws.draw_approve(actor=frank, draw=draw)
        assert not gc.isenabled()  # paused by the caller: left paused
    finally:
        gc.enable()
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.APPROVED


def test_the_public_record_replays_with_the_standalone_verifier(drawn, tmp_path):
    draw = Draw.objects.get(pk=drawn.pk)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(draw_public_record(draw), ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "sampling.verify", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == result_of(draw)


def test_the_same_ceremony_twice_is_a_no_op_and_another_input_is_refused(drawn, alice):
    again = draws.draw_execute(actor=alice, draw=drawn, witness_input="31 07 19 / 体彩排列三 26031", witnesses="刘见证")
    assert again.seed == drawn.seed
    with pytest.raises(DomainError):
        draws.draw_execute(actor=alice, draw=drawn, witness_input="42", witnesses="刘见证")
    assert Draw.objects.get(pk=drawn.pk).seed == drawn.seed
    assert audit_actions(drawn).count("draw.executed") == 1


def test_the_ceremony_needs_witnesses_and_their_input(county, alice):
    draw = create_draw(county, alice)
    for witness_input, witnesses in (("", "刘见证"), ("123", " \n "), ("x" * 201, "刘见证")):
        with pytest.raises(DomainError):
            draws.draw_execute(actor=alice, draw=draw, witness_input=witness_input, witnesses=witnesses)
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.CREATED


def test_different_witness_inputs_give_different_seeds(county, alice, george):
    first = run_draw(county, alice, witness_input="1 2 3")
    draws.draw_reject(actor=george, draw=first, reason="测试")
    second = run_draw(county, alice, witness_input="1 2 3")
    assert second.seq == 2 and second.nonce != first.nonce
    assert second.seed != first.seed  # a new draw has a new nonce, hence a new seed


def test_draw_create_refusals(county, alice, plan, bureau, policy):
    with pytest.raises(DomainError):
        draws.draw_create(actor=alice, task=county, quarter=1, today=date(2027, 1, 2))  # outside draw period
    create_draw(county, alice)
    with pytest.raises(DomainError):
        create_draw(county, alice)  # one open draw per task and quarter
    policy.delete()
    with pytest.raises(DomainError, match="2026"):
        create_draw(county, alice, quarter=2)
    assert Draw.objects.count() == 1


def test_draw_create_refuses_a_draft_plan_and_an_empty_quota(
    bureau, alice, check_item, policy, enterprises, inspectors
):
    plan = plans.plan_create(actor=alice, bureau=bureau, year=2026, name="草稿")
    task = add_task(plan, alice, [check_item], activate=False)
    with pytest.raises(DomainError):
        create_draw(task, alice)
    plans.plan_set_status(actor=alice, plan=plan, status=PlanStatus.ACTIVE)
    special = add_task(plan, alice, [check_item], include_general=False, include_key=False, include_special=True)
    with pytest.raises(DomainError):
        create_draw(special, alice)  # no special enterprise: nothing to draw
    assert not Draw.objects.exists()


def test_draw_create_refuses_when_fewer_inspectors_than_a_team(county, alice, inspectors):
    Inspector.objects.exclude(code="ZF001").update(active=False)
    with pytest.raises(DomainError, match="2026-01-01"):
        create_draw(county, alice)
    assert not Draw.objects.exists()


# --------------------------------------------------------------------------- teams


def test_teams_respect_certificates_leave_inactivity_and_conflicts(county, alice, bureau, enterprises, policy):
    policy.key_ratio = 100
    policy.save()
    for n in (7, 8):
        InspectorFactory(bureau=bureau, code=f"ZF{n:03d}")
    Inspector.objects.filter(code="ZF002").update(certificate_valid_until=date(2026, 2, 15))
    LeavePeriod.objects.create(
        inspector=Inspector.objects.get(code="ZF003"), start=date(2026, 3, 1), end=date(2026, 3, 5)
    )
    Inspector.objects.filter(code="ZF005").update(active=False)
    key = next(e for e in enterprises if e.tier == "key")
    Conflict.objects.create(inspector=Inspector.objects.get(code="ZF004"), enterprise=key, reason="亲属任职")
    draw = run_draw(county, alice)
    data = draw.data
    assert data.inspectors["pool"] == ["ZF001", "ZF004", "ZF006", "ZF007", "ZF008"]
    assert data.inspectors["exclusions"] == [[key.uscc, "ZF004"]]
    unavailable = {u["code"]: u["reason"] for u in data.staffing["unavailable"]}
    assert set(unavailable) == {"ZF002", "ZF003", "ZF005"}
    assert "2026-02-15" in unavailable["ZF002"] and "2026-03-01" in unavailable["ZF003"]
    teams = data.result["teams"]
    assert key.uscc in teams and "ZF004" not in teams[key.uscc]
    assert all(len(team) == 2 and set(team) <= set(data.inspectors["pool"]) for team in teams.values())
    load = {}
    for team in teams.values():
        for code in team:
            load[code] = load.get(code, 0) + 1
    assert max(load.values()) <= data.inspectors["max_per_inspector"]


def test_the_last_team_is_the_latest_counted_task_and_its_current_members(approved, inspectors):
    """Latest planned start wins; cancelled tasks and replaced members do not count; first by code stays."""
    task = approved.tasks.order_by("number").first()
    team = sorted(task.members.filter(inspector__isnull=False), key=lambda m: m.inspector.code)
    pool = {i.pk: i.code for i in inspectors}
    second_by_code = {
        t.enterprise_id: sorted((m.inspector for m in t.members.all()), key=lambda i: i.code)[1].pk
        for t in approved.tasks.all()
    }
    assert sorted(last_team_exclusions(approved.bureau_id, pool)) == sorted(second_by_code.items())
    # A later inspection of the same enterprise by three others: its team is now the last one.
    others = [i for i in inspectors if i.pk not in {m.inspector_id for m in team}][:3]
    # ... in a later draw (one task per enterprise per draw: a database constraint)
    later_draw = Draw.objects.get(pk=approved.pk)
    later_draw.pk, later_draw.seq = None, approved.seq + 100
    later_draw.save()
    later = InspectionTask.objects.create(
        bureau_id=task.bureau_id,
        draw=later_draw,
        enterprise=task.enterprise,
        number=task.number + "-later",
        stratum=task.stratum,
        planned_start=date(2026, 5, 1),
        planned_end=date(2026, 5, 31),
    )
    for position, inspector in enumerate(reversed(others)):
        TaskMember.objects.create(task=later, inspector=inspector, position=position)
    mine = {(e, i) for e, i in last_team_exclusions(approved.bureau_id, pool) if e == task.enterprise_id}
    assert mine == {(task.enterprise_id, others[1].pk), (task.enterprise_id, others[2].pk)}
    # Only the pool counts: without the first of them, the second is the one who may stay.
    mine = {
        e_i
        for e_i in last_team_exclusions(approved.bureau_id, {pk: c for pk, c in pool.items() if pk != others[0].pk})
        if e_i[0] == task.enterprise_id
    }
    assert mine == {(task.enterprise_id, others[2].pk)}
    # Replaced members do not count.
    TaskMember.objects.filter(task=later, inspector=others[2]).update(active=False)
    mine = {e_i for e_i in last_team_exclusions(approved.bureau_id, pool) if e_i[0] == task.enterprise_id}
    assert mine == {(task.enterprise_id, others[1].pk)}
    # A cancelled inspection does not count: the earlier team is the last one again.
    InspectionTask.objects.filter(pk=later.pk).update(status=InspectionTaskStatus.CANCELLED)
    mine = {e_i for e_i in last_team_exclusions(approved.bureau_id, pool) if e_i[0] == task.enterprise_id}
    assert mine == {(task.enterprise_id, team[1].inspector_id)}
    assert last_team_exclusions(approved.bureau_id, {}) == []


def test_last_team_rule_excludes_all_but_the_first_of_the_previous_team(county, alice, frank, policy):
    """Q1 is approved; in Q2 every enterprise inspected in Q1 keeps at most one of its Q1 inspectors."""
    approved = draws.draw_approve(actor=frank, draw=run_draw(county, alice))
    previous = {t.enterprise.uscc: sorted(m.inspector.code for m in t.members.all()) for t in approved.tasks.all()}
    policy.key_ratio = policy.general_ratio = 100
    policy.save()
    q2 = run_draw(county, alice, quarter=2)
    exclusions = {tuple(pair) for pair in q2.data.inspectors["exclusions"]}
    assert exclusions == {(uscc, team[1]) for uscc, team in previous.items()}
    assert q2.data.staffing["pair_reasons"] == {"conflict": [], "last_team": list(range(len(exclusions)))}
    for uscc, team in q2.data.result["teams"].items():
        if uscc in previous:
            assert set(team) != set(previous[uscc])
            assert previous[uscc][1] not in team


def test_unstaffable_enterprise_is_named_and_nothing_is_saved(county, alice, enterprises, inspectors, policy):
    policy.key_ratio = 100
    policy.max_per_inspector = 10
    policy.save()
    Inspector.objects.filter(code__in=["ZF004", "ZF005", "ZF006"]).update(active=False)
    key = next(e for e in enterprises if e.tier == "key")
    for code in ("ZF001", "ZF002"):
        Conflict.objects.create(inspector=Inspector.objects.get(code=code), enterprise=key, reason="回避")
    draw = create_draw(county, alice)
    with pytest.raises(DomainError) as excinfo:
        draws.draw_execute(actor=alice, draw=draw, witness_input="8 8 8", witnesses="刘见证")
    assert key.name in str(excinfo.value) and key.uscc in str(excinfo.value)
    draw.refresh_from_db()
    assert (draw.status, draw.seed, draw.witness_input, draw.selected_count) == (DrawStatus.CREATED, "", "", 0)
    assert draw.data.result is None
    assert not DrawEntry.objects.exists() and not InspectionTask.objects.exists()
    failed = AuditEntry.objects.get(action="draw.execute_failed")
    assert (failed.data["enterprise"], failed.data["found"], failed.data["needed"]) == (key.uscc, 1, 2)
    assert failed.data["witness_input"] == "8 8 8"


# --------------------------------------------------------------------------- approval and rejection


def test_approval_locks_and_creates_the_inspection_tasks(approved, frank, check_item):
    draw = Draw.objects.get(pk=approved.pk)
    assert (draw.status, draw.approved_by, draw.approved_by_name) == (DrawStatus.APPROVED, frank, "李组长")
    result = draw.data.result
    order = [uscc for s in result["strata"] for uscc in s["selected"]]
    tasks = list(InspectionTask.objects.filter(draw=draw).order_by("number").select_related("enterprise"))
    assert [t.enterprise.uscc for t in tasks] == order
    assert [t.number for t in tasks] == [f"JIANAN2026-1-1-Q1-1-{n:04d}" for n in range(1, 5)]
    for task in tasks:
        members = list(task.members.order_by("position"))
        assert [m.inspector.code for m in members] == result["teams"][task.enterprise.uscc]
        assert [m.role for m in members] == [MemberRole.LEAD, MemberRole.MEMBER]
        assert (task.status, task.planned_start, task.planned_end) == (
            InspectionTaskStatus.ASSIGNED,
            date(2026, 1, 1),
            date(2026, 3, 31),
        )
        assert list(task.check_items.all()) == [check_item]
        assert task.stratum in {s["label"] for s in result["strata"]}
    assert audit_actions(draw) == ["draw.created", "draw.executed", "draw.approved"]


def test_each_task_gets_the_items_of_its_enterprises_tier_as_the_registry_holds_it_at_approval(
    bureau, alice, frank, plan, policy, inspectors, enterprises
):
    from tests.factories import CheckItemFactory

    key_item = CheckItemFactory(bureau=bureau, code="SJ-11", applies_to_general=False, applies_to_special=False)
    general_item = CheckItemFactory(bureau=bureau, code="SJ-12", applies_to_key=False, applies_to_special=False)
    draw = run_draw(add_task(plan, alice, [key_item, general_item]), alice)
    strata = {s["label"]: s["selected"] for s in result_of(draw)["strata"]}
    assert [len(strata["2026Q1/key"]), len(strata["2026Q1/general"])] == [2, 2]
    moved = strata["2026Q1/key"][1]
    Enterprise.objects.filter(bureau=bureau, uscc=moved).update(tier="general")  # the registry corrected meanwhile
    draws.draw_approve(actor=frank, draw=draw)
    items = {
        task.enterprise.uscc: [item.code for item in task.check_items.order_by("code")]
        for task in InspectionTask.objects.filter(draw=draw).select_related("enterprise")
    }
    assert items == {
        strata["2026Q1/key"][0]: ["SJ-11"],
        moved: ["SJ-12"],
        strata["2026Q1/general"][0]: ["SJ-12"],
        strata["2026Q1/general"][1]: ["SJ-12"],
    }


def test_items_that_apply_to_no_tier_of_an_enterprise_all_go_to_its_task(
    bureau, alice, frank, plan, policy, inspectors, enterprises
):
    """Items none of which names an enterprise's tier all apply to it: with one item for special units only,
    every task of a draw of key and general units gets it (the registry's tiers are then not read)."""
    from tests.factories import CheckItemFactory

    special_item = CheckItemFactory(bureau=bureau, code="SJ-13", applies_to_general=False, applies_to_key=False)
    draw = run_draw(add_task(plan, alice, [special_item]), alice)
    draws.draw_approve(actor=frank, draw=draw)
    tasks = InspectionTask.objects.filter(draw=draw)
    assert tasks.count() == 4
    assert {task.pk: [item.code for item in task.check_items.all()] for task in tasks} == {
        task.pk: ["SJ-13"] for task in tasks
    }


def test_the_runner_cannot_approve_or_reject(drawn, alice):
    with pytest.raises(DomainError, match=r"another team lead|另一位组长"):
        draws.draw_approve(actor=alice, draw=drawn)
    with pytest.raises(DomainError):
        draws.draw_reject(actor=alice, draw=drawn, reason="不满意")
    assert Draw.objects.get(pk=drawn.pk).status == DrawStatus.DRAWN


def test_only_team_leads_approve(drawn, dave, bob, erin, mallory):
    for user in (dave, bob, erin, mallory):
        with pytest.raises(PermissionDenied):
            draws.draw_approve(actor=user, draw=drawn)
    assert Draw.objects.get(pk=drawn.pk).status == DrawStatus.DRAWN and not InspectionTask.objects.exists()


def test_approving_twice_is_a_no_op_and_a_second_lead_is_refused(approved, frank, george):
    again = draws.draw_approve(actor=frank, draw=approved)
    assert again.status == DrawStatus.APPROVED
    with pytest.raises(DomainError, match="李组长"):
        draws.draw_approve(actor=george, draw=approved)
    with pytest.raises(DomainError):
        draws.draw_reject(actor=george, draw=approved, reason="晚了")
    assert InspectionTask.objects.filter(draw=approved).count() == 4
    assert audit_actions(approved).count("draw.approved") == 1


def test_rejection_needs_a_reason_and_keeps_the_draw_on_record(drawn, frank, alice, county):
    with pytest.raises(DomainError):
        draws.draw_reject(actor=frank, draw=drawn, reason="  ")
    rejected = draws.draw_reject(actor=frank, draw=drawn, reason="见证人未到场")
    assert (rejected.status, rejected.rejection_reason, rejected.rejected_by) == (
        DrawStatus.REJECTED,
        "见证人未到场",
        frank,
    )
    assert rejected.data.result is not None and DrawEntry.objects.filter(draw=rejected).exists()
    with pytest.raises(DomainError):
        draws.draw_approve(actor=frank, draw=rejected)
    assert not InspectionTask.objects.exists()
    assert create_draw(county, alice).seq == 2  # a new draw of the same quarter may be prepared


def test_cancel_only_before_the_ceremony(county, alice, drawn):
    with pytest.raises(DomainError):
        draws.draw_cancel(actor=alice, draw=drawn, reason="x")
    other_task = add_task(county.plan, alice, list(county.check_items.all()), name="第二任务")
    fresh = create_draw(other_task, alice)
    with pytest.raises(DomainError):
        draws.draw_cancel(actor=alice, draw=fresh, reason="")
    cancelled = draws.draw_cancel(actor=alice, draw=fresh, reason="名录库更正")
    assert (cancelled.status, cancelled.cancel_reason) == (DrawStatus.CANCELLED, "名录库更正")
    with pytest.raises(DomainError):
        draws.draw_execute(actor=alice, draw=cancelled, witness_input="1", witnesses="刘")


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_exactly_one_wins(bureau, alice, frank, george, check_item, enterprises, inspectors):
    if connection.vendor != "postgresql":
        if os.environ.get("SSJ_REQUIRE_SERVICES"):
            pytest.fail("this test needs PostgreSQL (DATABASE_URL) when SSJ_REQUIRE_SERVICES is set")
        pytest.skip("needs PostgreSQL: SQLite serialises every writer")
    QuotaPolicy.objects.create(bureau=bureau, year=2026, key_ratio=25, general_ratio=10)
    plan = plans.plan_create(actor=alice, bureau=bureau, year=2026, name="并发审批")
    task = add_task(plan, alice, [check_item])
    draw = run_draw(task, alice)
    barrier = threading.Barrier(2)
    outcomes = {}

    def approve(user):
        try:
            barrier.wait(timeout=10)
            draws.draw_approve(actor=user, draw=draw)
            outcomes[user.username] = "approved"
        except DomainError as exc:
            outcomes[user.username] = str(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in (frank, george)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["frank", "george"]
    assert list(outcomes.values()).count("approved") == 1
    winner = next(name for name, outcome in outcomes.items() if outcome == "approved")
    draw.refresh_from_db()
    assert draw.status == DrawStatus.APPROVED and draw.approved_by.username == winner
    assert InspectionTask.objects.filter(draw=draw).count() == draw.selected_count == 4
    assert TaskMember.objects.filter(task__draw=draw).count() == 8
    assert AuditEntry.objects.filter(action="draw.approved").count() == 1


# --------------------------------------------------------------------------- what a later draw sees


def test_a_second_draw_this_quarter_excludes_those_already_drawn(approved, alice):
    second = create_draw(approved.task, alice, exceed_reason="群众举报集中，加密抽查")
    drawn_ids = set(InspectionTask.objects.filter(draw=approved).values_list("enterprise_id", flat=True))
    reasons = {e["id"]: (e["reason"], e["params"]) for e in second.data.exclusions}
    assert reasons == {pk: ("drawn_this_quarter", {"draw": approved.pk}) for pk in drawn_ids}
    assert second.seq == 2 and second.member_count == 24


def test_yearly_cap_excludes_in_the_next_quarter(approved, alice, policy):
    policy.yearly_cap = 1
    policy.save()
    q2 = create_draw(approved.task, alice, quarter=2)
    inspected = set(InspectionTask.objects.filter(draw=approved).values_list("enterprise_id", flat=True))
    assert {e["id"]: e["reason"] for e in q2.data.exclusions} == dict.fromkeys(inspected, "yearly_cap")
    assert all(e["params"] == {"count": 1, "cap": 1} for e in q2.data.exclusions)


def test_coverage_puts_the_not_yet_inspected_first(approved, alice, policy):
    policy.key_once_a_year = True
    policy.save()
    q2 = create_draw(approved.task, alice, quarter=2)
    quotas = {q["label"]: (q["population"], q["quota"]) for q in q2.quotas}
    assert quotas == {"2026Q2/key/uncovered": (6, 2), "2026Q2/key": (2, 0), "2026Q2/general": (20, 2)}
    strata = json.loads(q2.data.pool_json)
    assert [s["label"] for s in strata] == ["2026Q2/key/uncovered", "2026Q2/key", "2026Q2/general"]
    inspected_keys = set(
        InspectionTask.objects.filter(draw=approved, enterprise__tier="key").values_list("enterprise__uscc", flat=True)
    )
    assert {m["id"] for m in strata[1]["members"]} == inspected_keys


def test_one_to_ten_rule_counts_on_duty_enforcement_officers(county, alice, policy, inspectors):
    policy.general_ratio = 0
    policy.general_per_inspector_per_year = 10
    policy.save()
    Inspector.objects.filter(code="ZF006").update(kind=InspectorKind.SUPERVISION)
    draw = create_draw(county, alice)
    general = next(q for q in draw.quotas if q["label"] == "2026Q1/general")
    rule = next(r for r in general["rules"] if r["applied"])
    assert (general["quota"], rule["rule"], rule["params"]["inspectors"], rule["params"]["annual"]) == (
        13,  # ceil(10 × 5 ÷ 4 quarters)
        "per_inspector",
        5,
        50,
    )


def test_risk_weights_give_more_tickets(county, alice, policy, enterprises, bureau):
    policy.use_risk_weights = True
    policy.save()
    risky = enterprises[0]
    risky.credit_rating = "bad"
    risky.save()
    for day in (date(2025, 5, 1), date(2025, 9, 1)):
        EnterpriseRecord.objects.create(enterprise=risky, kind="violation", date=day, description="超标排放")
    draw = create_draw(county, alice)
    weights = {m["id"]: m["weight"] for s in json.loads(draw.data.pool_json) for m in s["members"]}
    # The published rule (enterprises.services.risk_weights' text): 1 + min(records in the window, 3) + 2 for 不良.
    assert weights == {e.uscc: 1 + 2 + 2 if e.pk == risky.pk else 1 for e in enterprises}


def test_three_clean_published_results_give_one_ticket_in_the_draw(county, alice, policy, enterprises, bureau):
    policy.use_risk_weights = True
    policy.save()
    clean, short = enterprises[0], enterprises[1]
    for enterprise in (clean, short):
        enterprise.credit_rating = "bad"
        enterprise.save()
        EnterpriseRecord.objects.create(
            enterprise=enterprise, kind="violation", date=date(2025, 5, 1), description="超标"
        )
    # published results as the publication keeps them (tests/followup/test_clean_streak.py): three clean in a row
    # for one enterprise, two for the other
    days = {
        clean: (date(2025, 3, 10), date(2025, 6, 10), date(2025, 9, 10)),
        short: (date(2025, 6, 10), date(2025, 9, 10)),
    }
    task_ids = iter(range(9001, 9100))
    for enterprise, inspected in days.items():
        for day in inspected:
            inspection_record_set(
                actor="test",
                enterprise=enterprise,
                task_id=next(task_ids),
                number=f"N{day}",
                inspected_on=day,
                published_on=day,
                clean=True,
            )
    draw = create_draw(county, alice)
    weights = {m["id"]: m["weight"] for s in json.loads(draw.data.pool_json) for m in s["members"]}
    # clean: the term, 1; short: 1 + 1 record + 2 for 不良 = 4
    assert weights == {e.uscc: {clean.pk: 1, short.pk: 4}.get(e.pk, 1) for e in enterprises}
    assert (draw.policy["risk_rule"]["clean_streak"], draw.policy["risk_rule"]["clean_weight"]) == (3, 1)


def test_the_draw_records_the_bureaus_risk_rule_it_applied(county, alice, policy, enterprises, bureau):
    admin = _member("ivy", bureau, Role.ADMIN, first_name="吴管理")
    rule = {
        "window_years": 3,
        "records_cap": 3,
        "warning_term": 1,
        "bad_term": 2,
        "penalty_months": 6,
        "penalty_weight": 5,
        "clean_streak": 3,
        "clean_weight": 1,
    }
    with time_machine.travel(datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        risk_rule_update(actor=admin, bureau=bureau, **rule)
    policy.use_risk_weights = True
    policy.save()
    penalised, violator = enterprises[0], enterprises[1]
    EnterpriseRecord.objects.create(enterprise=penalised, kind="penalty", date=date(2025, 12, 1), description="罚款")
    EnterpriseRecord.objects.create(enterprise=violator, kind="violation", date=date(2025, 5, 1), description="超标")
    draw = create_draw(county, alice)
    weights = {m["id"]: m["weight"] for s in json.loads(draw.data.pool_json) for m in s["members"]}
    # penalised: 1 + 1 record = 2, lifted to 5 by a penalty within 6 months of 2026-02-10; violator: 1 + 1
    assert weights == {e.uscc: {penalised.pk: 5, violator.pk: 2}.get(e.pk, 1) for e in enterprises}
    assert draw.policy["risk_rule"] == {**rule, "changed_at": "2026-01-05T01:00:00+00:00"}
    # a later change of the rule leaves the draw's record as it was
    risk_rule_update(actor=admin, bureau=bureau, **{**rule, "penalty_weight": 0})
    draw.refresh_from_db()
    assert draw.policy["risk_rule"]["penalty_weight"] == 5


def test_a_draw_without_risk_weights_records_no_rule(county, alice, policy):
    assert "risk_rule" not in create_draw(county, alice).policy


def test_targeted_draw_keeps_only_matching_enterprises(bureau, alice, plan, check_item, policy, inspectors):
    chemical = Industry.objects.get(code="2614")
    cement = Industry.objects.get(code="3011")
    matching = make_enterprises(bureau, "general", 6, industry=chemical)
    make_enterprises(bureau, "general", 9, start=50, industry=cement)
    task = add_task(plan, alice, [check_item], include_key=False, tag_conditions={"industry": ["26"]})
    draw = create_draw(task, alice)
    assert draw.conditions == {"industry": ["26"]}
    assert {m["id"] for s in json.loads(draw.data.pool_json) for m in s["members"]} == {e.uscc for e in matching}
    assert draw.excluded_count == 0  # the cement works are simply not in the population


def test_expert_joins_by_industry_on_approval(bureau, alice, frank, plan, check_item, policy, inspectors):
    chemical = Industry.objects.get(code="2614")
    make_enterprises(bureau, "general", 10, industry=chemical)
    expert = Expert.objects.create(bureau=bureau, name="孙丽", kind="institute", organisation="科研院")
    expert.industries.set([Industry.objects.get(code="26")])
    task = add_task(plan, alice, [check_item], include_key=False, add_expert=True)
    draw = draws.draw_approve(actor=frank, draw=run_draw(task, alice))
    for inspection in InspectionTask.objects.filter(draw=draw):
        roles = [(m.role, m.expert_id) for m in inspection.members.order_by("position")]
        assert roles[-1] == (MemberRole.EXPERT, expert.pk) and len(roles) == 3


# --------------------------------------------------------------------------- substitutions


def first_task(draw):
    return InspectionTask.objects.filter(draw=draw).order_by("number").select_related("enterprise").first()


def substitute(task, reason_code, *, proposer, approver, inspector=None, note=""):
    """A substitution as it is made: proposed by one team lead, approved by another (issue 13 item 3)."""
    kind = SubstitutionKind.INSPECTOR if inspector else SubstitutionKind.ENTERPRISE
    proposal = substitutions.substitution_propose(
        actor=proposer, task=task, kind=kind, reason_code=reason_code, note=note, inspector=inspector
    )
    return substitutions.substitution_approve(actor=approver, request=proposal).substitution


def test_substitute_enterprise_takes_the_next_eligible_reserve(approved, alice, frank):
    task = first_task(approved)
    result = approved.data.result
    reserve = next(s["reserve"] for s in result["strata"] if s["label"] == task.stratum)
    Enterprise.objects.filter(uscc__in=[task.enterprise.uscc, reserve[0]]).update(status="closed")
    with pytest.raises(DomainError):
        substitute(task, "other", proposer=alice, approver=frank, note=" ")  # an explanation is needed
    sub = substitute(task, "closed", proposer=alice, approver=frank)
    assert (sub.kind, sub.old_enterprise, sub.new_enterprise.uscc) == (
        SubstitutionKind.ENTERPRISE,
        task.enterprise,
        reserve[1],
    )
    assert sub.details["skipped_enterprises"] == [[reserve[0], "not_operating"]]
    task.refresh_from_db()
    assert (task.status, task.cancel_reason) == (InspectionTaskStatus.CANCELLED, "企业已关闭")
    new = sub.new_task
    assert (new.stratum, new.status, new.number) == (
        task.stratum,
        InspectionTaskStatus.ASSIGNED,
        task.number[:-4] + "0005",
    )
    pool = approved.data.inspectors["pool"]
    order = fisher_yates(approved.seed, reserve[1], pool)
    assert [m.inspector.code for m in new.members.order_by("position")] == sub.details["team"]
    assert sub.details["team"] == [c for c in order if [c, "workload"] not in sub.details["skipped_inspectors"]][:2]
    assert audit_actions(approved)[-2:] == ["draw.enterprise_substituted", "draw.substitution_approved"]


def fisher_yates(seed: str, uscc: str, pool: list[str]) -> list[str]:
    """An enterprise's ssj-draw-2 candidate order, as docs/draw-algorithm.md words it (the whole shuffle)."""
    order, n = sorted(pool), len(pool)
    for k in range(n):
        r = k + reference_ticket(seed, "team", uscc, k) % (n - k)
        order[k], order[r] = order[r], order[k]
    return order


def test_a_new_draw_uses_ssj_draw_2_and_its_record_says_so(approved):
    assert approved.algorithm == "ssj-draw-2"
    assert draw_public_record(approved)["algorithm"] == "ssj-draw-2"
    assert approved.data.result["algorithm"] == "ssj-draw-2"


def test_an_ssj_draw_1_draw_substitutes_in_its_own_candidate_order(approved, alice, frank):
    with triggers_disabled("sampling_draw"):
        Draw.objects.filter(pk=approved.pk).update(algorithm="ssj-draw-1")
    task = first_task(approved)
    team = [m.inspector for m in task.members.order_by("position")]
    sub = substitute(task, "illness", proposer=alice, approver=frank, inspector=team[0])
    pool = approved.data.inspectors["pool"]
    order = sorted(pool, key=lambda c: (reference_ticket(approved.seed, "team", task.enterprise.uscc, c), c))
    skipped = {code for code, _why in sub.details["skipped_inspectors"]}
    assert sub.new_inspector.code == next(c for c in order if c not in {t.code for t in team} and c not in skipped)


def test_substitute_inspector_takes_the_next_eligible_in_ticket_order(approved, alice, frank):
    task = first_task(approved)
    team = [m.inspector for m in task.members.order_by("position")]
    sub = substitute(task, "illness", proposer=alice, approver=frank, inspector=team[0])
    pool = approved.data.inspectors["pool"]
    order = fisher_yates(approved.seed, task.enterprise.uscc, pool)
    skipped = {code for code, _why in sub.details["skipped_inspectors"]}
    expected = next(c for c in order if c not in {t.code for t in team} and c not in skipped)
    assert sub.new_inspector.code == expected
    members = list(task.members.order_by("position", "id").values_list("inspector__code", "role", "active"))
    assert members == [
        (team[0].code, MemberRole.LEAD, False),
        (expected, MemberRole.LEAD, True),
        (team[1].code, MemberRole.MEMBER, True),
    ]
    with pytest.raises(DomainError):  # no longer on the team
        substitute(task, "illness", proposer=alice, approver=frank, inspector=team[0])


def test_substitution_only_in_approved_draws_and_unstarted_tasks(approved, alice, frank, bob):
    task = first_task(approved)
    InspectionTask.objects.filter(pk=task.pk).update(status=InspectionTaskStatus.CHECKED_IN)
    with pytest.raises(DomainError):
        substitute(task, "other", proposer=alice, approver=frank, note="x")
    with pytest.raises(PermissionDenied):
        substitute(InspectionTask.objects.exclude(pk=task.pk).first(), "other", proposer=bob, approver=frank, note="x")
    assert not Substitution.objects.exists()


# --------------------------------------------------------------------------- the draw as recorded


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_every_draw_transition_records_the_row_and_verify_audit_finds_a_raw_update(county, alice, frank):
    approved = draws.draw_approve(actor=frank, draw=run_draw(county, alice))
    rejected = draws.draw_reject(actor=frank, draw=run_draw(county, alice, quarter=2), reason="人员变动")
    cancelled = draws.draw_cancel(actor=alice, draw=create_draw(county, alice, quarter=3), reason="名录更正")
    for draw, actions in (
        (approved, ["draw.created", "draw.executed", "draw.approved"]),
        (rejected, ["draw.created", "draw.executed", "draw.rejected"]),
        (cancelled, ["draw.created", "draw.cancelled"]),
    ):
        entries = AuditEntry.objects.filter(object_id=str(draw.pk), action__in=actions).order_by("id")
        assert [e.action for e in entries] == actions
        assert all(f"sampling.draw:{draw.pk}" in e.data["state"] for e in entries)
        assert f"sampling.drawdata:{draw.pk}" in entries[0].data["state"]
    executed = AuditEntry.objects.get(object_id=str(approved.pk), action="draw.executed").data["state"]
    assert (
        executed[f"sampling.draw:{approved.pk}"]["seed"]
        != entries[0].data["state"][f"sampling.draw:{cancelled.pk}"]["seed"]
    )
    assert "result" in executed[f"sampling.drawdata:{approved.pk}"]
    call_command("verify_audit")

    # What no trigger refuses: the app's role moves the inspection period and names an approver.
    _raw(
        "UPDATE sampling_draw SET approved_by_name = %s, inspect_until = %s WHERE id = %s",
        ["某某", date(2030, 1, 1), rejected.pk],
    )
    with pytest.raises(CommandError) as refused:
        call_command("verify_audit")
    assert str(refused.value) == (
        f"changed outside the services: sampling_draw #{rejected.pk} does not match audit entry "
        f"#{AuditEntry.objects.get(object_id=str(rejected.pk), action='draw.rejected').pk}: "
        "fields inspect_until, approved_by_name"
    )


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("UPDATE sampling_draw SET nonce = repeat('0', 64) WHERE id = %s", "nonce and hashes of a draw never change"),
        ("UPDATE sampling_draw SET pool_hash = repeat('0', 64) WHERE id = %s", "never change"),
        ("UPDATE sampling_draw SET seed = repeat('0', 64) WHERE id = %s", "seed and ceremony of a drawn draw"),
        ("UPDATE sampling_draw SET witness_input = 'x' WHERE id = %s", "seed and ceremony of a drawn draw"),
        ("UPDATE sampling_draw SET status = 'rejected' WHERE id = %s", "a approved draw is closed"),
        ("UPDATE sampling_drawdata SET result = '{}' WHERE draw_id = %s", "result of a drawn draw never changes"),
        ("UPDATE sampling_drawdata SET pool_json = '[]' WHERE draw_id = %s", "frozen pool of a draw never changes"),
        ("UPDATE sampling_drawentry SET selected = NOT selected WHERE draw_id = %s", "drawn order"),
    ],
)
def test_postgresql_refuses_to_rewrite_a_committed_draw(approved, sql, refusal):
    before = Draw.objects.values().get(pk=approved.pk)
    with pytest.raises(Exception, match=refusal), transaction.atomic():
        _raw(sql, [approved.pk])
    assert Draw.objects.values().get(pk=approved.pk) == before
    call_command("verify_audit")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_a_draw_state_that_is_no_transition(county, alice):
    draw = create_draw(county, alice)
    with pytest.raises(Exception, match="created to approved is not a transition"), transaction.atomic():
        _raw("UPDATE sampling_draw SET status = 'approved' WHERE id = %s", [draw.pk])
    _raw("UPDATE sampling_draw SET inspect_until = inspect_until WHERE id = %s", [draw.pk])  # nothing changed: fine


def test_verify_audit_names_a_draw_rewritten_by_the_owner_with_triggers_disabled(approved):
    with triggers_disabled("sampling_draw", "sampling_drawdata"):
        _raw("UPDATE sampling_draw SET nonce = %s WHERE id = %s", ["0" * 64, approved.pk])
        _raw("UPDATE sampling_drawdata SET result = %s WHERE draw_id = %s", ['{"strata": []}', approved.pk])
    with pytest.raises(CommandError) as refused:
        call_command("verify_audit")
    assert f"sampling_draw #{approved.pk} does not match audit entry #" in str(refused.value)
    assert "fields nonce" in str(refused.value) and "fields result" in str(refused.value)
