from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    # Two more categories of the national credit publicity system (GSXT), DESIGN §3 rule 9.
    UNREACHABLE = "unreachable", "通过登记的住所（经营场所）无法联系"
    NO_BUSINESS_ACTIVITY = "no_business_activity", "未发现开展本次抽查涉及的经营活动"

    @classmethod
    def problems_found(cls):
        """Every outcome that reports a problem: all but 未发现问题 and 未发现开展本次抽查涉及的经营活动."""
        return [o for o in cls.values if o not in (cls.NO_PROBLEM, cls.NO_BUSINESS_ACTIVITY)]

    @classmethod
    def clean(cls):
        """Outcomes that count as a clean inspection for the risk weight's clean-inspection term: 未发现问题 only.

        Not 无法联系 nor 不配合 (the enterprise was not inspected), nor 未发现开展本次抽查涉及的经营活动 (nothing was
        checked): each of them, like a problem found, ends a run of clean inspections.
        """
        return [cls.NO_PROBLEM]

    @classmethod
    def without_arrival(cls):
        """Outcomes recorded without a check-in, with evidence of the attempt (DESIGN §3 rule 9)."""
        return [cls.UNCOOPERATIVE, cls.UNREACHABLE]

    @classmethod
    def violations_found(cls):
        """Outcomes that report a breach found among the checked items: at least one item is non-compliant."""
        return [cls.CORRECTED, cls.PENDING_FOLLOW_UP, cls.RECTIFICATION_ORDERED, cls.CASE_FILED]

    @classmethod
    def awaiting_follow_up(cls):
        """Outcomes that a later investigation may change (002 (五))."""
        return [cls.PENDING_FOLLOW_UP]

    @classmethod
    def needs_rectification(cls):
        """Problems the enterprise must put right, checked by a follow-up visit (整改回访, seed 003).

        Not 发现问题已责令改正 (corrected on the spot), nor the outcomes that found nothing to rectify
        (不配合检查, 无法联系, 未发现开展经营活动: they go to the credit record instead).
        """
        return [cls.INFO_NOT_DISCLOSED, cls.PENDING_FOLLOW_UP, cls.RECTIFICATION_ORDERED, cls.CASE_FILED]


# The national enterprise credit publicity system's (GSXT, 国家企业信用信息公示系统) category for each outcome:
# (GSXT wording, code). The wording is the GSXT's, exactly. No authoritative code table of the GSXT 抽查检查结果
# categories was found (searched in December 2026; the one code list found, in the source of a provincial
# market-supervision system, is local, holds two conflicting versions and words some categories differently,
# e.g. 发现问题经责令已改正, so it is not used), so the code is this
# project's own stable code (``SSJ-nn``, one per GSXT category, never reused or renumbered); see
# docs/open-data.md. Seed 000's two environmental categories (责令整改, 立案调查) have no GSXT category of the
# same words: they are published under the nearest one (an order to correct; a problem handled by a further
# procedure).
GSXT_CATEGORIES: dict[str, str] = {
    "未发现问题": "SSJ-01",
    "未按规定公示应当公示的信息": "SSJ-02",
    "发现问题已责令改正": "SSJ-03",
    "不配合检查情节严重": "SSJ-04",
    "发现问题待后续处理": "SSJ-05",
    "通过登记的住所（经营场所）无法联系": "SSJ-06",
    "未发现开展本次抽查涉及的经营活动": "SSJ-07",
}
_GSXT_WORDING = {
    Outcome.NO_PROBLEM: "未发现问题",
    Outcome.INFO_NOT_DISCLOSED: "未按规定公示应当公示的信息",
    Outcome.CORRECTED: "发现问题已责令改正",
    Outcome.UNCOOPERATIVE: "不配合检查情节严重",
    Outcome.PENDING_FOLLOW_UP: "发现问题待后续处理",
    Outcome.RECTIFICATION_ORDERED: "发现问题已责令改正",
    Outcome.CASE_FILED: "发现问题待后续处理",
    Outcome.UNREACHABLE: "通过登记的住所（经营场所）无法联系",
    Outcome.NO_BUSINESS_ACTIVITY: "未发现开展本次抽查涉及的经营活动",
}
GSXT_OUTCOMES: dict[str, tuple[str, str]] = {
    outcome: (wording, GSXT_CATEGORIES[wording]) for outcome, wording in _GSXT_WORDING.items()
}


def gsxt_legend() -> list[dict]:
    """Each GSXT category with its code and the outcome categories published under it (the open-data legend)."""
    labels = dict(Outcome.choices)
    return [
        {
            "code": code,
            "wording": wording,
            "outcomes": [labels[o] for o, w in _GSXT_WORDING.items() if w == wording],
        }
        for wording, code in GSXT_CATEGORIES.items()
    ]


def gsxt_wording(outcome: str) -> str:
    return GSXT_OUTCOMES.get(outcome, ("", ""))[0]


