"""The inspection notice (行政检查通知书): a PDF with the team, the items and an embedded CJK font."""

import os
import shutil
import subprocess

import pytest

from core.models import AuditEntry
from inspections.tokens import checkin_url


def pdffonts(data: bytes, tmp_path) -> list[tuple[str, bool]]:
    """(font name, embedded) for each font of a PDF, read by poppler's pdffonts."""
    if not shutil.which("pdffonts"):
        if os.environ.get("SSJ_REQUIRE_SERVICES"):
            pytest.fail("pdffonts (poppler-utils) is missing but SSJ_REQUIRE_SERVICES is set")
        pytest.skip("pdffonts is not installed (apt-get install poppler-utils)")
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    output = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = []
    for line in output.splitlines()[2:]:
        # name type… encoding emb sub uni object id: the flags are the 5th–3rd fields from the end.
        parts = line.split()
        fonts.append((parts[0], parts[-5] == "yes"))
    return fonts


def pdftext(data: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed")
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def notice(client_for, task, bob):
    response = client_for(bob).get(f"/inspections/{task.pk}/notice.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return response.content


def test_notice_embeds_a_cjk_font(notice, tmp_path):
    fonts = pdffonts(notice, tmp_path)
    cjk = [
        (name, embedded)
        for name, embedded in fonts
        if "NotoSansCJK" in name.replace("-", "") or "NotoSerifCJK" in name.replace("-", "")
    ]
    assert cjk, f"no Noto CJK font in {fonts}"
    assert all(embedded for _name, embedded in cjk), f"a CJK font is not embedded: {cjk}"


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
    assert checkin_url(task).replace("http://", "") in text.replace("http://", "")


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
