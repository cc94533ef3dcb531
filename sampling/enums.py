from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In force")
    CLOSED = "closed", _("Closed")

    @classmethod
    def transitions(cls) -> dict[str, list[str]]:
        """Allowed next states: a draft is put in force, a plan in force is closed at the end of its year."""
        return {cls.DRAFT: [cls.ACTIVE], cls.ACTIVE: [cls.CLOSED], cls.CLOSED: []}


class DrawStatus(models.TextChoices):
    CREATED = "created", _("Pool frozen, awaiting the ceremony")
    DRAWN = "drawn", _("Drawn, awaiting approval")
    APPROVED = "approved", _("Approved and locked")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled before the ceremony")

    @classmethod
    def open_states(cls):
        """At most one draw per task and quarter may be in one of these states."""
        return [cls.CREATED, cls.DRAWN]

    @classmethod
    def with_result(cls):
        """States in which the draw has a result (a list of enterprises and teams)."""
        return [cls.DRAWN, cls.APPROVED, cls.REJECTED]


class JointKind(models.TextChoices):
    NONE = "none", _("Not joint")
    INTERNAL = "internal", _("Internal joint inspection (内部联合)")
    DEPARTMENT = "department", _("Joint with other departments (部门联合)")


class QuotaPreset(models.TextChoices):
    CUSTOM = "custom", _("Custom")
    XINXIAN = "xinxian", _("新县 (001): key 30% a quarter, general 1:10 a year")
    XIPING = "xiping", _("西平 (003): key 20% a quarter and once a year, general 1:10, special every quarter")
    BAODING_COUNTY = (
        "baoding_county",
        _("保定 county level (004): key 25%, special 50%, general 3% off the positive list"),
    )
    JIANAN = "jianan", _("建安 (000): key and special once a year, at most 2 inspections a year, risk weights")


class ExclusionReason(models.TextChoices):
    """Why an enterprise of the targeted tiers is not in a draw's population."""

    NOT_OPERATING = "not_operating", _("Not operating")
    POSITIVE_LIST = "positive_list", _("On the positive list (supervised off-site)")
    DRAWN_THIS_QUARTER = "drawn_this_quarter", _("Already drawn for this task this quarter")
    YEARLY_CAP = "yearly_cap", _("Yearly inspection cap reached")


class QuotaRule(models.TextChoices):
    """The rules that may set a stratum's quota; the largest wins."""

    RATIO = "ratio", _("Quarterly ratio")
    TASK_RATIO = "task_ratio", _("Task's own ratio")
    EVERY_QUARTER = "every_quarter", _("Every unit once a quarter")
    COVERAGE = "coverage", _("Every unit once a year")
    PER_INSPECTOR = "per_inspector", _("Units per enforcement officer a year")
    NONE = "none", _("No rule")


class DrawStep(models.TextChoices):
    """The step of a draw at which its list was re-checked against the registries (DESIGN §3 rule 16)."""

    CEREMONY = "ceremony", _("At the ceremony")
    APPROVAL = "approval", _("At approval")


class RefusedStep(models.TextChoices):
    """A step refused because an inspector may no longer take part in it (the draw's 拒绝记录)."""

    CEREMONY = "ceremony", _("Ceremony")
    APPROVAL = "approval", _("Approval")
    CHECKIN = "checkin", _("Check-in")
    RESULT = "result", _("Result entry")


class DrawChangeReason(models.TextChoices):
    """Why a drawn enterprise or team member was replaced before the draw's tasks were created."""

    YEARLY_CAP = "yearly_cap", _("Yearly inspection cap reached meanwhile")
    UNAVAILABLE = "unavailable", _("Inspector no longer available")
