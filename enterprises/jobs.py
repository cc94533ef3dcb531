"""Background jobs of the enterprise registry."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.jobs import job_handler, job_progress

from .models import EnterpriseImport
from .services import ERRORS_SHOWN, enterprise_import_run


@job_handler("enterprises.import")
def import_enterprises(job) -> dict:
    """Import a large uploaded spreadsheet. Safe to run twice: a finished import returns its stored result."""
    record = EnterpriseImport.objects.select_related("bureau", "uploaded_by").get(pk=job.params["import_id"])
    result = enterprise_import_run(record=record, progress=lambda percent, message: job_progress(job, percent, message))
    job_progress(job, 100, _("Imported.") if result.ok else _("Errors found: nothing was imported."))
    outcome = {"summary": result.summary(), "errors": result.errors[:ERRORS_SHOWN], "error_count": len(result.errors)}
    if result.ok:
        outcome.update(url=reverse("enterprises:list"), link_text=_("Open the enterprise registry"))
    else:
        outcome.update(url=reverse("enterprises:import"), link_text=_("Upload a corrected file"))
    return outcome
