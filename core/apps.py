from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from .enums import Role


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Bureaus, audit trail and calendar")
    # Navigation entries this app contributes: (label, url name, roles that see it; empty = every staff user).
    nav_items = [
        (_("Audit trail"), "core:audit-list", (Role.AUDITOR, Role.ADMIN)),
        (_("Working-day calendar"), "core:calendar", ()),
    ]

    def ready(self):
        from django.utils.module_loading import autodiscover_modules  # noqa: PLC0415 - app registry must be ready

        autodiscover_modules("jobs")
