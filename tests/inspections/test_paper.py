"""Issue 13 item 2, the enterprise without a registered contact: it cannot receive a one-time code, so its
arrival (and its rating) is a paper record it signs, recorded with the record's scan and marked "paper".
With a registered contact, the code is the only way: the paper route is refused."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.enums import Role
from core.errors import DomainError
from core.models import AuditEntry
from inspections import services, uploads
from inspections.models import CheckIn, EnterpriseCode, Evaluation, InspectionTask, PaperScan
from inspections.services import InvalidFields
from inspections.tokens import make_token
from tests.factories import InspectorFactory, MembershipFactory, UserFactory

from .factories import make_task

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PDF_SHA256 = hashlib.sha256(PDF).hexdigest()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
WITH_CONTACT = (
    "该企业已登记联系方式：到达须由企业凭发送给它的一次性验证码自行确认。只有未登记联系方式的企业才可使用纸质记录。"
)
RATING_WITH_CONTACT = (
    "该企业已登记联系方式：评价须由企业凭发送给它的一次性验证码自行提交。只有未登记联系方式的企业才可使用纸质评价表。"
)


def scan(content=PDF, name="签到单.pdf"):
    return SimpleUploadedFile(name, content)


def without_contact(task):
    task.enterprise.contact_email = ""
    task.enterprise.contact_phone = "13800000000"  # a phone, but no SMS gateway configured: no channel
    task.enterprise.save(update_fields=["contact_email", "contact_phone"])
    return task


@pytest.fixture
def paper_task(task):
    """``task`` (bob and his partner's) of an enterprise without a registered contact."""
    return without_contact(task)


@pytest.fixture
def paper_approved(approved):
    """An approved result of an enterprise that has no registered contact (any more)."""
    without_contact(approved.task)
    return approved.task


def stored_files(media_root):
    folder = media_root / uploads.UPLOAD_DIR
    return sorted(p.read_bytes() for p in folder.iterdir()) if folder.exists() else []


def nothing_written(task):
    return (
        not CheckIn.objects.filter(task=task).exists()
        and not PaperScan.objects.exists()
        and not AuditEntry.objects.filter(object_id=str(task.pk)).exists()
        and InspectionTask.objects.get(pk=task.pk).status == "assigned"
    )


# --- the service ------------------------------------------------------------------------------------------


def test_a_team_member_records_the_paper_arrival_with_its_scan(paper_task, bob, media_root):
    at = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    checkin, created = services.checkin_record_manual(
        actor=bob, task=paper_task, at=at, received_by="周接待", scan=scan(), reason="签到单原件已存档"
    )
    assert created is True
    assert InspectionTask.objects.get(pk=paper_task.pk).status == "checked_in"
    checkin = CheckIn.objects.get(task=paper_task)
    paper = PaperScan.objects.get()
    assert (
        checkin.method,
        checkin.at,
        checkin.confirmed_by_name,
        checkin.recorded_by,
        checkin.recorded_by_name,
        checkin.reason,
        checkin.scan_id,
        checkin.suspicions,
    ) == ("paper", at, "周接待", bob, "王检查", "签到单原件已存档", paper.pk, [])
    assert (
        paper.task_id,
        paper.purpose,
        paper.original_name,
        paper.content_type,
        paper.size,
        paper.sha256,
        paper.uploaded_by,
    ) == (paper_task.pk, "arrival", "签到单.pdf", "application/pdf", len(PDF), PDF_SHA256, bob)
    assert paper.file.name.startswith("inspections/") and paper.file.name.endswith(".pdf")
    assert stored_files(media_root) == [PDF]
    (entry,) = AuditEntry.objects.all()
    assert (entry.action, entry.actor, entry.actor_name, entry.object_id) == (
        "inspections.checkin_recorded_manually",
        bob,
        "王检查",
        str(paper_task.pk),
    )
    assert {k: entry.data[k] for k in ("before", "after", "method", "confirmed_by", "scan", "name", "sha256")} == {
        "before": "assigned",
        "after": "checked_in",
        "method": "paper",
        "confirmed_by": "周接待",
        "scan": paper.pk,
        "name": "签到单.pdf",
        "sha256": PDF_SHA256,
    }


def test_a_repeat_changes_nothing_and_stores_no_second_file(paper_task, bob, media_root):
    at = timezone.now() - timedelta(hours=1)
    first, _created = services.checkin_record_manual(
        actor=bob, task=paper_task, at=at, received_by="周接待", scan=scan()
    )
    again, created = services.checkin_record_manual(
        actor=bob, task=paper_task, at=at, received_by="周接待", scan=scan(JPEG, "again.jpg")
    )
    assert (again.pk, created) == (first.pk, False)
    assert PaperScan.objects.count() == 1 and AuditEntry.objects.count() == 1
    assert stored_files(media_root) == [PDF]


def test_a_team_lead_not_on_the_team_may_record_it(paper_task, alice):
    checkin, created = services.checkin_record_manual(
        actor=alice, task=paper_task, at=timezone.now() - timedelta(hours=2), received_by="周接待", scan=scan()
    )
    assert (created, checkin.method, checkin.recorded_by) == (True, "paper", alice)


def test_refused_when_the_enterprise_has_a_registered_contact(task, bob, media_root):
    """The attack: the inspector uploads "paper" for an enterprise that can receive a code."""
    with pytest.raises(DomainError) as exc:
        services.checkin_record_manual(
            actor=bob, task=task, at=timezone.now() - timedelta(hours=1), received_by="周接待", scan=scan()
        )
    assert str(exc.value) == WITH_CONTACT
    assert nothing_written(task) and stored_files(media_root) == []


def test_refused_with_an_sms_contact_too(paper_task, bob, settings, media_root):
    settings.SSJ_SMS_SENDER = "tests.inspections.test_paper.fake_sms"
    with pytest.raises(DomainError, match="该企业已登记联系方式"):
        services.checkin_record_manual(
            actor=bob, task=paper_task, at=timezone.now() - timedelta(hours=1), received_by="周接待", scan=scan()
        )
    assert nothing_written(paper_task) and stored_files(media_root) == []


def fake_sms(phone, message):  # an SMS gateway for the test above (never called)
    raise AssertionError("no SMS is sent")


@pytest.fixture
def other_inspector(bureau):
    user = UserFactory(username="ivan", first_name="孙检查")
    MembershipFactory(user=user, bureau=bureau, role=Role.INSPECTOR)
    InspectorFactory(bureau=bureau, code="ZF009", name="孙检查", user=user)
    return user


@pytest.mark.parametrize("who", ["dave", "carol", "erin", "mallory", "other_inspector"])
def test_refused_to_whoever_is_neither_on_the_team_nor_a_lead(request, paper_task, who, media_root):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.checkin_record_manual(
            actor=user, task=paper_task, at=timezone.now() - timedelta(hours=1), received_by="周接待", scan=scan()
        )
    assert nothing_written(paper_task) and stored_files(media_root) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "请上传企业签字的纸质记录扫描件。"),
        (EXE, "签到单.pdf 不是 JPEG、PNG 照片或 PDF 文档（按文件内容检查，而非文件名）。"),
        (b"", "签到单.pdf 是空文件。"),
    ],
)
def test_the_scan_is_checked_as_the_evidence_files_are(paper_task, bob, content, message, media_root):
    upload = None if content is None else scan(content)
    with pytest.raises(InvalidFields) as exc:
        services.checkin_record_manual(
            actor=bob, task=paper_task, at=timezone.now() + timedelta(hours=1), received_by="", scan=upload
        )
    assert exc.value.errors == {
        "received_by": "请填写接待检查人员的人员姓名。",
        "at": "到达时间不能晚于当前时间。",
        "scan": message,
    }
    assert nothing_written(paper_task) and stored_files(media_root) == []


