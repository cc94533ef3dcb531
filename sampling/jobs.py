"""Background jobs of sampling: the e-mail telling the other team leads that a draw waits for their approval."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from core.enums import NotificationKind
from core.jobs import job_handler
from core.notify import notification_send, team_leads

from .enums import DrawStatus
from .models import Draw


@job_handler("sampling.notify_draw_approval")
def notify_draw_approval(job) -> dict:
    """Tell each team lead of the bureau who did not run the draw that it waits for a second lead's approval.

    Once per (draw, lead); nothing once the draw is no longer awaiting approval. Safe to run twice.
    """
    draw = Draw.objects.select_related("bureau", "task__plan__bureau").get(pk=job.params["draw_id"])
    if draw.status != DrawStatus.DRAWN:
        return {"summary": "", "sent": 0}
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {"draw": draw, "url": settings.SITE_URL + reverse("sampling:draw-detail", args=[draw.pk])}
        subject = render_to_string("sampling/email/draw_approval_subject.txt", context)
        body = render_to_string("sampling/email/draw_approval.txt", context)
    for lead in team_leads(draw.bureau_id, exclude=draw.runners()):
        sent += notification_send(
            kind=NotificationKind.DRAW_APPROVAL, event=f"draw-approval:{draw.pk}", user=lead, subject=subject, body=body
        )
    return {"sent": sent}
