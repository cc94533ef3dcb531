"""The one design of the registry spreadsheet imports (enterprises, inspectors).

An app's ``<registry>_import_start(*, actor, bureau, upload)`` checks the upload's size, reads the sheet
once (:func:`upload_read`), and either imports it at once (small files) or keeps the read sheet in the
database with a background job (:func:`upload_submit`); the job's handler runs the import from the kept
sheet, records its result on the upload in the import's transaction (:func:`upload_finish`, which makes
it safe to run twice) and clears the sheet. Row errors are returned in the import's result as
``{"row", "column", "message"}``; a file that cannot be read raises ``DomainError``.
"""

import hashlib
import json
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import DomainError
from .excel import Sheet, SpreadsheetError, read_sheet
from .jobs import job_submit
from .models import ImportUpload, Job


@dataclass
class ImportStart:
    """What an import start service did: imported at once (``result``) or handed to a job (``job``)."""

    result: object = None
    job: Job | None = None


def upload_read(upload) -> tuple[bytes, Sheet]:
    """The bytes of an uploaded file and its sheet, read once; DomainError if too large or unreadable.

    The size is checked before the file is read into memory.
    """
    max_bytes = settings.IMPORT_MAX_BYTES
    if upload.size > max_bytes:
        raise DomainError(
            _("The file is too large (%(size)s MB; at most %(max)s MB).")
            % {"size": round(upload.size / 1048576, 1), "max": round(max_bytes / 1048576, 1)}
        )
    data = upload.read()
    try:
        return data, read_sheet(data, max_bytes=max_bytes)
    except SpreadsheetError as exc:
        raise DomainError(str(exc)) from exc


def sheet_pack(sheet: Sheet) -> bytes:
    """A read sheet as kept in the database (compressed JSON of its text cells)."""
    return zlib.compress(json.dumps([sheet.header, sheet.rows], ensure_ascii=False).encode("utf-8"))


def sheet_unpack(data: bytes) -> Sheet:
    header, rows = json.loads(zlib.decompress(bytes(data)).decode("utf-8"))
    return Sheet(header=header, rows=rows)


def upload_submit(
    model: type[ImportUpload],
    *,
    kind: str,
    actor,
    bureau,
    data: bytes,
    filename: str,
    sheet: Sheet,
    rows: int,
    params=None,
) -> Job:
    """Keep a read sheet as an upload of ``model`` and submit the job ``kind`` to import it, in one transaction."""
    with transaction.atomic():
        upload = model.objects.create(
            bureau=bureau,
            filename=filename[:255],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            sheet=sheet_pack(sheet),
            rows=rows,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        return job_submit(kind=kind, params={"import_id": upload.pk, **(params or {})}, bureau=bureau, actor=actor)


def upload_finished(upload: ImportUpload) -> bool:
    """Has the upload's import run? Inside the import's transaction: locks the upload until it commits."""
    return type(upload).objects.select_for_update().filter(pk=upload.pk, finished_at__isnull=False).exists()


def upload_finish(upload: ImportUpload | None, result: dict) -> None:
    """Record the import's result on its upload (once) and clear the kept sheet."""
    if upload is None:
        return
    type(upload).objects.filter(pk=upload.pk, finished_at__isnull=True).update(
        finished_at=timezone.now(), result=result, sheet=b""
    )


def upload_result(upload: ImportUpload) -> dict:
    """The result recorded on a finished upload."""
    upload.refresh_from_db(fields=["result"])
    return upload.result or {}