def test_a_scan_too_large_is_refused(paper_task, bob, monkeypatch, media_root):
    monkeypatch.setattr(uploads, "MAX_BYTES", 40)
    with pytest.raises(InvalidFields) as exc:
        services.checkin_record_manual(
            actor=bob, task=paper_task, at=timezone.now() - timedelta(hours=1), received_by="周接待", scan=scan()
        )
    assert list(exc.value.errors) == ["scan"] and "签到单.pdf 过大" in exc.value.errors["scan"]
    assert nothing_written(paper_task)


def test_refused_on_a_cancelled_task(bureau, draw, bob, partner, media_root):
    task = without_contact(make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw))
    InspectionTask.objects.filter(pk=task.pk).update(status="cancelled")
    with pytest.raises(DomainError, match="该检查任务已取消。"):
        services.checkin_record_manual(
            actor=bob, task=task, at=timezone.now() - timedelta(hours=1), received_by="周接待", scan=scan()
        )
    assert not CheckIn.objects.exists() and stored_files(media_root) == []


def test_the_code_route_stays_closed_without_a_contact(client, paper_task):
    """The QR token alone still confirms nothing: without a contact no code can be sent nor used."""
    url = f"/c/{make_token(paper_task)}/"
    assert client.post(url + "code/", {"purpose": "arrival"}).status_code == 400
    assert client.post(url + "arrive/", {"confirmed_by_name": "周接待", "code": "123456"}).status_code == 400
    assert not EnterpriseCode.objects.exists() and nothing_written(paper_task)


# --- the rating on paper --------------------------------------------------------------------------------


