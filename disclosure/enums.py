from django.db import models
from django.utils.translation import gettext_lazy as _


class DeadlineState(models.TextChoices):
    """How a result stands against its publication deadline on a given day."""

    OPEN = "open", _("Due later")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class ExemptionSource(models.TextChoices):
    """Where the decision not to publish a result was taken."""

    RESULT_APPROVAL = "result_approval", _("Marked confidential when the result was approved")
    PUBLICATION = "publication", _("Exempted by a team lead at publication")


class DrawType(models.TextChoices):
    """抽查类型 of the national credit-publicity columns: a targeted draw filters by tags (DESIGN §3 rule 2).

    The labels are the names the national system uses; like the outcome categories they are shown in
    Chinese in every language.
    """

    UNTARGETED = "untargeted", "不定向抽查"
    TARGETED = "targeted", "定向抽查"
