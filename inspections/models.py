"""What happens after a draw is approved: check-in, the recorded result, evidence, the enterprise's rating.

The inspection task itself (:class:`sampling.models.InspectionTask`) belongs to the sampling app;
:mod:`inspections.services` moves it ASSIGNED → CHECKED_IN → RESULT_RECORDED → RESULT_APPROVED (or
EXEMPT for a confidential result). State changes live in the services; these models only hold data.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enterprises.models import CheckItem
from sampling.enums import InspectionTaskStatus
from sampling.models import InspectionTask

from .enums import AttachmentKind, CheckInMethod, FollowUp, Outcome, OutcomeChangeKind, Rating


class CheckIn(models.Model):
    """The arrival of the team at the enterprise (扫码入企): confirmed by the enterprise, or on paper."""

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="checkin")
    at = models.DateTimeField(_("arrival"))
    method = models.CharField(_("method"), max_length=8, choices=CheckInMethod.choices, default=CheckInMethod.QR)
    confirmed_by_name = models.CharField(_("received by"), max_length=60)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    # A check-in recorded on paper: the lead who entered it and why the QR code was not used.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=150, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.task_id} @ {self.at:%Y-%m-%d %H:%M}"


class InspectionResultQuerySet(models.QuerySet):
    def for_bureau(self, bureau):
        return self.filter(task__bureau=bureau)

    def approved(self):
        return self.filter(approved_at__isnull=False)

    def publishable(self):
        """Approved, not confidential, not yet published: what the disclosure app publishes."""
        return self.filter(
            approved_at__isnull=False, confidential=False, task__status=InspectionTaskStatus.RESULT_APPROVED
        )

    def late(self):
        return self.filter(late=True)


class InspectionResult(models.Model):
    """The result of one inspection task: overall outcome, findings per item, approval, follow-up."""

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="result")
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices)
    summary = models.TextField(_("summary"), blank=True)
    inspected_on = models.DateField(_("inspected on"), help_text=_("The day the on-site inspection ended"))
    due_date = models.DateField(_("result due"), help_text=_("7 working days after the inspection"))
    due_provisional = models.BooleanField(
        _("due date provisional"), default=False, help_text=_("The holiday calendar of a year counted is not loaded")
    )
    late = models.BooleanField(_("recorded late"), default=False)
    joint_units = models.CharField(_("joint units"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by_name = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    updated_at = models.DateTimeField(_("last changed"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by_name = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # State secrets, national or public security: never published (DESIGN §3 rule 10).
    confidential = models.BooleanField(_("confidential (not to be published)"), default=False)
    confidentiality_reason = models.TextField(_("reason for confidentiality"), blank=True)
    # A 发现问题待后续处理 result: closed as 未发现问题, or kept because a case was filed.
    follow_up = models.CharField(_("follow-up"), max_length=12, choices=FollowUp.choices, default="", blank=True)
    case_number = models.CharField(_("case number"), max_length=80, blank=True)
    follow_up_closed_at = models.DateTimeField(_("follow-up closed at"), null=True, blank=True)

    objects = InspectionResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidential=False) | ~Q(confidentiality_reason=""),
                name="inspectionresult_confidential_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.task_id}: {self.get_outcome_display()}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def follow_up_open(self) -> bool:
        return self.follow_up == FollowUp.OPEN


class ItemFinding(models.Model):
    """What was found on one checklist item of the task."""

    result = models.ForeignKey(InspectionResult, on_delete=models.CASCADE, related_name="findings")
    check_item = models.ForeignKey(CheckItem, on_delete=models.PROTECT, related_name="+")
    compliant = models.BooleanField(_("compliant"))
    finding = models.TextField(_("finding"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["result", "check_item__order", "check_item__code"]
        constraints = [models.UniqueConstraint(fields=["result", "check_item"], name="itemfinding_unique_item")]

    def __str__(self):
        return f"{self.check_item_id}: {'✓' if self.compliant else '✗'}"


class AttachmentQuerySet(models.QuerySet):
    def current(self):
        return self.filter(removed_at__isnull=True)


class Attachment(models.Model):
    """A photo or document of an inspection. The file lives under MEDIA_ROOT/inspections/ with a random name
    and is served only through a permission-checked view. A removed attachment is kept (evidence) but hidden.
    """

    result = models.ForeignKey(InspectionResult, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=40, choices=AttachmentKind.choices)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_by_name = models.CharField(max_length=150, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["result", "uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class OutcomeChange(models.Model):
    """The follow-up of a 发现问题待后续处理 result: changed to 未发现问题, or kept because a case was filed."""

    result = models.ForeignKey(InspectionResult, on_delete=models.PROTECT, related_name="outcome_changes")
    kind = models.CharField(_("decision"), max_length=10, choices=OutcomeChangeKind.choices)
    old_outcome = models.CharField(_("previous outcome"), max_length=24, choices=Outcome.choices)
    new_outcome = models.CharField(_("new outcome"), max_length=24, choices=Outcome.choices)
    reason = models.TextField(_("reason"))
    case_number = models.CharField(_("case number"), max_length=80, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("outcome change")
        verbose_name_plural = _("outcome changes")
        ordering = ["result", "at", "id"]

    def __str__(self):
        return f"{self.old_outcome} → {self.new_outcome}"


class Evaluation(models.Model):
    """The enterprise's rating of the inspection (企业评价), given once through the task's QR code."""

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="evaluation")
    rating = models.PositiveSmallIntegerField(
        _("rating"), choices=Rating.choices, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    at = models.DateTimeField(_("time"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("enterprise evaluation")
        verbose_name_plural = _("enterprise evaluations")
        ordering = ["-at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="evaluation_rating_1_5")]

    def __str__(self):
        return f"{self.task_id}: {self.rating}"
