from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "enterprises"
    verbose_name = _("Enterprise registry")
    nav_items = [
        (_("Enterprises"), "enterprises:list", ()),
        (_("Checklist"), "enterprises:checklist", ()),
    ]
