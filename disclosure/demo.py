"""Demo data for the publication: publish some approved results of a bureau and leave the others due.

Called by the demo app after it has created inspection tasks with approved results; does nothing when
there are none (or when the bureau has no team lead to publish as).
"""

from django.contrib.auth import get_user_model

from core.enums import Role
from inspections.enums import InspectionTaskStatus
from inspections.models import InspectionTask
from inspections.publication import publication_publish_batch


def seed_demo_publications(bureau, *, share: float = 0.5) -> int:
    """Publish the older ``share`` of the bureau's approved, unpublished results. Returns how many."""
    tasks = list(
        InspectionTask.objects.filter(bureau=bureau, status=InspectionTaskStatus.RESULT_APPROVED)
        .select_related("result")
        .order_by("result__inspected_on", "number")
    )
    lead = (
        get_user_model()
        .objects.filter(memberships__bureau=bureau, memberships__role=Role.TEAM_LEAD, is_active=True)
        .order_by("pk")
        .first()
    )
    if not tasks or lead is None:
        return 0
    chosen = tasks[: int(len(tasks) * share)]
    if not chosen:
        return 0
    publication_publish_batch(actor=lead, tasks=chosen)
    return len(chosen)
