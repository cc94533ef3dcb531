from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectorsConfig(AppConfig):
    name = "inspectors"
    verbose_name = _("Inspector registry")
    nav_items = [
        (_("Inspectors"), "inspectors:list", ()),
        (_("Experts"), "inspectors:expert-list", ()),
    ]
