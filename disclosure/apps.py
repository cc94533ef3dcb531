from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role


class DisclosureConfig(AppConfig):
    name = "disclosure"
    verbose_name = _("Publication")
    # The dashboard: team leads (who publish), auditors and administrators; the reports: every staff role.
    nav_items = [
        (_("Publication"), "disclosure:dashboard", (Role.TEAM_LEAD, Role.AUDITOR, Role.ADMIN)),
        (_("Reports"), "disclosure:reports", tuple(Role.staff_roles())),
    ]
    todo = "disclosure.todo.items"  # the home page's to-do items (core.todo)

    def ready(self):
        from core.public_cache import on_public_change  # noqa: PLC0415

        from .opendata import build_soon  # noqa: PLC0415

        on_public_change(build_soon)
