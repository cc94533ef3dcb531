from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Follow-up")
    nav_items = [
        (_("Follow-up"), "followup:visits", (Role.INSPECTOR, Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)),
    ]
    todo = "followup.todo.items"  # the home page's to-do items (core.todo)

    def ready(self):
        # The inspections app below calls this in the transaction that approves a result.
        from inspections import hooks  # noqa: PLC0415 - apps are ready only now

        from .services import rectification_open  # noqa: PLC0415

        hooks.on_result_approved(rectification_open)
