"""Issue 14: the yearly cap, the quarter's quota and the inspectors' availability hold in every order of events.

Three draws open at once on overlapping enterprises, approvals racing on two PostgreSQL connections, a
conflict declared between each pair of steps, a leave starting on the inspection day.
"""

import hashlib
import json
import os
import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from core.enums import Role
from core.errors import DomainError
from core.models import AuditEntry
from enterprises.models import Enterprise
from inspections import services, substitutions
from inspections.codes import code_issue
from inspections.models import InspectionTask
from inspectors import services as registry
from inspectors.models import Inspector
from sampling import draws, plans
from sampling.enums import DrawStep
from sampling.models import Draw, DrawChange, DrawData, QuotaPolicy
from tests.conftest import _member
from tests.inspections.factories import findings_for
from tests.reference_draw import replay as reference_replay

from .conftest import TODAY, add_task, create_draw, run_draw

WITNESS = "31 07 19 / 体彩排列三 26031"


@pytest.fixture(autouse=True)
def english():
    """The refusals are compared in their English msgids (zh-hans is the default language)."""
    with translation.override("en"):
        yield


def arrival_code(task):
    """The one-time code the enterprise would receive (issue 13: only the enterprise confirms an arrival)."""
    return code_issue(task=task, purpose="arrival")


def counted_per_enterprise(year=2026) -> Counter:
    return Counter(InspectionTask.objects.filter(draw__year=year).counted().values_list("enterprise_id", flat=True))


def general_task(plan, alice, check_item, name, ratio=50):
    """A task over the 20 general enterprises drawing ``ratio`` % of them."""
    return add_task(plan, alice, [check_item], name=name, include_key=False, ratio_override=ratio)


def expected_result(draw, witness_input=WITNESS) -> dict:
    """What the ceremony will draw (the nonce is known to the database only), by the reference implementation
    written from the text (tests/reference_draw.py), not by the product's own algorithm module."""
    data = DrawData.objects.get(draw=draw)
    seed = hashlib.sha256(f"{draw.pool_hash}|{draw.nonce}|{witness_input}".encode()).hexdigest()
    record = {
        "algorithm": draw.algorithm,
        "seed": seed,
        "strata": json.loads(data.pool_json),
        "inspectors": data.inspectors,
    }
    return reference_replay(record)


def team_of(task) -> list[str]:
    return list(
        task.members.filter(active=True, inspector__isnull=False)
        .order_by("position")
        .values_list("inspector__code", flat=True)
    )


# --------------------------------------------------------------------------- the yearly cap across open draws

NONCE_START = 1


def test_three_draws_open_at_once_never_break_the_cap(county, alice, frank, check_item, inspectors, monkeypatch):
    # fixed nonces, so that the three seeds are known to give overlapping lists (a random nonce sometimes did not)
    nonces = iter(f"{n:064x}" for n in range(NONCE_START, NONCE_START + 3))
    monkeypatch.setattr(draws.secrets, "token_hex", lambda _n=32: next(nonces))
    tasks = [general_task(county.plan, alice, check_item, f"并行任务{n}") for n in range(3)]
    created = [create_draw(task, alice) for task in tasks]  # all three pools frozen before any ceremony
    # The pools hold factory-made enterprises (other keys each run): choose each ceremony's witness input
    # so that the three lists share an enterprise (predicted with the published algorithm), or the cap
    # would not be exercised.
    inputs, common = [], None
    for n, draw in enumerate(created):
        for k in range(500):
            candidate = f"{WITNESS}-{n}-{k}"
            chosen = {key for s in expected_result(draw, candidate)["strata"] for key in s["selected"]}
            if common is None or common & chosen:
                common = chosen if common is None else common & chosen
                inputs.append(candidate)
                break
    drawn = [
        draws.draw_execute(actor=alice, draw=d, witness_input=inputs[n], witnesses="刘见证")
        for n, d in enumerate(created)
    ]
    selected = [set(d.entries.filter(selected=True).values_list("enterprise_id", flat=True)) for d in drawn]
    assert all(len(s) == 10 for s in selected)
    for draw in drawn:
        before = counted_per_enterprise()
        at_cap = {
            pk for pk in draw.entries.filter(selected=True).values_list("enterprise_id", flat=True) if before[pk] >= 2
        }
        draws.draw_approve(actor=frank, draw=draw)
        changes = list(DrawChange.objects.filter(draw=draw, kind=DrawChange.ENTERPRISE))
        replaced = {c.details["count"] for c in changes}
        assert len(changes) == len(at_cap) and replaced <= {2}
        assert all(c.step == DrawStep.APPROVAL and c.reason == "yearly_cap" for c in changes)
        tasks_of_draw = set(InspectionTask.objects.filter(draw=draw).values_list("enterprise_id", flat=True))
        assert len(tasks_of_draw) == 10 and not tasks_of_draw & at_cap
        assert max(counted_per_enterprise().values()) <= 2
    assert selected[0] & selected[1] & selected[2], "the seeds give overlapping lists: the cap was exercised"
    last = drawn[2]
    entry = AuditEntry.objects.filter(action="draw.approved", object_id=str(last.pk)).get()
    assert [c["before"] for c in entry.data["changes"]] == [
        c.old for c in DrawChange.objects.filter(draw=last, kind=DrawChange.ENTERPRISE)
    ]


