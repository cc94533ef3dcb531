"""Issue 14 item 2: a step refused because an inspector may no longer take part is audited and shown on the draw.

The refused step rolls back; its refusal is written afterwards in a transaction of its own, once per object,
step, inspector, enterprise and rule a day (a repeated attempt does not flood the trail).
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from core.audit import verify_chain
from core.audit_words import action_words, known_action
from core.enums import Role
from core.errors import DomainError, StepRefused
from core.models import AuditEntry
from enterprises.models import Enterprise
from inspections import services
from inspections.codes import code_issue
from inspections.models import InspectionResult, InspectionTask
from inspectors import services as registry
from inspectors.models import Inspector
from sampling import draws
from sampling.models import Draw, DrawData
from tests.conftest import _member
from tests.inspections.factories import findings_for
from tests.inspections.test_paper import scan, without_contact

from .conftest import TODAY, create_draw
from .test_order_of_events import WITNESS, expected_result

RECUSED = "Recused from this enterprise (回避) since 2026-02-10: 亲属"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def refusals(action):
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def recuse_everybody(carol, enterprise):
    for inspector in Inspector.objects.filter(bureau=enterprise.bureau).order_by("code"):
        registry.conflict_declare(actor=carol, inspector=inspector, enterprise=enterprise, reason="亲属")


def first_task(approved):
    return InspectionTask.objects.filter(draw=approved).order_by("number").select_related("enterprise").first()


def test_a_refused_ceremony_is_audited_once_and_nothing_else_is_saved(county, alice, carol, today):
    draw = create_draw(county, alice)
    expected = expected_result(draw)
    uscc = expected["strata"][0]["selected"][0]
    first = expected["teams"][uscc][0]
    enterprise = Enterprise.objects.get(uscc=uscc)
    recuse_everybody(carol, enterprise)
    before = AuditEntry.objects.count()
    for _attempt in range(2):  # the same refusal twice: one entry
        with pytest.raises(StepRefused) as refused:
            draws.draw_execute(actor=alice, draw=draw, witness_input=WITNESS, witnesses="刘见证")
    assert str(refused.value).startswith(f"{first} {Inspector.objects.get(code=first).name} may no longer inspect")
    assert Draw.objects.get(pk=draw.pk).status == "created" and DrawData.objects.get(draw=draw).result is None
    (entry,) = refusals("sampling.step_refused")
    assert AuditEntry.objects.count() == before + 1
    assert (entry.object_type, entry.object_id, entry.actor_id) == ("sampling.draw", str(draw.pk), alice.pk)
    assert entry.data == {
        "step": "ceremony",
        "inspector": first,
        "inspector_name": Inspector.objects.get(code=first).name,
        "enterprise": uscc,
        "enterprise_name": enterprise.name,
        "rule": RECUSED,
        "day": "2026-02-10",
        "draw": draw.pk,
    }
    assert verify_chain().ok


def test_a_refused_ceremony_is_listed_on_the_page_of_the_draw_not_yet_held(county, alice, carol, client_for, today):
    draw = create_draw(county, alice)
    uscc = expected_result(draw)["strata"][0]["selected"][0]
    recuse_everybody(carol, Enterprise.objects.get(uscc=uscc))
    with pytest.raises(StepRefused):
        draws.draw_execute(actor=alice, draw=draw, witness_input=WITNESS, witnesses="刘见证")
    page = client_for(alice).get(reverse("sampling:draw-detail", args=[draw.pk])).content.decode()
    section = page[page.index('id="refusals"') :]
    assert section.count("<li>") == 1 and f'<span class="mono">{uscc}</span>' in section
    assert "摇号 · " in section and "since 2026-02-10: 亲属" in section


def test_a_refused_approval_is_audited_and_listed_on_the_draw_page(drawn, alice, frank, carol, client_for, today):
    uscc = drawn.data.result["strata"][0]["selected"][0]
    first = drawn.data.result["teams"][uscc][0]
    enterprise = Enterprise.objects.get(uscc=uscc)
    recuse_everybody(carol, enterprise)
    with pytest.raises(StepRefused):
        draws.draw_approve(actor=frank, draw=drawn)
    assert Draw.objects.get(pk=drawn.pk).status == "drawn"
    assert not InspectionTask.objects.filter(draw=drawn).exists()
    (entry,) = refusals("sampling.step_refused")
    assert (entry.actor_id, entry.data["step"], entry.data["inspector"], entry.data["enterprise"]) == (
        frank.pk,
        "approval",
        first,
        uscc,
    )
    with translation.override("zh-hans"):
        page = client_for(alice).get(reverse("sampling:draw-detail", args=[drawn.pk])).content.decode()
    assert 'id="refusals"' in page, page
    assert "拒绝记录" in page
    name = Inspector.objects.get(code=first).name
    assert f"审批 · {first} {name} · {enterprise.name}" in page and "since 2026-02-10: 亲属" in page


def test_a_refused_check_in_is_audited_once_a_day_per_rule(approved, carol, today):
    task = first_task(approved)
    member = task.members.filter(active=True, position=0).select_related("inspector").get().inspector
    registry.conflict_declare(actor=carol, inspector=member, enterprise=task.enterprise, reason="亲属")
    for _attempt in range(3):
        with pytest.raises(DomainError):
            services.checkin_confirm(
                task=task, confirmed_by_name="周接待", code=code_issue(task=task, purpose="arrival")
            )
    (entry,) = refusals("inspections.step_refused")
    assert (entry.object_type, entry.object_id) == ("inspections.inspectiontask", str(task.pk))
    assert entry.actor_id is None and entry.actor_name == f"周接待（{task.enterprise.name}）"
    assert entry.data == {
        "step": "checkin",
        "inspector": member.code,
        "inspector_name": member.name,
        "enterprise": task.enterprise.uscc,
        "enterprise_name": task.enterprise.name,
        "rule": RECUSED,
        "day": "2026-02-10",
        "draw": approved.pk,
    }
    # Another rule (a leave as well) is another refusal; the next day the same one is written again.
    registry.leave_add(actor=carol, inspector=member, start=TODAY, end=TODAY + timedelta(days=5), reason="病假")
    with pytest.raises(DomainError):
        services.checkin_confirm(task=task, confirmed_by_name="周接待", code=code_issue(task=task, purpose="arrival"))
    rules = [e.data["rule"] for e in refusals("inspections.step_refused")]
    assert rules == [RECUSED, f"On leave from 2026-02-10 to 2026-02-15; {RECUSED}"]
    with time_machine.travel(timezone.now() + timedelta(days=1)), pytest.raises(DomainError):
        services.checkin_confirm(task=task, confirmed_by_name="周接待", code=code_issue(task=task, purpose="arrival"))
    assert [e.data["day"] for e in refusals("inspections.step_refused")] == ["2026-02-10", "2026-02-10", "2026-02-11"]
    assert InspectionTask.objects.get(pk=task.pk).status == "assigned"


def test_a_refused_paper_check_in_names_the_lead(approved, alice, carol, today):
    task = first_task(approved)
    member = task.members.filter(active=True, position=1).select_related("inspector").get().inspector
    registry.conflict_declare(actor=carol, inspector=member, enterprise=task.enterprise, reason="亲属")
    without_contact(task)  # the paper record stands in only for an enterprise without a registered contact
    with pytest.raises(DomainError):
        services.checkin_record_manual(
            actor=alice,
            task=task,
            at=timezone.now() - timedelta(hours=1),
            received_by="周接待",
            reason="停电",
            scan=scan(),
        )
    (entry,) = refusals("inspections.step_refused")
    assert (entry.actor_id, entry.data["step"], entry.data["inspector"]) == (alice.pk, "checkin", member.code)


def test_a_refused_result_entry_is_audited(approved, bureau, carol, today):
    task = first_task(approved)
    services.checkin_confirm(task=task, confirmed_by_name="周接待", code=code_issue(task=task, purpose="arrival"))
    lead = task.members.get(active=True, position=0).inspector
    if lead.user is None:
        lead.user = _member("ivan", bureau, Role.INSPECTOR)
        lead.save(update_fields=["user"])
    other = task.members.get(active=True, position=1).inspector
    registry.conflict_declare(actor=carol, inspector=other, enterprise=task.enterprise, reason="亲属")
    with pytest.raises(DomainError):
        services.result_record(
            actor=lead.user, task=task, outcome="no_problem", inspected_on=TODAY, findings=findings_for(task)
        )
    (entry,) = refusals("inspections.step_refused")
    assert (entry.actor_id, entry.data["step"], entry.data["inspector"], entry.data["rule"]) == (
        lead.user.pk,
        "result",
        other.code,
        RECUSED,
    )
    assert InspectionTask.objects.get(pk=task.pk).status == "checked_in"


def test_a_refused_result_without_arrival_is_audited(approved, bureau, carol, today):
    """不配合 / 无法联系 recorded without a check-in is a result entry too: a recused member refuses it."""
    task = first_task(approved)
    lead = task.members.get(active=True, position=0).inspector
    if lead.user is None:
        lead.user = _member("ivan", bureau, Role.INSPECTOR)
        lead.save(update_fields=["user"])
    other = task.members.get(active=True, position=1).inspector
    registry.conflict_declare(actor=carol, inspector=other, enterprise=task.enterprise, reason="亲属")
    members = list(task.members.filter(active=True).order_by("position").values_list("pk", flat=True))
    with pytest.raises(DomainError):
        services.result_record_without_arrival(
            actor=lead.user,
            task=task,
            outcome="unreachable",
            attempted_at=timezone.now() - timedelta(hours=1),
            place="工业园区纬三路8号",
            members=members,
            witness="园区管委会 李见证",
            summary="登记住所已无人办公。",
        )
    (entry,) = refusals("inspections.step_refused")
    assert (entry.actor_id, entry.data["step"], entry.data["inspector"], entry.data["rule"]) == (
        lead.user.pk,
        "result",
        other.code,
        RECUSED,
    )
    assert InspectionTask.objects.get(pk=task.pk).status == "assigned"
    assert not InspectionResult.objects.filter(task=task).exists()  # nothing half-written


def test_the_refusal_actions_have_words():
    for action in ("sampling.step_refused", "inspections.step_refused"):
        assert known_action(action) and "." not in action_words(action)
