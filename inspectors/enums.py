from django.db import models
from django.utils.translation import gettext_lazy as _


class InspectorKind(models.TextChoices):
    ENFORCEMENT = "enforcement", _("Enforcement officer")
    SUPERVISION = "supervision", _("Daily-supervision staff")


class ExpertKind(models.TextChoices):
    MONITORING_STATION = "monitoring", _("Monitoring station")
    INSTITUTE = "institute", _("Research institute")
    SPECIALIST = "specialist", _("Specialist")
    COMMISSIONED = "commissioned", _("Commissioned organisation")


class CertificateStatus(models.TextChoices):
    """An enforcement certificate's state on a given day (computed, never stored)."""

    VALID = "valid", _("Valid")
    EXPIRING = "expiring", _("Expires within 90 days")
    EXPIRED = "expired", _("Expired")
    NOT_YET_VALID = "pending", _("Not yet valid")
    NONE = "none", _("No certificate")

    @classmethod
    def usable_states(cls):
        """States in which the inspector may act as an enforcement officer today."""
        return [cls.VALID, cls.EXPIRING]


# A certificate ending within this many days counts as "expiring".
EXPIRING_WITHIN_DAYS = 90