def test_a_lead_not_on_the_team_records_the_paper_rating(paper_approved, alice, media_root):
    evaluation, created = services.evaluation_record_paper(
        actor=alice, task=paper_approved, rating=4, comment="检查规范", scan=scan(JPEG, "评价表.jpg")
    )
    assert created is True
    evaluation = Evaluation.objects.get(task=paper_approved)
    paper = PaperScan.objects.get(purpose="evaluation")
    assert (
        evaluation.rating,
        evaluation.comment,
        evaluation.method,
        evaluation.recorded_by,
        evaluation.recorded_by_name,
        evaluation.scan_id,
    ) == (4, "检查规范", "paper", alice, "张组长", paper.pk)
    assert (paper.original_name, paper.content_type, paper.sha256) == (
        "评价表.jpg",
        "image/jpeg",
        hashlib.sha256(JPEG).hexdigest(),
    )
    assert InspectionTask.objects.get(pk=paper_approved.pk).status == "result_approved"  # unchanged
    entry = AuditEntry.objects.get(action="inspections.evaluation_recorded_on_paper")
    assert (entry.actor, entry.data["rating"], entry.data["method"], entry.data["scan"]) == (
        alice,
        4,
        "paper",
        paper.pk,
    )
    again, created = services.evaluation_record_paper(actor=alice, task=paper_approved, rating=1, scan=scan())
    assert (again.pk, again.rating, created) == (evaluation.pk, 4, False)
    assert PaperScan.objects.count() == 1 and stored_files(media_root) == [JPEG]


def test_the_paper_rating_is_refused_with_a_contact(approved, alice, media_root):
    with pytest.raises(DomainError) as exc:
        services.evaluation_record_paper(actor=alice, task=approved.task, rating=5, scan=scan())
    assert str(exc.value) == RATING_WITH_CONTACT
    assert not Evaluation.objects.exists() and not PaperScan.objects.exists() and stored_files(media_root) == []


@pytest.mark.parametrize("who", ["bob", "dave", "carol", "erin", "mallory"])
def test_the_paper_rating_is_refused_to_other_roles(request, paper_approved, who):
    with pytest.raises(PermissionDenied):
        services.evaluation_record_paper(actor=request.getfixturevalue(who), task=paper_approved, rating=5, scan=scan())
    assert not Evaluation.objects.exists()


def test_a_lead_on_the_team_does_not_record_its_rating(paper_approved, bureau, bob):
    MembershipFactory(user=bob, bureau=bureau, role=Role.TEAM_LEAD)
    bob = type(bob).objects.get(pk=bob.pk)  # his roles read afresh
    with pytest.raises(DomainError, match="检查组成员不得录入企业对本次检查的评价。"):
        services.evaluation_record_paper(actor=bob, task=paper_approved, rating=5, scan=scan())
    assert not Evaluation.objects.exists()


def test_the_paper_rating_waits_for_the_approval(recorded, alice):
    task = without_contact(recorded.task)
    with pytest.raises(DomainError, match="检查结果审核通过后才能评价。"):
        services.evaluation_record_paper(actor=alice, task=task, rating=5, scan=scan())
    assert not Evaluation.objects.exists()


# --- the pages --------------------------------------------------------------------------------------------


def post_paper_checkin(client, task, content=PDF, **extra):
    at = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"at": at, "received_by": "周接待", "reason": "", "scan": scan(content), **extra}
    return client.post(f"/inspections/{task.pk}/checkin/", data)


def test_the_paper_form_is_offered_only_without_a_contact(client_for, task, bob):
    client = client_for(bob)
    assert 'id="checkin-paper-form"' not in client.get(f"/inspections/{task.pk}/").content.decode()
    assert client.get(f"/inspections/{task.pk}/").context["can_checkin_manual"] is False
    without_contact(task)
    page = client.get(f"/inspections/{task.pk}/")
    assert page.context["can_checkin_manual"] is True
    assert 'id="checkin-paper-form"' in page.content.decode()
    assert "根据企业签字的纸质记录登记到达" in page.content.decode()


def test_the_paper_arrival_through_the_page_is_marked_paper(client_for, paper_task, bob):
    client = client_for(bob)
    response = post_paper_checkin(client, paper_task)
    assert response.status_code == 302 and response["Location"] == f"/inspections/{paper_task.pk}/#checkin"
    page = client.get(response["Location"]).content.decode()
    paper = PaperScan.objects.get()
    assert '<span class="badge badge-special" id="checkin-method">企业签字的纸质记录（附扫描件）</span>' in page
    assert "由王检查根据企业签字的纸质记录登记。" in page
    assert f'href="/inspections/{paper_task.pk}/scans/{paper.pk}/" id="checkin-scan">签字记录: 签到单.pdf</a>' in page
    assert CheckIn.objects.get(task=paper_task).method == "paper"