def test_selections_awaiting_approval_count_against_the_cap(county, alice, policy):
    policy.yearly_cap = 1
    policy.save()
    first = run_draw(county, alice)  # drawn, not approved
    pending = set(first.entries.filter(selected=True).values_list("enterprise_id", flat=True))
    other = add_task(county.plan, alice, list(county.check_items.all()), name="第二任务")
    second = create_draw(other, alice)
    capped = {e["id"]: e["params"] for e in second.data.exclusions if e["reason"] == "yearly_cap"}
    assert capped == {pk: {"count": 0, "cap": 1, "pending": 1} for pk in pending}


def test_a_pool_frozen_after_a_ceremony_leaves_out_its_pending_selections(county, alice, frank, policy):
    policy.yearly_cap = 1
    policy.save()
    first, second_task = (
        run_draw(county, alice),
        add_task(county.plan, alice, list(county.check_items.all()), name="第二任务"),
    )
    second = run_draw(second_task, alice)  # both drawn before either approval: the cap is re-checked then
    draws.draw_approve(actor=frank, draw=first)
    overlap = set(first.entries.filter(selected=True).values_list("enterprise__uscc", flat=True)) & set(
        second.entries.filter(selected=True).values_list("enterprise__uscc", flat=True)
    )
    assert not overlap  # the second pool excluded the first's selections (pending against the cap)


# --------------------------------------------------------------------------- the quarter's quota


def test_a_further_draw_takes_only_what_remains_of_the_quarter(approved, alice, policy):
    with pytest.raises(DomainError) as refused:
        create_draw(approved.task, alice)
    assert str(refused.value) == (
        "Nothing left to draw: quarter 1's quota of this task is already drawn "
        "(Key: 2 of 2 already drawn; General: 2 of 2 already drawn). "
        "A team lead may draw beyond it only by giving the reason."
    )
    policy.general_ratio = 20  # the target for general becomes ceil(20 % × 20) = 4: 2 remain
    policy.save()
    second = create_draw(approved.task, alice)
    quotas = {q["label"]: (q["quota"], q["target"], q["already"]) for q in second.quotas}
    assert quotas == {"2026Q1/key": (0, 2, 2), "2026Q1/general": (2, 4, 2)}
    assert second.quota_exceed_reason == ""


def test_exceeding_the_quota_needs_a_leads_reason(approved, alice, erin):
    with pytest.raises(DomainError) as refused:
        create_draw(approved.task, erin, exceed_reason="加密抽查")  # an admin is not a team lead
    assert str(refused.value) == "Only a team lead may draw beyond the quarter's quota."
    second = create_draw(approved.task, alice, exceed_reason="群众举报集中，加密抽查")
    assert second.quota_exceed_reason == "群众举报集中，加密抽查"
    assert {q["label"]: (q["quota"], q["within"]) for q in second.quotas if q["in_record"]} == {
        "2026Q1/key": (2, 0),
        "2026Q1/general": (2, 0),
    }
    entry = AuditEntry.objects.get(action="draw.created", object_id=str(second.pk))
    assert entry.data["quota_exceeded"]["reason"] == "群众举报集中，加密抽查"
    assert (entry.data["quota_exceeded"]["within"], entry.data["quota_exceeded"]["drawn"]) == (0, 4)


# --------------------------------------------------------------------------- availability at every step


