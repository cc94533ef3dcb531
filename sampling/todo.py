"""The home page's to-do items of plans and draws (see ``core.todo``)."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from core.enums import Role
from core.todo import Todo

from .enums import DrawStatus
from .models import Draw


def items(request) -> list[Todo]:
    if Role.TEAM_LEAD not in request.roles:
        return []
    user = request.user
    waiting = (
        Draw.objects.filter(bureau=request.bureau, status=DrawStatus.DRAWN)
        .exclude(Q(created_by=user) | Q(executed_by=user))  # a second team lead approves
        .count()
    )
    return [Todo(_("Draws awaiting your approval"), waiting, reverse("sampling:draw-list"))]
