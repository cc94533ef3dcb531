import hashlib
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry
from inspections import services, uploads
from inspections.models import Attachment

from .factories import exactly

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def upload(name, data, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    "head, kind",
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (PDF, "application/pdf"), (EXE, None), (b"GIF89a", None), (b"", None)],
)
def test_detect_type_reads_magic_bytes(head, kind):
    assert uploads.detect_type(head[:16]) == kind


def test_attachment_add_stores_under_a_random_name_with_the_detected_type(recorded, bob, media_root):
    attachment, created = services.attachment_add(actor=bob, result=recorded, upload=upload("现场照片.png", PNG))
    assert created is True
    assert re.fullmatch(r"inspections/[0-9a-f]{32}\.png", attachment.file.name)
    stored = media_root / attachment.file.name
    assert stored.read_bytes() == PNG
    assert (attachment.original_name, attachment.content_type, attachment.size, attachment.sha256) == (
        "现场照片.png",
        "image/png",
        len(PNG),
        hashlib.sha256(PNG).hexdigest(),
    )
    entry = AuditEntry.objects.get(action="inspections.attachment_added")
    assert entry.actor == bob
    assert entry.data == {
        "attachment": attachment.pk,
        "name": "现场照片.png",
        "type": "image/png",
        "size": len(PNG),
        "sha256": hashlib.sha256(PNG).hexdigest(),
    }


def test_a_pdf_named_png_is_stored_as_a_pdf(recorded, bob):
    attachment, _ = services.attachment_add(actor=bob, result=recorded, upload=upload("photo.png", PDF))
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name.endswith(".pdf")


def test_an_exe_renamed_jpg_is_refused(recorded, bob, media_root):
    with pytest.raises(
        uploads.UploadRefused, match=exactly("photo.jpg 不是 JPEG、PNG 照片或 PDF 文档（按文件内容检查，而非文件名）。")
    ):
        services.attachment_add(actor=bob, result=recorded, upload=upload("photo.jpg", EXE))
    assert not Attachment.objects.exists()
    assert not (media_root / "inspections").exists()
    assert not AuditEntry.objects.filter(action="inspections.attachment_added").exists()


def test_a_file_over_10_mb_is_refused(recorded, bob, media_root):
    big = JPEG + b"\x00" * (11 * 1024 * 1024)
    with pytest.raises(uploads.UploadRefused, match=exactly("big.jpg 过大（11.0\xa0MB），每个文件不超过 10.0\xa0MB。")):
        services.attachment_add(actor=bob, result=recorded, upload=upload("big.jpg", big))
    assert not Attachment.objects.exists()
    assert not (media_root / "inspections").exists()


def test_exactly_10_mb_is_accepted(recorded, bob):
    data = JPEG + b"\x00" * (uploads.MAX_BYTES - len(JPEG))
    attachment, _ = services.attachment_add(actor=bob, result=recorded, upload=upload("ten.jpg", data))
    assert attachment.size == 10 * 1024 * 1024


def test_an_empty_file_is_refused(recorded, bob):
    with pytest.raises(uploads.UploadRefused, match=exactly("empty.jpg 是空文件。")):
        services.attachment_add(actor=bob, result=recorded, upload=upload("empty.jpg", b""))


def test_a_path_in_the_file_name_is_dropped(recorded, bob):
    attachment, _ = services.attachment_add(actor=bob, result=recorded, upload=upload("../../etc/passwd.jpg", JPEG))
    assert attachment.original_name == "passwd.jpg"
    assert attachment.file.name.startswith("inspections/")


def test_the_same_file_twice_is_stored_once(recorded, bob):
    first, created = services.attachment_add(actor=bob, result=recorded, upload=upload("a.jpg", JPEG))
    second, created_again = services.attachment_add(actor=bob, result=recorded, upload=upload("b.jpg", JPEG))
    assert (created, created_again, second.pk) == (True, False, first.pk)
    assert Attachment.objects.count() == 1
    assert AuditEntry.objects.filter(action="inspections.attachment_added").count() == 1


@pytest.mark.parametrize("who", ["alice", "frank", "dave", "carol", "mallory"])
def test_attachment_add_refused_to_non_members(request, recorded, who):
    with pytest.raises(PermissionDenied):
        services.attachment_add(actor=request.getfixturevalue(who), result=recorded, upload=upload("a.jpg", JPEG))
    assert not Attachment.objects.exists()


def test_attachment_add_refused_after_approval(approved, bob):
    with pytest.raises(services.DomainError, match=exactly("检查结果已审核通过，附件不能再变更。")):
        services.attachment_add(actor=bob, result=approved, upload=upload("a.jpg", JPEG))
    assert not Attachment.objects.exists()


def test_attachment_remove_hides_it_and_keeps_the_file(recorded, bob, media_root):
    attachment, _ = services.attachment_add(actor=bob, result=recorded, upload=upload("a.jpg", JPEG))
    removed = services.attachment_remove(actor=bob, attachment=attachment)
    assert removed.removed_by == bob and removed.removed_at is not None
    assert (media_root / attachment.file.name).exists()
    assert not Attachment.objects.current().exists()
    services.attachment_remove(actor=bob, attachment=attachment)
    entries = AuditEntry.objects.filter(action="inspections.attachment_removed")
    assert [e.data for e in entries] == [
        {"attachment": attachment.pk, "name": "a.jpg", "sha256": hashlib.sha256(JPEG).hexdigest()}
    ]


def test_attachment_remove_refused_after_approval_and_to_non_members(recorded, bob, frank, dave):
    attachment, _ = services.attachment_add(actor=bob, result=recorded, upload=upload("a.jpg", JPEG))
    with pytest.raises(PermissionDenied):
        services.attachment_remove(actor=dave, attachment=attachment)
    services.result_approve(actor=frank, result=recorded)
    with pytest.raises(services.DomainError, match=exactly("检查结果已审核通过，附件不能再变更。")):
        services.attachment_remove(actor=bob, attachment=attachment)
    assert Attachment.objects.current().count() == 1


def test_a_file_stored_by_a_failed_transaction_is_deleted(recorded, bob, media_root, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(services, "audit_log", fail)
    with pytest.raises(RuntimeError):
        services.attachment_add(actor=bob, result=recorded, upload=upload("现场照片.png", PNG))
    assert not Attachment.objects.exists()
    assert [path for path in media_root.rglob("*") if path.is_file()] == []
