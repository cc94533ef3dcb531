"""Two members of a team open the result form of the same task and both submit (core/versions.py).

The first submission is saved; the second is refused with 409, its typed values kept, the fields the first
changed (old → new) and the first member named; the result equals the first submission, one audit entry.
"""

import pytest
from django.utils import timezone

from core.models import AuditEntry
from inspections.models import InspectionResult
from tests.edit_forms import assert_conflict, english_client, shown_form
from tests.factories import InspectorFactory, MembershipFactory, UserFactory

from .conftest import enterprise_code
from .factories import make_task


@pytest.fixture
def heidi(bureau):
    user = UserFactory(username="heidi", first_name="郑检查")
    MembershipFactory(user=user, bureau=bureau, role="inspector")
    InspectorFactory(bureau=bureau, code="ZF003", name="郑检查", user=user)
    return user


@pytest.fixture
def shared_task(bureau, draw, bob, heidi):
    from inspections import services

    task = make_task(bureau=bureau, inspectors=[bob.inspector, heidi.inspector], draw=draw)
    services.checkin_confirm(
        code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待", ip="10.0.0.9", user_agent="pytest"
    )
    task.refresh_from_db()
    return task


def _fill(form: dict, task, **values) -> dict:
    data = {**form, "outcome": "no_problem", **values}
    for item in task.check_items.all():
        data.setdefault(f"item-{item.pk}-compliant", "yes")
    return data


def test_second_member_recording_at_once_is_refused(shared_task, bob, heidi):
    url = f"/inspections/{shared_task.pk}/result/"
    first, second = english_client(bob), english_client(heidi)
    form_a, form_b = shown_form(first, url), shown_form(second, url)

    assert first.post(url, _fill(form_a, shared_task, summary="王：现场未发现问题")).status_code == 302
    response = second.post(url, _fill(form_b, shared_task, summary="郑：废气设施正常", joint_units="县公安局"))

    assert_conflict(
        response,
        typed={"summary": "郑：废气设施正常", "joint_units": 'value="县公安局"'},
        changed=[
            ("Outcome", "—", "未发现问题"),
            ("Summary", "—", "王：现场未发现问题"),
            ("Inspected on", "—", timezone.localdate().isoformat()),
            ("Confidential: touches state secrets, national or public security (never published)", "—", "no"),
            ("污染防治设施运行情况 · Result", "—", "Complies"),
            ("污染防治设施运行情况 · Legal basis", "—", "《中华人民共和国环境保护法》第四十二条"),
            ("排污许可制度执行情况 · Result", "—", "Complies"),
            ("排污许可制度执行情况 · Legal basis", "—", "《中华人民共和国环境保护法》第四十二条"),
        ],
        by="王检查",
    )
    result = InspectionResult.objects.get(task=shared_task)
    assert (result.summary, result.joint_units, result.recorded_by_name) == ("王：现场未发现问题", "", "王检查")
    actions = AuditEntry.objects.filter(action__startswith="inspections.result_").values_list("action", "actor_name")
    assert list(actions) == [("inspections.result_recorded", "王检查")]


def test_second_member_editing_a_stale_result_is_refused(shared_task, bob, heidi):
    url = f"/inspections/{shared_task.pk}/result/"
    first, second = english_client(bob), english_client(heidi)
    assert first.post(url, _fill(shown_form(first, url), shared_task, summary="初稿")).status_code == 302
    form_a, form_b = shown_form(first, url), shown_form(second, url)
    assert form_b["summary"] == "初稿"  # the second member sees the first member's result

    assert first.post(url, {**form_a, "summary": "王：修改后"}).status_code == 302
    response = second.post(url, {**form_b, "summary": "郑：修改后"})

    assert_conflict(response, typed={"summary": "郑：修改后"}, changed=[("Summary", "初稿", "王：修改后")], by="王检查")
    assert InspectionResult.objects.get(task=shared_task).summary == "王：修改后"
    edits = AuditEntry.objects.filter(action="inspections.result_edited")
    assert [(e.actor_name, e.data["before"], e.data["after"]) for e in edits] == [
        ("王检查", {"summary": "初稿"}, {"summary": "王：修改后"})
    ]


def test_a_finding_changed_meanwhile_is_named_by_its_item(shared_task, bob, heidi):
    url = f"/inspections/{shared_task.pk}/result/"
    first, second = english_client(bob), english_client(heidi)
    first.post(url, _fill(shown_form(first, url), shared_task, summary="初稿"))
    form_a, form_b = shown_form(first, url), shown_form(second, url)
    item = shared_task.check_items.order_by("order").first()

    changed = {
        **form_a,
        "outcome": "corrected",
        f"item-{item.pk}-compliant": "no",
        f"item-{item.pk}-finding": "台账缺失",
    }
    response = first.post(url, changed)
    assert response.status_code == 302, response.context["form"].errors
    response = second.post(url, {**form_b, "summary": "郑：修改后"})

    assert_conflict(
        response,
        typed={"summary": "郑：修改后"},
        changed=[
            ("Outcome", "未发现问题", "发现问题已责令改正"),
            (f"{item.name} · Result", "Complies", "Does not comply"),
            (f"{item.name} · Finding", "—", "台账缺失"),
        ],
        by="王检查",
    )


def test_result_form_get_carries_the_version_and_changes_nothing(shared_task, heidi):
    before = AuditEntry.objects.count()
    form = shown_form(english_client(heidi), f"/inspections/{shared_task.pk}/result/")
    assert form["version"].split("-")[0] == str(AuditEntry.objects.latest("id").pk)
    assert AuditEntry.objects.count() == before and not InspectionResult.objects.exists()
    assert timezone.localdate().isoformat() == form["inspected_on"]


def test_approval_of_a_result_edited_since_the_page_was_opened_is_refused(shared_task, bob, alice):
    url = f"/inspections/{shared_task.pk}/result/"
    member = english_client(bob)
    member.post(url, _fill(shown_form(member, url), shared_task, summary="初稿"))
    lead = english_client(alice)
    approval = shown_form(lead, f"/inspections/{shared_task.pk}/")  # the approval form of the task page

    assert member.post(url, {**shown_form(member, url), "summary": "改稿"}).status_code == 302
    response = lead.post(f"/inspections/{shared_task.pk}/approve/", {**approval, "confirm": "1"})

    assert_conflict(response, typed={}, changed=[("Summary", "初稿", "改稿")], by="王检查")
    result = InspectionResult.objects.get(task=shared_task)
    assert (result.approved_at, result.summary) == (None, "改稿")
    assert not AuditEntry.objects.filter(action="inspections.result_approved").exists()

    # The page now shows the edited result and carries its version: approving it is allowed.
    approval = shown_form(lead, f"/inspections/{shared_task.pk}/")
    assert lead.post(f"/inspections/{shared_task.pk}/approve/", {**approval, "confirm": "1"}).status_code == 302
    assert InspectionResult.objects.get(task=shared_task).approved_by_name == "张组长"
