from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprises.enums import EnterpriseStatus


class Outcome(models.TextChoices):
    """The fixed outcome categories of an inspection (DESIGN §3 rule 9; seeds 002 and 000), in their order.

    The labels are the legal category names: they are shown (and published) in Chinese in every language.
    """

    NO_PROBLEM = "no_problem", "未发现问题"
    INFO_NOT_DISCLOSED = "info_not_disclosed", "未按规定公示应当公示的信息"
    CORRECTED = "corrected", "发现问题已责令改正"
    UNCOOPERATIVE = "uncooperative", "不配合检查情节严重"
    PENDING_FOLLOW_UP = "pending_follow_up", "发现问题待后续处理"
    RECTIFICATION_ORDERED = "rectification_ordered", "发现问题已责令整改"
    CASE_FILED = "case_filed", "发现违法行为已立案调查"

    @classmethod
    def problems_found(cls):
        """Every outcome but 未发现问题."""
        return [o for o in cls.values if o != cls.NO_PROBLEM]

    @classmethod
    def violations_found(cls):
        """Outcomes that report a breach found among the checked items: at least one item is non-compliant."""
        return [cls.CORRECTED, cls.PENDING_FOLLOW_UP, cls.RECTIFICATION_ORDERED, cls.CASE_FILED]

    @classmethod
    def awaiting_follow_up(cls):
        """Outcomes that a later investigation may change (002 (五))."""
        return [cls.PENDING_FOLLOW_UP]


class FollowUp(models.TextChoices):
    """Where the follow-up of a 发现问题待后续处理 result stands."""

    NONE = "", _("No follow-up")
    OPEN = "open", _("Follow-up open")
    NO_VIOLATION = "no_violation", _("No violation confirmed")
    CASE_FILED = "case_filed", _("Case filed")

    @classmethod
    def closed_states(cls):
        return [cls.NO_VIOLATION, cls.CASE_FILED]


class OutcomeChangeKind(models.TextChoices):
    CHANGED = "changed", _("Changed to 未发现问题 (no violation confirmed)")
    CONFIRMED = "confirmed", _("Kept (case filed)")


class CheckInMethod(models.TextChoices):
    QR = "qr", _("QR code scanned by the enterprise")
    PAPER = "paper", _("Recorded on paper by a team lead")


class CodePurpose(models.TextChoices):
    """What a one-time code sent to the enterprise's registered contact confirms."""

    ARRIVAL = "arrival", _("Confirm the arrival")
    EVALUATION = "evaluation", _("Rate the inspection")


class Rating(models.IntegerChoices):
    VERY_POOR = 1, _("1 – very dissatisfied")
    POOR = 2, _("2 – dissatisfied")
    FAIR = 3, _("3 – neutral")
    GOOD = 4, _("4 – satisfied")
    VERY_GOOD = 5, _("5 – very satisfied")


class AttachmentKind(models.TextChoices):
    """The file types accepted as evidence, detected from the content (never from the name)."""

    JPEG = "image/jpeg", "JPEG"
    PNG = "image/png", "PNG"
    PDF = "application/pdf", "PDF"

    @classmethod
    def extension(cls, content_type: str) -> str:
        return {cls.JPEG: "jpg", cls.PNG: "png", cls.PDF: "pdf"}[content_type]


class InspectionTaskStatus(models.TextChoices):
    """CONTRACT with the inspections and disclosure apps, which move tasks through the later states."""

    ASSIGNED = "assigned", _("Assigned")
    CHECKED_IN = "checked_in", _("Checked in")
    RESULT_RECORDED = "result_recorded", _("Result recorded")
    RESULT_APPROVED = "result_approved", _("Result approved")
    PUBLISHED = "published", _("Published")
    EXEMPT = "exempt", _("Exempt from publication")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def before_inspection(cls):
        """The inspection has not taken place yet: the draw's list is still confidential."""
        return [cls.ASSIGNED, cls.CHECKED_IN]

    @classmethod
    def counted(cls):
        """Every state but cancelled: the task counts toward coverage and the yearly cap."""
        return [s for s in cls.values if s != cls.CANCELLED]


class MemberRole(models.TextChoices):
    LEAD = "lead", _("Lead inspector")
    MEMBER = "member", _("Inspector")
    EXPERT = "expert", _("Expert")


class SubstitutionKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise replaced")
    INSPECTOR = "inspector", _("Inspector replaced")


class SubstitutionReason(models.TextChoices):
    """Why a drawn enterprise or inspector is replaced (DESIGN §3 rules 7 and 16: a reason, two leads).

    ``closed`` and ``suspended`` must match the enterprise's status in the registry; ``unreachable``
    and ``other`` need a written explanation.
    """

    CLOSED = "closed", _("Enterprise closed")
    SUSPENDED = "suspended", _("Enterprise suspended")
    UNREACHABLE = "unreachable", _("Enterprise cannot be reached at its registered address")
    ILLNESS = "illness", _("Inspector ill")
    LEAVE = "leave", _("Inspector on leave")
    RECUSAL = "recusal", _("Inspector must recuse himself (conflict of interest)")
    OTHER = "other", _("Other reason (explained)")

    @classmethod
    def for_kind(cls, kind: str) -> list[str]:
        if kind == SubstitutionKind.ENTERPRISE:
            return [cls.CLOSED, cls.SUSPENDED, cls.UNREACHABLE, cls.OTHER]
        return [cls.ILLNESS, cls.LEAVE, cls.RECUSAL, cls.OTHER]

    @classmethod
    def registry_status(cls) -> dict[str, str]:
        """The enterprise status the registry must show for the reason to be accepted."""
        return {cls.CLOSED: EnterpriseStatus.CLOSED, cls.SUSPENDED: EnterpriseStatus.SUSPENDED}

    @classmethod
    def needs_note(cls) -> list[str]:
        return [cls.UNREACHABLE, cls.OTHER]


class SubstitutionRequestStatus(models.TextChoices):
    """A substitution is proposed by one team lead and approved (made) or rejected by another."""

    PROPOSED = "proposed", _("Awaiting a second team lead")
    APPROVED = "approved", _("Approved and made")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn by the proposer")

    @classmethod
    def decided(cls) -> list[str]:
        return [cls.APPROVED, cls.REJECTED, cls.WITHDRAWN]


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
