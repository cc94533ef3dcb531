"""After the inspection: the rectification order and its follow-up visit, the case filed and the case
transferred to another department. These models only hold data; :mod:`followup.services` writes every
status column here (one writer, ``tests/architecture/test_layers.py``).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.constraints import choice_checks
from core.models import Bureau
from inspections.enums import AttachmentKind
from inspections.models import EvidenceFile, InspectionTask

from .enums import CaseOrigin, CaseStatus, Conclusion, FileOwner, PenaltyCategory, RectificationStatus, TransferStatus

DEFAULT_RECTIFICATION_WORKING_DAYS = 20


class BureauPolicy(models.Model):
    """A bureau's follow-up settings, kept by its administrator (a bureau without a row uses the defaults)."""

    bureau = models.OneToOneField(Bureau, on_delete=models.PROTECT, related_name="followup_policy")
    rectification_working_days = models.PositiveSmallIntegerField(
        _("working days to rectify"),
        default=DEFAULT_RECTIFICATION_WORKING_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(250)],
    )
    # 处罚机关统一社会信用代码 of the penalty exchange file (the bureau's own code).
    authority_uscc = models.CharField(_("the bureau's unified social credit code"), max_length=18, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_by_name = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(_("last changed"))

    class Meta:
        verbose_name = _("follow-up settings")
        verbose_name_plural = _("follow-up settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(rectification_working_days__gte=1, rectification_working_days__lte=250),
                name="bureaupolicy_rectification_days_1_250",
            )
        ]

    def __str__(self):
        return f"{self.bureau}: {self.rectification_working_days}"


class RectificationQuerySet(models.QuerySet):
    def for_bureau(self, bureau):
        return self.filter(bureau=bureau)

    def open(self):
        return self.filter(status=RectificationStatus.OPEN)

    def shown_on(self, day):
        """Open visits on the inspectors' list and the to-do on ``day``: from 5 working days before the deadline."""
        return self.open().filter(due_soon_from__lte=day)

    def for_team_of(self, user):
        return self.filter(task__members__inspector__user=user, task__members__active=True).distinct()


class Rectification(models.Model):
    """The order to rectify a problem found, its deadline in working days, and the follow-up visit (整改回访)."""

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="rectification")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=14, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    ordered_on = models.DateField(_("ordered on"), help_text=_("The day the inspection ended"))
    working_days = models.PositiveSmallIntegerField(_("working days to rectify"))
    deadline = models.DateField(_("rectification deadline"))
    deadline_provisional = models.BooleanField(_("deadline provisional"), default=False)
    due_soon_from = models.DateField(_("on the list from"))
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    findings = models.TextField(_("what the visit found"), blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visited_by_name = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["bureau", "status", "due_soon_from"], name="rectification_due")]
        constraints = [
            *choice_checks("rectification", status=RectificationStatus),
            models.CheckConstraint(
                condition=Q(status=RectificationStatus.OPEN, visited_on__isnull=True)
                | Q(status__in=RectificationStatus.visited(), visited_on__isnull=False),
                name="rectification_visited_iff_visited_on",
            ),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("ordered_on")), name="rectification_deadline"),
        ]

    def __str__(self):
        return f"{self.task_id}: {self.deadline}"


class Case(models.Model):
    """A case filed (立案) from an inspection result, up to its penalty decision and its closing."""

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="case")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPENED)
    origin = models.CharField(_("opened"), max_length=8, choices=CaseOrigin.choices)
    case_number = models.CharField(_("case number"), max_length=80, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    violation_type = models.CharField(_("type of violation"), max_length=200, blank=True)
    violation_facts = models.TextField(_("facts of the violation"), blank=True)
    decision_number = models.CharField(_("penalty decision number"), max_length=100, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    penalty_category = models.CharField(
        _("kind of penalty"), max_length=14, choices=PenaltyCategory.choices, blank=True
    )
    penalty_content = models.TextField(_("penalty"), blank=True)
    penalty_basis = models.TextField(_("legal basis of the penalty"), blank=True)
    fine = models.DecimalField(_("fine (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    conclusion = models.CharField(_("conclusion"), max_length=14, choices=Conclusion.choices, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_by_name = models.CharField(max_length=150, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    updated_at = models.DateTimeField(_("last changed"))

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["bureau", "decided_on"], name="case_decided")]
        constraints = [
            *choice_checks(
                "case",
                status=CaseStatus,
                origin=CaseOrigin,
                penalty_category=(PenaltyCategory, ""),
                conclusion=(Conclusion, ""),
            ),
            models.UniqueConstraint(
                fields=["bureau", "case_number"], condition=~Q(case_number=""), name="case_number_unique_per_bureau"
            ),
            models.CheckConstraint(condition=Q(fine__isnull=True) | Q(fine__gte=0), name="case_fine_not_negative"),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.OPENED) | (~Q(case_number="") & Q(filed_on__isnull=False)),
                name="case_filed_has_number_and_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.DECIDED) | (~Q(decision_number="") & Q(decided_on__isnull=False)),
                name="case_decided_has_decision",
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.CLOSED) | (Q(closed_on__isnull=False) & ~Q(conclusion="")),
                name="case_closed_has_date_and_conclusion",
            ),
        ]

    def __str__(self):
        return self.case_number or f"#{self.pk}"


class Transfer(models.Model):
    """A case transferred (移交) to the department that holds the power, with its receipt."""

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="transfer")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=TransferStatus.choices, default=TransferStatus.SENT)
    department = models.CharField(_("receiving department"), max_length=120)
    transferred_on = models.DateField(_("transferred on"))
    reason = models.TextField(_("reason for the transfer"), blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=80, blank=True)
    received_by_name = models.CharField(_("received by"), max_length=60, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    conclusion = models.CharField(_("conclusion"), max_length=14, choices=Conclusion.choices, blank=True)
    conclusion_note = models.TextField(_("what the department found"), blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_by_name = models.CharField(max_length=150, blank=True)
    sent_at = models.DateTimeField(_("recorded at"))
    updated_at = models.DateTimeField(_("last changed"))

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-sent_at", "-id"]
        constraints = [
            *choice_checks("transfer", status=TransferStatus, conclusion=(Conclusion, "")),
            models.CheckConstraint(
                condition=Q(status=TransferStatus.SENT)
                | (~Q(receipt_number="") & ~Q(received_by_name="") & Q(received_on__isnull=False)),
                name="transfer_received_has_receipt",
            ),
            models.CheckConstraint(
                condition=~Q(status=TransferStatus.CLOSED) | (Q(concluded_on__isnull=False) & ~Q(conclusion="")),
                name="transfer_closed_has_conclusion",
            ),
        ]

    def __str__(self):
        return f"{self.task_id} → {self.department}"


class FollowUpFile(EvidenceFile):
    """Evidence of a follow-up visit or a document of a transfer, checked like the result's attachments."""

    owner = models.CharField(_("kind"), max_length=8, choices=FileOwner.choices)
    rectification = models.ForeignKey(
        Rectification, null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    transfer = models.ForeignKey(Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="files")

    class Meta:
        verbose_name = _("follow-up file")
        verbose_name_plural = _("follow-up files")
        ordering = ["uploaded_at", "id"]
        constraints = [
            *choice_checks("followupfile", owner=FileOwner, content_type=AttachmentKind),
            models.CheckConstraint(
                condition=Q(owner=FileOwner.VISIT, rectification__isnull=False, transfer__isnull=True)
                | Q(owner=FileOwner.TRANSFER, rectification__isnull=True, transfer__isnull=False),
                name="followupfile_one_owner",
            ),
        ]

    def __str__(self):
        return self.original_name
