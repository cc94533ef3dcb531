from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role

LEADS_AUDITORS_ADMIN = [Role.TEAM_LEAD, Role.AUDITOR, Role.ADMIN]


class SamplingConfig(AppConfig):
    name = "sampling"
    verbose_name = _("Plans and draws")
    nav_items = [
        (_("Plans"), "sampling:plan-list", [*LEADS_AUDITORS_ADMIN, Role.REGISTRY_STAFF]),
        (_("Draws"), "sampling:draw-list", LEADS_AUDITORS_ADMIN),
        (_("Quota policy"), "sampling:policy", LEADS_AUDITORS_ADMIN),
    ]
    todo = "sampling.todo.items"  # the home page's to-do items (core.todo)
