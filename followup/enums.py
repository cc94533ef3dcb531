from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RectificationStatus(models.TextChoices):
    """A rectification order (责令整改) and its follow-up visit (整改回访): open until the visit is recorded."""

    OPEN = "open", _("Awaiting the follow-up visit")
    RECTIFIED = "rectified", "已整改"
    NOT_RECTIFIED = "not_rectified", "未整改"

    @classmethod
    def visited(cls):
        return [cls.RECTIFIED, cls.NOT_RECTIFIED]


class VisitState(models.TextChoices):
    """How an open follow-up visit stands against its deadline on a given day."""

    LATER = "later", _("Due later")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class CaseStatus(models.TextChoices):
    """A case (立案): opened (from a result or a visit that found no rectification) → filed → decided → closed.

    A filed case may close without a decision (no violation confirmed, or no penalty).
    """

    OPENED = "opened", _("To be filed")
    FILED = "filed", pgettext_lazy("case status", "Filed")
    DECIDED = "decided", _("Penalty decided")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")


class CaseOrigin(models.TextChoices):
    RESULT = "result", _("From the inspection result")
    VISIT = "visit", _("Not rectified at the follow-up visit")


class Conclusion(models.TextChoices):
    """What the investigation (own case or the other department's) concluded."""

    VIOLATION = "violation", _("Violation confirmed")
    NO_VIOLATION = "no_violation", _("No violation found")


class PenaltyCategory(models.TextChoices):
    """处罚类别 of the 信用中国 administrative penalty publicity (行政处罚法 第九条), shown in Chinese in every
    language."""

    WARNING = "warning", "警告"
    FINE = "fine", "罚款"
    CONFISCATION = "confiscation", "没收违法所得、没收非法财物"
    SUSPENSION = "suspension", "责令停产停业"
    LICENCE = "licence", "暂扣或者吊销许可证、暂扣或者吊销执照"
    OTHER = "other", "其他"


class TransferStatus(models.TextChoices):
    """A case transferred (移交) to the department that holds the power: sent → received → closed."""

    SENT = "sent", _("Sent")
    RECEIVED = "received", _("Received")
    CLOSED = "closed", _("Concluded")


class FileOwner(models.TextChoices):
    VISIT = "visit", _("Evidence of the follow-up visit")
    TRANSFER = "transfer", _("Transfer document")


def rectification_label(status: str | None) -> str:
    """整改情况 as the public row shows it: once the visit is recorded (已整改 / 未整改), else nothing."""
    return RectificationStatus(status).label if status in RectificationStatus.visited() else ""
