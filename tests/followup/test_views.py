"""The follow-up pages: the visits list and the to-do from 5 working days before the deadline, a task's
follow-up with its forms (confirmation, errors next to their fields, refusals), the settings, the public row."""

import re
from datetime import date

import pytest

from core.models import AuditEntry
from followup import services
from followup.enums import CaseStatus, RectificationStatus
from followup.models import BureauPolicy, Case, FollowUpFile, Rectification, Transfer
from inspections.models import Publication

from .conftest import at, inspect

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def visit_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="visit-(\d+)">', html)


# --- the list and the to-do -------------------------------------------------------------------------------


def test_inspector_sees_the_visit_from_5_working_days_before(ordered, bob, hank, client_for):
    r = Rectification.objects.get(task=ordered)
    with at(date(2026, 10, 21)):
        assert visit_rows(client_for(bob).get("/followup/").content.decode()) == []
        assert "即将到期的整改回访" not in client_for(bob).get("/").content.decode()
    with at(date(2026, 10, 22)):
        html = client_for(bob).get("/followup/").content.decode()
        assert visit_rows(html) == [str(r.pk)]
        assert "即将到期" in html and "2026-10-29" in html
        home = client_for(bob).get("/").content.decode()
        assert re.search(r"即将到期的整改回访</a> <span class=\"badge\">1</span>", home)
        assert visit_rows(client_for(hank).get("/followup/").content.decode()) == []  # not on the team
    with at(date(2026, 10, 30)):
        html = client_for(bob).get("/followup/").content.decode()
        assert "已逾期" in html
        home = client_for(bob).get("/").content.decode()
        assert re.search(r"已逾期的整改回访</a> <span class=\"badge badge-bad\">1</span>", home)


def test_leads_see_every_open_visit_query_count(
    bureau, draw, bob, partner, frank, alice, client_for, django_assert_num_queries, django_assert_max_num_queries
):
    inspect(bureau, [bob.inspector, partner], draw, outcome="rectification_ordered", approver=frank)
    client = client_for(alice)
    client.get("/followup/")
    with django_assert_max_num_queries(50) as one:
        response = client.get("/followup/")
    assert len(visit_rows(response.content.decode())) == 1
    for _n in range(2):
        inspect(bureau, [bob.inspector, partner], draw, outcome="info_not_disclosed", approver=frank)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/followup/")
    assert len(visit_rows(response.content.decode())) == 3


def test_registry_staff_may_not_see_the_list(carol, client_for):
    assert client_for(carol).get("/followup/").status_code == 403


# --- a task's follow-up -----------------------------------------------------------------------------------


def test_task_page_other_bureau_and_unrelated_inspector_404(ordered, mallory, hank, client_for):
    assert client_for(mallory).get(f"/followup/task/{ordered.pk}/").status_code == 404
    assert client_for(hank).get(f"/followup/task/{ordered.pk}/").status_code == 404


def test_visit_through_the_page_with_evidence_and_confirmation(ordered, bob, client_for):
    client = client_for(bob)
    url = f"/followup/task/{ordered.pk}/"
    with at(date(2026, 10, 27)):
        page = client.get(url).content.decode()
        assert 'id="visit-form"' in page and "2026-10-29" in page
        upload = client.post(url + "visit/files/", {"files": [_png("整改照片.png")]})
        assert upload.status_code == 302
        assert list(FollowUpFile.objects.values_list("original_name", "owner")) == [("整改照片.png", "visit")]
        bad = client.post(url + "visit/files/", {"files": [_file("x.png", b"GIF89a" + b"\x00" * 10)]})
        assert bad.status_code == 400
        data = {"rectified": "no", "visited_on": "2026-09-01", "findings": "设施仍未运行"}
        response = client.post(url + "visit/", {**data, "confirm": "1"})
        assert response.status_code == 400
        html = response.content.decode()
        assert "日期不能早于检查日期（2026-09-25）。" in html and "设施仍未运行" in html
        data["visited_on"] = "2026-10-27"
        asked = client.post(url + "visit/", data)
        assert asked.status_code == 200 and 'name="confirm"' in asked.content.decode()
        assert Rectification.objects.get(task=ordered).status == RectificationStatus.OPEN
        done = client.post(url + "visit/", {**data, "confirm": "1"})
        assert done.status_code == 302
    r = Rectification.objects.get(task=ordered)
    assert (r.status, r.visited_on) == ("not_rectified", date(2026, 10, 27))
    assert Case.objects.get(task=ordered).status == CaseStatus.OPENED


