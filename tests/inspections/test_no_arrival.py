"""Results without arrival (DESIGN §3 rule 9): 不配合检查情节严重 and 无法联系 recorded without a check-in."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from core.errors import DomainError
from core.models import AuditEntry
from inspections import services
from inspections.enums import InspectionTaskStatus, Outcome, gsxt_code, gsxt_wording
from inspections.models import Attachment, InspectionResult, InspectionTask, NoArrival, TaskMember
from inspections.publication import publication_publish
from inspections.services import InvalidFields

from .factories import findings_for

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def members_of(task):
    return list(TaskMember.objects.filter(task=task, active=True).order_by("position").values_list("pk", flat=True))


def attempt(actor, task, **overrides):
    values = {
        "outcome": Outcome.UNREACHABLE,
        "attempted_at": timezone.now() - timedelta(hours=1),
        "place": "工业园区纬三路8号",
        "members": members_of(task),
        "witness": "园区管委会 李见证",
        "summary": "登记住所已无人办公，电话无人接听。",
    }
    values.update(overrides)
    return services.result_record_without_arrival(actor=actor, task=task, **values)


def test_unreachable_recorded_without_checkin_moves_task_and_audits(task, bob):
    result, created = attempt(bob, task)
    assert created is True
    assert InspectionTask.objects.get(pk=task.pk).status == InspectionTaskStatus.RESULT_RECORDED
    assert result.outcome == Outcome.UNREACHABLE
    assert not hasattr(InspectionTask.objects.get(pk=task.pk), "checkin")
    record = NoArrival.objects.get(result=result)
    assert record.members == ["王检查（ZF001）", "陈执法（ZF002）"]
    assert record.witness == "园区管委会 李见证"
    entry = AuditEntry.objects.get(action="inspections.result_recorded_without_arrival")
    assert entry.data["after"] == {"status": "result_recorded", "outcome": "unreachable", "summary": result.summary}
    assert entry.data["members"] == record.members


def test_the_same_record_again_is_a_no_op(task, bob):
    moment = timezone.now() - timedelta(hours=1)
    first, _ = attempt(bob, task, attempted_at=moment)
    again, created = attempt(bob, task, attempted_at=moment)
    assert (again.pk, created) == (first.pk, False)
    assert AuditEntry.objects.filter(action="inspections.result_recorded_without_arrival").count() == 1


def test_photo_instead_of_witness_is_evidence_and_stored(task, bob):
    photo = SimpleUploadedFile("door.jpg", JPEG, content_type="image/jpeg")
    result, _ = attempt(bob, task, outcome=Outcome.UNCOOPERATIVE, witness="", files=[photo])
    assert result.outcome == Outcome.UNCOOPERATIVE
    assert Attachment.objects.filter(result=result).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"outcome": Outcome.NO_PROBLEM}, "outcome"),
        ({"outcome": Outcome.NO_BUSINESS_ACTIVITY}, "outcome"),
        ({"attempted_at": None}, "attempted_at"),
        ({"attempted_at": timezone.now() + timedelta(days=1)}, "attempted_at"),
        ({"attempted_at": timezone.now() - timedelta(days=10)}, "attempted_at"),  # before the inspection period
        ({"place": "  "}, "place"),
        ({"members": []}, "members"),
        ({"members": "first-only"}, "members"),
        ({"witness": ""}, "witness"),  # no witness and no file
    ],
)
def test_refusals_name_the_field_and_write_nothing(task, bob, overrides, field):
    if overrides.get("members") == "first-only":
        overrides = {"members": members_of(task)[:1]}
    with pytest.raises(InvalidFields) as info:
        attempt(bob, task, **overrides)
    assert field in info.value.errors
    assert InspectionTask.objects.get(pk=task.pk).status == InspectionTaskStatus.ASSIGNED
    assert not InspectionResult.objects.exists()
    assert not NoArrival.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_bad_file_refuses_the_whole_record(task, bob):
    bad = SimpleUploadedFile("x.exe", b"MZ\x90\x00" * 10, content_type="image/jpeg")
    with pytest.raises(InvalidFields) as info:
        attempt(bob, task, files=[bad])
    assert "files" in info.value.errors
    assert not InspectionResult.objects.exists()


def test_only_the_team_records_it(task, alice, mallory):
    for actor in (alice, mallory):
        with pytest.raises(PermissionDenied):
            attempt(actor, task)
    assert not InspectionResult.objects.exists()


def test_after_checkin_the_normal_path_is_required(checked_in, bob):
    with pytest.raises(DomainError, match="已确认到达企业"):
        attempt(bob, checked_in)
    assert not InspectionResult.objects.exists()


def test_the_normal_path_still_needs_a_checkin_and_refuses_unreachable(task, checked_in, bob):
    with pytest.raises(InvalidFields) as info:
        services.result_record(
            actor=bob,
            task=checked_in,
            outcome=Outcome.UNREACHABLE,
            inspected_on=timezone.localdate(),
            findings=findings_for(checked_in),
        )
    assert "outcome" in info.value.errors


def test_a_result_without_arrival_cannot_be_edited_through_the_normal_path(task, bob):
    attempt(bob, task)
    with pytest.raises(DomainError, match="未能入企"):
        services.result_record(
            actor=bob,
            task=task,
            outcome=Outcome.NO_PROBLEM,
            inspected_on=timezone.localdate(),
            findings=findings_for(task),
        )


def test_approved_and_published_like_any_other(task, bob, frank):
    result, _ = attempt(bob, task)
    services.result_approve(actor=frank, result=result)
    publication = publication_publish(actor=frank, task=InspectionTask.objects.get(pk=task.pk))
    assert publication.outcome == Outcome.UNREACHABLE
    assert publication.get_outcome_display() == "通过登记的住所（经营场所）无法联系"
    assert publication.inspected_on == result.inspected_on


def test_gsxt_mapping_covers_every_outcome():
    for outcome in Outcome.values:
        assert gsxt_wording(outcome)
        assert gsxt_code(outcome)
    assert gsxt_wording(Outcome.UNREACHABLE) == "通过登记的住所（经营场所）无法联系"
    assert gsxt_wording(Outcome.NO_BUSINESS_ACTIVITY) == "未发现开展本次抽查涉及的经营活动"


# --- the page ----------------------------------------------------------------------------------------


def test_task_page_offers_the_action_to_the_team_only(task, bob, frank, client_for):
    url = reverse("inspections:task-detail", args=[task.pk])
    assert "未能入企检查" in client_for(bob).get(url).content.decode()
    assert 'id="no-arrival"' not in client_for(frank).get(url).content.decode()


def test_post_records_and_error_keeps_input(task, bob, client_for):
    client = client_for(bob)
    url = reverse("inspections:no-arrival", args=[task.pk])
    moment = timezone.localtime() - timedelta(hours=1)
    data = {
        "outcome": Outcome.UNREACHABLE,
        "attempted_at": moment.strftime("%Y-%m-%dT%H:%M"),
        "place": "纬三路8号",
        "members": members_of(task),
        "witness": "",
        "summary": "无人",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "纬三路8号" in body and "无人" in body
    assert not InspectionResult.objects.exists()
    response = client.post(url, {**data, "witness": "李见证"})
    assert response.status_code == 302
    assert InspectionResult.objects.get(task=task).outcome == Outcome.UNREACHABLE


def test_get_changes_nothing(task, bob, client_for):
    response = client_for(bob).get(reverse("inspections:no-arrival", args=[task.pk]))
    assert response.status_code == 405
    assert not InspectionResult.objects.exists()


def test_open_data_carries_the_gsxt_wording_and_code(task, bob, frank):
    from disclosure.exports import OPEN_DATA_FIELDS, OPEN_DATA_HEADER, open_data_values
    from inspections.models import Publication

    result, _ = attempt(bob, task)
    services.result_approve(actor=frank, result=result)
    publication_publish(actor=frank, task=InspectionTask.objects.get(pk=task.pk))
    row = Publication.objects.values_list(*OPEN_DATA_FIELDS).get()
    values = dict(zip(OPEN_DATA_HEADER, open_data_values(row), strict=True))
    assert values["抽查结果"] == "通过登记的住所（经营场所）无法联系"
    assert values["公示系统抽查结果"] == "通过登记的住所（经营场所）无法联系"
    assert values["公示系统抽查结果代码"] == "SSJ-06"  # the project's own stable code (docs/open-data.md)


def test_public_results_page_explains_every_category(db, client):
    body = client.get(reverse("public:results")).content.decode()
    assert 'id="outcome-legend"' in body
    for label in Outcome.labels:
        assert label in body


def test_the_gsxt_codes_are_the_projects_own_and_stable():
    from inspections.enums import GSXT_CATEGORIES

    assert [gsxt_code(o) for o in Outcome.values] == [
        "SSJ-01",
        "SSJ-02",
        "SSJ-03",
        "SSJ-04",
        "SSJ-05",
        "SSJ-03",
        "SSJ-05",
        "SSJ-06",
        "SSJ-07",
    ]
    assert len(set(GSXT_CATEGORIES.values())) == len(GSXT_CATEGORIES) == 7


def test_the_public_legends_explain_every_category_and_every_code(db, client):
    from inspections.enums import OUTCOME_DEFINITIONS

    with translation.override("zh-hans"):
        results = client.get(reverse("public:results")).content.decode()
        open_data = client.get(reverse("public:open-data")).content.decode()
    legend = results[results.index('id="outcome-legend"') :]
    for outcome, label in Outcome.choices:
        with translation.override("zh-hans"):
            definition = str(OUTCOME_DEFINITIONS[outcome])
        assert f"<dt><strong>{label}</strong></dt>" in legend and definition in legend
    gsxt = open_data[open_data.index('id="gsxt-legend"') :]
    assert "本系统自定的稳定代码" in gsxt
    for code, wording in (("SSJ-03", "发现问题已责令改正"), ("SSJ-06", "通过登记的住所（经营场所）无法联系")):
        assert f'<td class="mono">{code}</td><td>{wording}</td>' in gsxt
    assert "<td>发现问题待后续处理、发现违法行为已立案调查</td>" in gsxt
