"""Background jobs of the inspector registry (autodiscovered by core)."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.excel import SpreadsheetError, read_sheet
from core.jobs import job_handler, job_progress

from .services import ImportRejected, inspectors_import


@job_handler("inspectors.import")
def import_inspectors(job) -> dict:
    """Import a large uploaded sheet. Safe to run twice: a second run finds nothing left to change."""
    path = job.params["path"]
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        if not default_storage.exists(path):
            return {"summary": _("The uploaded file is no longer here (it was processed already); see the list.")}
        with default_storage.open(path, "rb") as handle:
            data = handle.read()
        job_progress(job, 5, _("Reading the file"))
        try:
            sheet = read_sheet(data, max_bytes=settings.IMPORT_MAX_BYTES)
            result = inspectors_import(
                actor=job.created_by,
                bureau=job.bureau,
                sheet=sheet,
                filename=job.params.get("filename", ""),
                progress=lambda percent, message: job_progress(job, percent, message),
            )
        except SpreadsheetError as exc:
            outcome = {"summary": str(exc)}
        except ImportRejected as exc:
            outcome = {"summary": str(exc), "errors": exc.errors}
        else:
            outcome = {
                "summary": result.summary,
                "url": reverse("inspectors:list"),
                "link_text": _("Open the inspector list"),
            }
        default_storage.delete(path)
        return outcome
