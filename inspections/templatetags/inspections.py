"""Template helpers other apps' pages use to show inspections."""

from django import template

from inspections.enums import InspectionTaskStatus
from inspections.models import InspectionTask

register = template.Library()
PAST_LIMIT = 20


@register.simple_tag
def past_inspections(enterprise, limit=PAST_LIMIT):
    """The enterprise's inspections that have taken place (never the confidential ones still to come),
    newest first, with their results: one query.
    """
    return list(
        InspectionTask.objects.filter(enterprise=enterprise)
        .exclude(status__in=[*InspectionTaskStatus.before_inspection(), InspectionTaskStatus.CANCELLED])
        .select_related("result")
        .order_by("-planned_start", "-id")[:limit]
    )