def test_get_changes_nothing_and_auditor_refused(ordered, dave, alice, client_for):
    url = f"/followup/task/{ordered.pk}/"
    for action in ("visit/", "case/open/", "case/file/", "transfer/", "visit/files/"):
        assert client_for(alice).get(url + action).status_code == 405
    response = client_for(dave).get(url)  # the auditor reads the order and its deadline, without the forms
    html = response.content.decode()
    deadline = Rectification.objects.get(task=ordered).deadline.isoformat()
    assert response.status_code == 200 and ordered.enterprise.name in html and deadline in html
    assert 'id="visit-form"' not in html and 'id="visit-files-form"' not in html
    with at(date(2026, 10, 27)):
        for action in ("visit/", "case/open/", "transfer/"):
            assert client_for(dave).post(url + action, {"confirm": "1"}).status_code == 403
    assert not Case.objects.exists() and not Transfer.objects.exists()


def test_transfer_to_the_bureau_itself_named_on_the_form(ordered, alice, client_for):
    with at(date(2026, 10, 27)):
        response = client_for(alice).post(
            f"/followup/task/{ordered.pk}/transfer/",
            {"department": "许昌市生态环境局建安分局", "transferred_on": "2026-10-27", "confirm": "1"},
        )
    assert response.status_code == 400
    html = response.content.decode()
    assert "只能移交其他部门，不能移交本局。" in html
    assert 'value="许昌市生态环境局建安分局"' in html
    assert not Transfer.objects.exists()


def test_case_penalty_below_zero_named_on_the_form(ordered, alice, client_for):
    url = f"/followup/task/{ordered.pk}/"
    client = client_for(alice)
    with at(date(2026, 11, 20)):
        assert client.post(url + "case/open/", {"confirm": "1"}).status_code == 302
        filed = client.post(
            url + "case/file/",
            {
                "case_number": "建环罚立〔2026〕9号",
                "filed_on": "2026-11-02",
                "legal_basis": "大气法第一百零八条",
                "confirm": "1",
            },
        )
        assert filed.status_code == 302
        response = client.post(
            url + "case/decide/",
            {
                "decision_number": "建环罚〔2026〕9号",
                "decided_on": "2026-11-20",
                "penalty_category": "fine",
                "penalty_content": "罚款",
                "fine": "-5",
                "confirm": "1",
            },
        )
    assert response.status_code == 400
    assert "金额不能小于零。" in response.content.decode()
    assert Case.objects.get(task=ordered).status == CaseStatus.FILED


# --- settings and the public row -----------------------------------------------------------------------


def test_settings_admin_only(bureau, erin, alice, client_for):
    assert client_for(alice).get("/followup/settings/").status_code == 403
    client = client_for(erin)
    assert 'value="20"' in client.get("/followup/settings/").content.decode()
    response = client.post("/followup/settings/", {"rectification_working_days": "0", "authority_uscc": ""})
    assert response.status_code == 400
    assert (
        client.post("/followup/settings/", {"rectification_working_days": "15", "authority_uscc": ""}).status_code
        == 302
    )
    assert BureauPolicy.objects.get(bureau=bureau).rectification_working_days == 15
    assert AuditEntry.objects.filter(action="followup.policy_updated").count() == 1


def test_public_row_shows_rectification_once_visited(pending, bob, client, django_capture_on_commit_callbacks):
    publication = Publication.objects.get(task=pending)
    assert "整改情况" not in client.get("/public/results/").content.decode()
    r = Rectification.objects.get(task=pending)
    with at(date(2026, 10, 27)), django_capture_on_commit_callbacks(execute=True):
        services.visit_record(
            actor=bob, rectification=r, rectified=False, visited_on=date(2026, 10, 27), findings="未整改"
        )
    assert "整改情况：未整改" in client.get("/public/results/").content.decode()
    detail = client.get(f"/public/results/{publication.pk}/").content.decode()
    assert re.search(r'<dd id="rectification">未整改</dd>', detail)
    assert "整改情况：未整改" in client.get(f"/public/enterprises/{publication.uscc}/").content.decode()


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def _png(name):
    return _file(name, PNG)


pytestmark = pytest.mark.django_db