def test_the_page_refuses_paper_for_an_enterprise_with_a_contact(client_for, task, bob, media_root):
    response = post_paper_checkin(client_for(bob), task)
    assert response.status_code == 400
    assert [str(m) for m in response.context["messages"]] == [WITH_CONTACT]
    assert nothing_written(task) and stored_files(media_root) == []


def test_the_page_shows_a_bad_scan_next_to_its_field_and_keeps_what_was_typed(client_for, paper_task, bob):
    response = post_paper_checkin(client_for(bob), paper_task, content=EXE)
    assert response.status_code == 400
    form = response.context["checkin_form"]
    assert form.errors == {"scan": ["签到单.pdf 不是 JPEG、PNG 照片或 PDF 文档（按文件内容检查，而非文件名）。"]}
    assert form["received_by"].value() == "周接待"
    assert nothing_written(paper_task)


@pytest.mark.parametrize(("who", "code"), [("dave", 403), ("carol", 404), ("mallory", 404), ("erin", 404)])
def test_the_page_refuses_other_roles(request, client_for, paper_task, who, code):
    assert post_paper_checkin(client_for(request.getfixturevalue(who)), paper_task).status_code == code
    assert nothing_written(paper_task)


def test_get_changes_nothing(client_for, paper_task, bob):
    assert client_for(bob).get(f"/inspections/{paper_task.pk}/checkin/").status_code == 405
    assert client_for(bob).get(f"/inspections/{paper_task.pk}/evaluation/paper/").status_code == 405
    assert nothing_written(paper_task)


@pytest.fixture
def paper_checked_in(paper_task, bob):
    services.checkin_record_manual(
        actor=bob, task=paper_task, at=timezone.now() - timedelta(hours=1), received_by="周接待", scan=scan()
    )
    return paper_task


@pytest.mark.parametrize("who", ["bob", "alice", "dave"])
def test_the_scan_is_served_to_the_bureau_staff_who_see_the_task(request, client_for, paper_checked_in, who):
    paper = PaperScan.objects.get()
    response = client_for(request.getfixturevalue(who)).get(f"/inspections/{paper_checked_in.pk}/scans/{paper.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.parametrize("who", ["carol", "mallory"])
def test_the_scan_is_404_to_others(request, client_for, paper_checked_in, who):
    paper = PaperScan.objects.get()
    response = client_for(request.getfixturevalue(who)).get(f"/inspections/{paper_checked_in.pk}/scans/{paper.pk}/")
    assert response.status_code == 404


def test_the_scan_is_never_public(client, paper_checked_in):
    paper = PaperScan.objects.get()
    url = f"/inspections/{paper_checked_in.pk}/scans/{paper.pk}/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/login/?next={url}"


def test_a_scan_is_reached_only_through_its_own_task(client_for, paper_checked_in, bureau, draw, bob, partner):
    other = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw)
    paper = PaperScan.objects.get()
    assert client_for(bob).get(f"/inspections/{other.pk}/scans/{paper.pk}/").status_code == 404


def test_the_paper_rating_through_the_page(client_for, paper_approved, alice):
    client = client_for(alice)
    page = client.get(f"/inspections/{paper_approved.pk}/")
    assert page.context["can_evaluate_paper"] is True
    data = {"rating": "4", "comment": "检查规范", "scan": scan(JPEG, "评价表.jpg")}
    response = client.post(f"/inspections/{paper_approved.pk}/evaluation/paper/", data)
    assert response.status_code == 302 and response["Location"] == f"/inspections/{paper_approved.pk}/#evaluation"
    page = client.get(response["Location"]).content.decode()
    paper = PaperScan.objects.get()
    assert '<span class="badge badge-special" id="evaluation-method">企业签字的纸质评价表（附扫描件）</span>' in page
    assert "由张组长根据企业签字的纸质评价表登记。" in page
    assert (
        f'href="/inspections/{paper_approved.pk}/scans/{paper.pk}/" id="evaluation-scan">签字评价表: 评价表.jpg' in page
    )
    listing = client.get("/inspections/evaluations/").content.decode()
    assert '<span class="badge badge-special">企业签字的纸质评价表（附扫描件）</span>' in listing


def test_the_paper_rating_page_refuses_a_contact_and_other_roles(client_for, approved, alice, bob):
    url = f"/inspections/{approved.task.pk}/evaluation/paper/"
    assert client_for(alice).get(f"/inspections/{approved.task.pk}/").context["can_evaluate_paper"] is False
    response = client_for(alice).post(url, {"rating": "5", "scan": scan()})
    assert response.status_code == 400
    assert [str(m) for m in response.context["messages"]] == [RATING_WITH_CONTACT]
    without_contact(approved.task)
    assert client_for(bob).post(url, {"rating": "5", "scan": scan()}).status_code == 403
    assert not Evaluation.objects.exists() and not PaperScan.objects.exists()
