from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspections")
    nav_items = [
        (_("My tasks"), "inspections:my-tasks", (Role.INSPECTOR,)),
        (_("Inspection tasks"), "inspections:task-list", (Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)),
        (_("Evaluations"), "inspections:evaluations", (Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)),
    ]
    todo = "inspections.todo.items"  # the home page's to-do items (core.todo)