def test_conflict_declared_before_the_ceremony(county, alice, frank, carol):
    draw = create_draw(county, alice)
    expected = expected_result(draw)
    uscc = expected["strata"][0]["selected"][0]
    code = expected["teams"][uscc][0]
    registry.conflict_declare(
        actor=carol,
        inspector=Inspector.objects.get(code=code),
        enterprise=Enterprise.objects.get(uscc=uscc),
        reason="亲属任职",
    )
    draw = draws.draw_execute(actor=alice, draw=draw, witness_input=WITNESS, witnesses="刘见证")
    assert DrawData.objects.get(draw=draw).result == expected  # the replay stays exact
    (change,) = DrawChange.objects.filter(draw=draw)
    assert (change.step, change.kind, change.uscc, change.old, change.reason) == (
        "ceremony",
        "inspector",
        uscc,
        code,
        "unavailable",
    )
    assert "亲属任职" in change.details["because"]
    data = DrawData.objects.get(draw=draw)
    order = [c for c in draws.team_order(draw, uscc, data.inspectors["pool"]) if c not in expected["teams"][uscc]]
    assert change.new == next(
        c
        for c in order
        if [c, "excluded"] not in change.details["skipped_inspectors"]
        and [c, "workload"] not in change.details["skipped_inspectors"]
    )
    draws.draw_approve(actor=frank, draw=draw)
    task = InspectionTask.objects.get(draw=draw, enterprise__uscc=uscc)
    assert code not in team_of(task) and change.new in team_of(task)


def test_conflict_declared_between_ceremony_and_approval(drawn, frank, carol):
    task_entry = drawn.entries.filter(selected=True).select_related("enterprise").first()
    uscc = task_entry.enterprise.uscc
    code = drawn.data.result["teams"][uscc][1]
    registry.conflict_declare(
        actor=carol, inspector=Inspector.objects.get(code=code), enterprise=task_entry.enterprise, reason="曾任顾问"
    )
    draws.draw_approve(actor=frank, draw=drawn)
    (change,) = DrawChange.objects.filter(draw=drawn)
    assert (change.step, change.old) == ("approval", code)
    task = InspectionTask.objects.get(draw=drawn, enterprise=task_entry.enterprise)
    assert team_of(task)[1] == change.new and code not in team_of(task)
    audit = AuditEntry.objects.get(action="draw.approved", object_id=str(drawn.pk))
    assert audit.data["changes"][0]["before"] == code


def _approved_task(approved):
    return InspectionTask.objects.filter(draw=approved).order_by("number").select_related("enterprise").first()


def test_conflict_declared_after_approval_refuses_check_in_until_substituted(approved, alice, frank, carol, today):
    task = _approved_task(approved)
    member = task.members.filter(active=True, position=0).select_related("inspector").get().inspector
    registry.conflict_declare(actor=carol, inspector=member, enterprise=task.enterprise, reason="股东亲属")
    with pytest.raises(DomainError) as refused:
        services.checkin_confirm(task=task, confirmed_by_name="周接待", code=arrival_code(task))
    assert f"{member.code} {member.name}: Recused from this enterprise" in str(refused.value)
    assert "股东亲属" in str(refused.value) and task.enterprise.name in str(refused.value)
    assert InspectionTask.objects.get(pk=task.pk).status == "assigned"  # nothing was written
    proposal = substitutions.substitution_propose(
        actor=alice, task=task, kind="inspector", reason_code="other", note="回避", inspector=member
    )
    substitutions.substitution_approve(actor=frank, request=proposal)  # a substitution takes two leads
    _checkin, created = services.checkin_confirm(task=task, confirmed_by_name="周接待", code=arrival_code(task))
    assert created


def test_conflict_declared_after_check_in_refuses_the_result(approved, bureau, carol, today):
    task = _approved_task(approved)
    services.checkin_confirm(task=task, confirmed_by_name="周接待", code=arrival_code(task))
    lead = task.members.get(active=True, position=0).inspector
    if lead.user is None:
        lead.user = _member("ivan", bureau, Role.INSPECTOR)
        lead.save(update_fields=["user"])
    other = task.members.get(active=True, position=1).inspector
    registry.conflict_declare(actor=carol, inspector=other, enterprise=task.enterprise, reason="股东亲属")
    with pytest.raises(DomainError) as refused:
        services.result_record(
            actor=lead.user,
            task=task,
            outcome="no_problem",
            inspected_on=timezone.localdate(),
            findings=findings_for(task),
        )
    assert f"{other.code} {other.name}: Recused from this enterprise" in str(refused.value)
    assert InspectionTask.objects.get(pk=task.pk).status == "checked_in"  # nothing was written


