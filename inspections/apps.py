from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspections")
    nav_items = [
        (_("My tasks"), "inspections:my-tasks", (Role.INSPECTOR,), "own"),
        (_("Inspection tasks"), "inspections:task-list", (Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)),
        (_("Evaluations"), "inspections:evaluations", (Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)),
        (_("Off-site checks"), "inspections:offsite", (Role.TEAM_LEAD, Role.INSPECTOR, Role.ADMIN, Role.AUDITOR)),
        (_("Objections"), "inspections:objections", (Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)),
    ]
    todo = "inspections.todo.items"  # the home page's to-do items (core.todo)

    def ready(self):
        # Sampling sits below this app and reaches its tasks only through what is registered here.
        from sampling import tasks  # noqa: PLC0415 - apps are ready only now

        from .assignment import tasks_create_for_draw  # noqa: PLC0415
        from .models import InspectionTask, TaskMember  # noqa: PLC0415

        tasks.register(
            tasks.TaskLedger(task_model=InspectionTask, member_model=TaskMember, create_for_draw=tasks_create_for_draw)
        )
