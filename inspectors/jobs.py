"""Background jobs of the inspector registry (autodiscovered by core)."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.jobs import job_handler, job_progress

from .models import InspectorImport
from .services import inspector_import_run


@job_handler("inspectors.import")
def import_inspectors(job) -> dict:
    """Import a large uploaded sheet. Safe to run twice: a finished import returns its stored result."""
    record = InspectorImport.objects.select_related("bureau", "uploaded_by").get(pk=job.params["import_id"])
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        job_progress(job, 5, _("Reading the file"))
        result = inspector_import_run(
            record=record, progress=lambda percent, message: job_progress(job, percent, message)
        )
        if not result.ok:
            return {"summary": result.summary, "errors": result.errors}
        return {"summary": result.summary, "url": reverse("inspectors:list"), "link_text": _("Open the inspector list")}
