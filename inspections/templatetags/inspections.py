"""Template helpers other apps' pages use to show inspections."""

from django import template
from django.utils.translation import pgettext

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


@register.filter
def team_role(role: str) -> str:
    """A team member's role in the words of the inspection notice (组长, 组员, 专家), on every page."""
    return {
        "lead": pgettext("team role", "Team leader"),
        "member": pgettext("team role", "Team member"),
        "expert": pgettext("team role", "Expert"),
    }.get(role, role)
