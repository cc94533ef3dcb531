"""Evidence files: the type is read from the content (magic bytes), never from the name or the browser.

Only JPEG, PNG and PDF are accepted, at most :data:`MAX_BYTES` each. A file is stored under
``MEDIA_ROOT/inspections/`` with a random name and the extension of its detected type, so a name
chosen by the uploader never reaches the file system.
"""

import hashlib
import uuid
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import actor_display
from core.errors import DomainError

from .enums import AttachmentKind

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES_PER_RESULT = 30
UPLOAD_DIR = "inspections"
ACCEPT = ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"

# (prefix, type): the signatures of the accepted formats.
SIGNATURES = (
    (b"\xff\xd8\xff", AttachmentKind.JPEG),
    (b"\x89PNG\r\n\x1a\n", AttachmentKind.PNG),
    (b"%PDF-", AttachmentKind.PDF),
)


class UploadRefused(DomainError):
    """A file that is not accepted as evidence (type or size)."""


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    size: int
    sha256: str
    original_name: str


def detect_type(head: bytes) -> str | None:
    for prefix, kind in SIGNATURES:
        if head.startswith(prefix):
            return kind
    return None


def _clean_name(name: str) -> str:
    """The uploader's file name for display only: no path, no control characters, at most 255 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or "file"


def check_upload(upload) -> CheckedFile:
    """Check an uploaded file's size and type; hash it. Raises :class:`UploadRefused`."""
    name = _clean_name(getattr(upload, "name", ""))
    size = upload.size
    if size > MAX_BYTES:
        raise UploadRefused(
            _("%(name)s is too large (%(size)s); at most %(max)s per file.")
            % {"name": name, "size": filesizeformat(size), "max": filesizeformat(MAX_BYTES)}
        )
    if size == 0:
        raise UploadRefused(_("%(name)s is empty.") % {"name": name})
    upload.seek(0)
    head = upload.read(16)
    kind = detect_type(head)
    if kind is None:
        raise UploadRefused(
            _("%(name)s is not a JPEG or PNG photo or a PDF document (its content was checked, not its name).")
            % {"name": name}
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(content_type=kind, size=size, sha256=digest.hexdigest(), original_name=name)


def store(upload, checked: CheckedFile) -> str:
    """Save the file under a random name; return its storage name."""
    name = f"{UPLOAD_DIR}/{uuid.uuid4().hex}.{AttachmentKind.extension(checked.content_type)}"
    upload.seek(0)
    return default_storage.save(name, upload)


def discard(name: str) -> None:
    """Delete a stored file whose database row was never committed."""
    default_storage.delete(name)


def file_fields(stored: str, checked: CheckedFile, actor) -> dict:
    """The columns every evidence file row shares (:class:`inspections.models.EvidenceFile`), as stored now."""
    return {
        "file": stored,
        "original_name": checked.original_name,
        "content_type": checked.content_type,
        "size": checked.size,
        "sha256": checked.sha256,
        "uploaded_by": actor,
        "uploaded_by_name": actor_display(actor),
        "uploaded_at": timezone.now(),
    }


def add_once(upload, *, existing, limit: int, too_many: str, create, checked: CheckedFile | None = None):
    """The one way an uploaded file joins a set of evidence files (a result's, a visit's, a transfer's).

    The file is checked by its content (:func:`check_upload`, unless ``checked`` is given); the same file
    (same SHA-256) already among ``existing`` (a queryset) is returned as ``(row, False)``; beyond ``limit``
    files it is refused with ``too_many``; otherwise it is stored and ``create(stored_name, checked)`` writes
    its row and audit entry in a savepoint, returning ``(row, True)``. A stored file whose row fails is
    deleted again (no orphan in the storage). Call it inside the transaction that locked the owner.
    """
    checked = checked or check_upload(upload)
    same = existing.filter(sha256=checked.sha256).first()
    if same is not None:
        return same, False
    if existing.count() >= limit:
        raise UploadRefused(too_many)
    stored = store(upload, checked)
    try:
        with transaction.atomic():
            return create(stored, checked), True
    except BaseException:
        discard(stored)
        raise