def test_leave_starting_on_the_inspection_day_refuses_the_check_in(approved, carol, today):
    task = _approved_task(approved)
    member = task.members.filter(active=True, position=0).select_related("inspector").get().inspector
    registry.leave_add(actor=carol, inspector=member, start=TODAY, end=TODAY + timedelta(days=3), reason="病假")
    with pytest.raises(DomainError) as refused:
        services.checkin_confirm(task=task, confirmed_by_name="周接待", code=arrival_code(task))
    assert f"{member.code} {member.name}: On leave from 2026-02-10 to 2026-02-13" in str(refused.value)


def test_leave_ending_the_day_before_does_not(approved, carol, today):
    task = _approved_task(approved)
    member = task.members.filter(active=True, position=0).select_related("inspector").get().inspector
    registry.leave_add(actor=carol, inspector=member, start=date(2026, 2, 1), end=TODAY - timedelta(days=1))
    _checkin, created = services.checkin_confirm(task=task, confirmed_by_name="周接待", code=arrival_code(task))
    assert created


# --------------------------------------------------------------------------- approvals racing (PostgreSQL)


@pytest.mark.django_db(transaction=True)
def test_approvals_racing_on_two_connections_keep_the_cap(
    bureau, alice, frank, george, check_item, enterprises, inspectors
):
    if connection.vendor != "postgresql":
        if os.environ.get("SSJ_REQUIRE_SERVICES"):
            pytest.fail("this test needs PostgreSQL (DATABASE_URL) when SSJ_REQUIRE_SERVICES is set")
        pytest.skip("needs PostgreSQL: SQLite serialises every writer")
    QuotaPolicy.objects.create(bureau=bureau, year=2026, key_ratio=25, general_ratio=10, yearly_cap=1)
    plan = plans.plan_create(actor=alice, bureau=bureau, year=2026, name="并发审批")
    first = general_task(plan, alice, check_item, "甲任务")
    second = general_task(plan, alice, check_item, "乙任务")
    # Both pools frozen before either ceremony: nothing is pending yet, so they overlap.
    a, b = create_draw(first, alice), create_draw(second, alice)
    a = draws.draw_execute(actor=alice, draw=a, witness_input=WITNESS, witnesses="刘")
    b = draws.draw_execute(actor=alice, draw=b, witness_input=WITNESS + "乙", witnesses="刘")
    overlap = set(a.entries.filter(selected=True).values_list("enterprise_id", flat=True)) & set(
        b.entries.filter(selected=True).values_list("enterprise_id", flat=True)
    )
    assert overlap
    barrier = threading.Barrier(2)
    outcomes = {}

    def approve(user, draw):
        try:
            barrier.wait(timeout=10)
            draws.draw_approve(actor=user, draw=draw)
            outcomes[user.username] = "approved"
        except DomainError as exc:
            outcomes[user.username] = str(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=args) for args in ((frank, a), (george, b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == {"frank": "approved", "george": "approved"}
    assert max(counted_per_enterprise().values()) == 1  # the cap holds
    for pk in overlap:  # exactly one draw won each enterprise both had drawn
        assert InspectionTask.objects.filter(enterprise_id=pk).counted().count() == 1
    replaced = DrawChange.objects.filter(kind=DrawChange.ENTERPRISE)
    assert replaced.count() == len(overlap) and len({c.draw_id for c in replaced}) == 1
    assert Draw.objects.filter(status="approved").count() == 2


def test_the_draw_page_shows_the_exceeded_quota_and_the_changes(drawn, alice, frank, carol, client_for):
    entry = drawn.entries.filter(selected=True).select_related("enterprise").first()
    code = drawn.data.result["teams"][entry.enterprise.uscc][0]
    registry.conflict_declare(
        actor=carol, inspector=Inspector.objects.get(code=code), enterprise=entry.enterprise, reason="亲属"
    )
    draws.draw_approve(actor=frank, draw=drawn)
    second = create_draw(drawn.task, alice, exceed_reason="群众举报集中")
    page = client_for(alice).get(reverse("sampling:draw-detail", args=[drawn.pk])).content.decode()
    change = DrawChange.objects.get(draw=drawn)
    assert f"{change.old} → {change.new}" in page and "亲属" in page
    page = client_for(alice).get(reverse("sampling:draw-detail", args=[second.pk])).content.decode()
    assert 'id="quota-exceeded"' in page and "群众举报集中" in page
