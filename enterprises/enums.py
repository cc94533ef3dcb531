from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Tier(models.TextChoices):
    GENERAL = "general", _("General")
    KEY = "key", _("Key")
    SPECIAL = "special", _("Special")


class EnterpriseStatus(models.TextChoices):
    OPERATING = "operating", _("Operating")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", pgettext_lazy("enterprise status", "Closed")
    RELOCATED = "relocated", _("Relocated")

    @classmethod
    def drawable(cls):
        """Statuses whose enterprises may be drawn for an on-site inspection."""
        return [cls.OPERATING]


class PermitCategory(models.TextChoices):
    KEY = "key", _("Key management (重点管理)")
    SIMPLIFIED = "simplified", _("Simplified management (简化管理)")
    REGISTRATION = "registration", _("Registration (登记管理)")
    NONE = "none", _("No permit")


class ConstructionStatus(models.TextChoices):
    IN_PRODUCTION = "in_production", _("In production")
    UNDER_CONSTRUCTION = "under_construction", _("Under construction")
    TRIAL = "trial", _("Trial production")
    COMPLETED = "completed", _("Completed, acceptance pending")


class Scale(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class ProductionCycle(models.TextChoices):
    CONTINUOUS = "continuous", _("Continuous")
    SEASONAL = "seasonal", _("Seasonal")
    INTERMITTENT = "intermittent", _("Intermittent")


class MonitoringType(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic monitoring")
    MANUAL = "manual", _("Manual monitoring")
    NONE = "none", _("None")


class PerformanceGrade(models.TextChoices):
    LEADING = "leading", _("Leading (引领性)")
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"
    NONE = "none", _("Not graded")


class CreditRating(models.TextChoices):
    EXCELLENT = "excellent", _("Environmentally trustworthy (环保诚信)")
    GOOD = "good", _("Good (良好)")
    WARNING = "warning", _("Warning (警示)")
    BAD = "bad", _("Untrustworthy (不良)")
    NONE = "none", _("Not rated")


class RecordKind(models.TextChoices):
    VIOLATION = "violation", _("Violation")
    COMPLAINT = "complaint", _("Complaint")
    PENALTY = "penalty", _("Administrative penalty")


POLLUTION_TYPES = [
    ("water", _("Water")),
    ("air", _("Air")),
    ("noise", _("Noise")),
    ("solid", _("Solid waste")),
]