def gsxt_code(outcome: str) -> str:
    return GSXT_OUTCOMES.get(outcome, ("", ""))[1]


# What each category means, for the public legend. The first five are seed 002's definitions (工作指引 三、
# 结果公示 (一)–(五)), translated to zh_Hans in their own words; seed 002 does not define the others: their
# meaning is that of seed 000 (责令整改, 立案调查) and of the national system (无法联系, 未发现开展经营活动).
OUTCOME_DEFINITIONS = {
    Outcome.NO_PROBLEM: _(
        "The items checked in this inspection showed no breach of the laws and regulations listed in the guide."
    ),
    Outcome.INFO_NOT_DISCLOSED: _(
        "The enterprise did not disclose information that the laws and regulations require it to disclose."
    ),
    Outcome.CORRECTED: _(
        "A breach was found and the enterprise, by guidance, reminder or warning, was asked to correct it on the "
        "spot and did so."
    ),
    Outcome.UNCOOPERATIVE: _(
        "The enterprise refused the inspectors (or the experts they engaged) entry to the premises, refused them "
        "the documents asked for, or otherwise obstructed the inspection so that it could not proceed."
    ),
    Outcome.PENDING_FOLLOW_UP: _(
        "A breach was found that could not be corrected on the spot and needs further investigation. If none is "
        "confirmed the outcome becomes 未发现问题; if a case is filed it stays."
    ),
    Outcome.RECTIFICATION_ORDERED: _("A problem was found and the enterprise was ordered to rectify it."),
    Outcome.CASE_FILED: _("A violation was found and a case was filed for investigation."),
    Outcome.UNREACHABLE: _(
        "The inspectors could not reach the enterprise at its registered domicile (place of business); the "
        "attempt is recorded with its time, place and evidence."
    ),
    Outcome.NO_BUSINESS_ACTIVITY: _(
        "The enterprise was found not to carry on the business activity that this inspection concerns."
    ),
}


def outcome_legend() -> list[dict]:
    """Every outcome category with its meaning and its GSXT wording and code, in the categories' order."""
    return [
        {
            "value": value,
            "label": label,
            "definition": OUTCOME_DEFINITIONS[value],
            "gsxt_wording": gsxt_wording(value),
            "gsxt_code": gsxt_code(value),
        }
        for value, label in Outcome.choices
    ]


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
    CORRECTED = "corrected", _("Corrected")


class CorrectionSource(models.TextChoices):
    """What corrected a recorded (and perhaps published) outcome (:func:`inspections.corrections.result_correct`)."""

    CASE = "case", _("Case investigation")
    TRANSFER = "transfer", _("Investigation of the department the case was transferred to")
    OBJECTION = "objection", _("Objection upheld")


class CheckInMethod(models.TextChoices):
    QR = "qr", _("QR code scanned by the enterprise")
    PAPER = "paper", _("Paper record signed by the enterprise (scan attached)")


class EvaluationMethod(models.TextChoices):
    """How the enterprise's rating reached the bureau: with its one-time code, or on a signed paper form."""

    CODE = "code", _("Given by the enterprise with its one-time code")
    PAPER = "paper", _("Paper form signed by the enterprise (scan attached)")


class CodePurpose(models.TextChoices):
    """What a one-time code sent to the enterprise's registered contact confirms."""

    ARRIVAL = "arrival", _("Confirm the arrival")
    EVALUATION = "evaluation", _("Rate the inspection")
    OBJECTION = "objection", _("File an objection")


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

    # msgctxt "task status": the same English words label other things ("Published" is also a date column)
    ASSIGNED = "assigned", pgettext_lazy("task status", "Assigned")
    CHECKED_IN = "checked_in", pgettext_lazy("task status", "Checked in")
    RESULT_RECORDED = "result_recorded", pgettext_lazy("task status", "Result recorded")
    RESULT_APPROVED = "result_approved", pgettext_lazy("task status", "Result approved")
    PUBLISHED = "published", pgettext_lazy("task status", "Published")
    EXEMPT = "exempt", pgettext_lazy("task status", "Exempt from publication")
    CANCELLED = "cancelled", pgettext_lazy("task status", "Cancelled")

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


class ObjectionStatus(models.TextChoices):
    """An enterprise's objection (异议) to its published result: open until a team lead upholds or rejects it."""

    OPEN = "open", _("Awaiting a decision")
    UPHELD = "upheld", _("Upheld: the result was corrected")
    REJECTED = "rejected", _("Rejected")

    @classmethod
    def decided(cls) -> list[str]:
        return [cls.UPHELD, cls.REJECTED]


class PublicObjection(models.TextChoices):
    """What the public row says of an objection to it. Like the outcomes, shown in Chinese in every language."""

    NONE = "", "—"
    OPEN = "open", "异议处理中"
    CORRECTED = "corrected", "经异议更正"
