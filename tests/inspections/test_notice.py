"""The inspection notice (行政检查通知书): a PDF with the team, the items and an embedded CJK font."""

import pytest

from core.models import AuditEntry
from inspections import views
from inspections.tokens import checkin_url, objection_url, read_objection_token
from tests.pdf import (
    assert_shipped_font_embedded,
    capture_html,
    pdf_without_system_fonts,
    pdffonts,
    pdfpages,
    pdftext,
    shipped_fonts,
)


def bare(text: str) -> str:
    """Without the scheme and the hyphens: pdftotext drops a hyphen on which a long URL was wrapped."""
    return text.replace("http://", "").replace("-", "")


@pytest.fixture
def notice(client_for, task, bob):
    response = client_for(bob).get(f"/inspections/{task.pk}/notice.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return response.content


def test_notice_embeds_the_shipped_cjk_font(notice, tmp_path):
    assert_shipped_font_embedded(notice, tmp_path)


def test_notice_needs_no_system_font(client_for, task, bob, monkeypatch, tmp_path):
    pages = capture_html(monkeypatch, views)
    assert client_for(bob).get(f"/inspections/{task.pk}/notice.pdf").status_code == 200
    pdf = pdf_without_system_fonts(pages[0], tmp_path)
    fonts = pdffonts(pdf, tmp_path)
    assert shipped_fonts(fonts) == fonts, f"a font other than the shipped one: {fonts}"
    assert_shipped_font_embedded(pdf, tmp_path)
    text = "".join(pdftext(pdf, tmp_path).split())
    for expected in (
        "行政检查通知书",
        task.bureau.name,
        task.enterprise.name,
        task.enterprise.uscc,
        bob.inspector.name,
    ):
        assert expected in text, expected


def test_notice_names_bureau_enterprise_team_items_and_legal_basis(notice, tmp_path, task, bob, partner):
    text = "".join(pdftext(notice, tmp_path).split())
    for expected in (
        "行政检查通知书",
        task.bureau.name,
        task.enterprise.name,
        task.enterprise.uscc,
        bob.inspector.name,
        bob.inspector.certificate_number,
        partner.certificate_number,
        "《中华人民共和国环境保护法》第二十四条",
        "县公安局",
    ):
        assert expected in text, expected
    for item in task.check_items.all():
        assert item.name in text and "".join(item.legal_basis.split()) in text
    assert bare(checkin_url(task)) in bare(text)


def test_notice_carries_the_objection_qr_code(notice, client_for, task, bob, monkeypatch, tmp_path):
    """Issue 16 item 5: a second QR code, for the enterprise's objection, with its link and its validity."""
    text = "".join(pdftext(notice, tmp_path).split())
    link = objection_url(task)
    assert bare(link) in bare(text)
    assert "扫码查看公示结果、提出异议" in text and "结果公示之日起三十个工作日内有效" in text
    assert read_objection_token(link.rstrip("/").rsplit("/", 1)[1]) == task.pk
    pages = capture_html(monkeypatch, views)
    assert client_for(bob).get(f"/inspections/{task.pk}/notice.pdf").status_code == 200
    assert pages[0].count("<svg") == 2  # the check-in code and the objection code


def test_notice_generation_is_audited(notice, task, bob):
    entry = AuditEntry.objects.get(action="inspections.notice_issued")
    assert (entry.actor, entry.object_id, entry.data) == (
        bob,
        str(task.pk),
        {"status": "assigned", "team_member": True},
    )


@pytest.mark.parametrize("who, code", [("dave", 403), ("carol", 404), ("grace", 404), ("mallory", 404)])
def test_notice_refused(request, client_for, task, who, code):
    assert client_for(request.getfixturevalue(who)).get(f"/inspections/{task.pk}/notice.pdf").status_code == code


def test_notice_is_one_page(notice, tmp_path):
    """The notice is handed over as one sheet: both QR codes fit on its single page (pdfinfo). The task has two
    inspectors, two check items and a joint unit; about 15 mm of the A4 page are left."""
    assert pdfpages(notice, tmp_path) == 1
