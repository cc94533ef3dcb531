"""The inspection task's whole life after its draw is approved: the task and its team, substitutions,
check-in, the recorded result, evidence, the enterprise's rating, and the publication of the result.

An :class:`InspectionTask` is created when a draw is approved (:mod:`inspections.assignment`) and moves
ASSIGNED → CHECKED_IN → RESULT_RECORDED → RESULT_APPROVED → PUBLISHED, or to EXEMPT (never published)
or CANCELLED (replaced by a substitution). This app alone writes its status: :mod:`inspections.services`
(check-in, results), :mod:`inspections.assignment` (creation, substitutions) and
:mod:`inspections.publication` (publication, exemption), all through :func:`inspections.transitions.task_cas`.

A :class:`Publication` carries a denormalised copy of exactly the public fields of DESIGN §3 rule 10
(enterprise, USCC, plan and task names and numbers, inspection dates, items checked, outcome,
bureau, publication date), so the public site reads this one table — one indexed query, no joins —
and can never reach a row that was not published. These models only hold data and read helpers.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from core.constraints import choice_checks
from core.models import Bureau
from enterprises.enums import Tier
from enterprises.models import CheckItem, Enterprise
from inspectors.models import Expert, Inspector
from sampling.enums import JointKind
from sampling.models import Draw

from .enums import (
    AttachmentKind,
    CheckInMethod,
    CodePurpose,
    CorrectionSource,
    DrawType,
    EvaluationMethod,
    ExemptionSource,
    FollowUp,
    InspectionTaskStatus,
    MemberRole,
    ObjectionStatus,
    Outcome,
    OutcomeChangeKind,
    PublicObjection,
    Rating,
    ReminderKind,
    SubstitutionKind,
    SubstitutionReason,
    SubstitutionRequestStatus,
)


class InspectionTaskQuerySet(models.QuerySet):
    def for_bureau(self, bureau):
        return self.filter(bureau=bureau)

    def counted(self):
        """Tasks that count toward coverage and the yearly cap (every state but cancelled)."""
        return self.exclude(status=InspectionTaskStatus.CANCELLED)

    def before_inspection(self):
        """Tasks whose inspection has not taken place yet (their draw's list is still confidential)."""
        return self.filter(status__in=InspectionTaskStatus.before_inspection())

    def in_year(self, year: int):
        return self.filter(draw__year=year)

    def assigned_to(self, user):
        """Tasks whose current team includes the inspector linked to ``user`` (EXISTS: no join made DISTINCT
        over every selected column, the draw's JSON included)."""
        return self.filter(
            models.Exists(TaskMember.objects.filter(task=models.OuterRef("pk"), active=True, inspector__user=user))
        )


class InspectionTask(models.Model):
    """CONTRACT: one enterprise to inspect, created when a draw is approved.

    The inspections app moves it through CHECKED_IN → RESULT_RECORDED → RESULT_APPROVED and the
    disclosure app to PUBLISHED or EXEMPT, each through its own services.
    """

    # No index of their own: each leads an index below (bureau and status, enterprise and status, the unique
    # draw and enterprise), which serves their lookups; three indexes less to fill for a draw's 13,354 tasks.
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="inspection_tasks", db_index=False)
    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="tasks", db_index=False)
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="inspection_tasks", db_index=False
    )
    number = models.CharField(_("task number"), max_length=60, unique=True)
    stratum = models.CharField(_("stratum"), max_length=80)
    status = models.CharField(
        _("status"), max_length=16, choices=InspectionTaskStatus.choices, default=InspectionTaskStatus.ASSIGNED
    )
    planned_start = models.DateField(_("inspection from"))
    planned_end = models.DateField(_("inspection until"))
    check_items = models.ManyToManyField(
        CheckItem, verbose_name=_("inspection items"), related_name="+", db_table="sampling_inspectiontask_check_items"
    )
    joint_kind = models.CharField(_("joint inspection"), max_length=12, choices=JointKind.choices, default="none")
    joint_units = models.CharField(_("joint units"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=255, blank=True)

    objects = InspectionTaskQuerySet.as_manager()

    class Meta:
        db_table = "sampling_inspectiontask"
        verbose_name = _("inspection task")
        verbose_name_plural = _("inspection tasks")
        ordering = ["number"]
        indexes = [
            models.Index(fields=["bureau", "status"]),
            models.Index(fields=["enterprise", "status"]),
            # The task list's order (newest first): its first page read from the index, not a sort of every task.
            models.Index(fields=["bureau", "-planned_start", "number"], name="inspectiontask_newest_first"),
        ]
        constraints = [
            # One task per enterprise per draw: a substitution creates the new task for the next enterprise of
            # the recorded order (never one already in the draw) and keeps the cancelled one.
            models.UniqueConstraint(fields=["draw", "enterprise"], name="inspectiontask_one_per_enterprise_per_draw"),
            *choice_checks("inspectiontask", status=InspectionTaskStatus, joint_kind=JointKind),
        ]

    def __str__(self):
        return self.number

    @staticmethod
    def counted_statuses() -> list[str]:
        """The statuses of :meth:`InspectionTaskQuerySet.counted`, for raw SQL."""
        return InspectionTaskStatus.counted()


class TaskMember(models.Model):
    """CONTRACT: a member of an inspection task's team: an inspector (lead or member) or an expert.

    A replaced member stays on record with ``active=False`` (see :class:`Substitution`).
    """

    task = models.ForeignKey(InspectionTask, on_delete=models.PROTECT, related_name="members")
    inspector = models.ForeignKey(
        Inspector, null=True, blank=True, on_delete=models.PROTECT, related_name="task_memberships"
    )
    expert = models.ForeignKey(Expert, null=True, blank=True, on_delete=models.PROTECT, related_name="task_memberships")
    role = models.CharField(_("role"), max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("current member"), default=True)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        db_table = "sampling_taskmember"
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["task", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(inspector__isnull=False, expert__isnull=True)
                | Q(inspector__isnull=True, expert__isnull=False),
                name="taskmember_inspector_xor_expert",
            ),
            # A person is at most once a current member of a team (a replaced member stays, inactive, and may
            # come back as a new row).
            models.UniqueConstraint(
                fields=["task", "inspector"], condition=Q(active=True), name="taskmember_inspector_once_per_task"
            ),
            models.UniqueConstraint(
                fields=["task", "expert"], condition=Q(active=True), name="taskmember_expert_once_per_task"
            ),
            *choice_checks("taskmember", role=MemberRole),
        ]

    def __str__(self):
        return str(self.inspector or self.expert)

    @property
    def is_expert(self) -> bool:
        return self.expert_id is not None


class Substitution(models.Model):
    """A change to a locked draw: an enterprise or an inspector replaced, with the reason."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="substitutions")
    kind = models.CharField(_("kind"), max_length=12, choices=SubstitutionKind.choices)
    task = models.ForeignKey(InspectionTask, on_delete=models.PROTECT, related_name="substitutions")
    new_task = models.ForeignKey(
        InspectionTask, null=True, blank=True, on_delete=models.PROTECT, related_name="substituted_for"
    )
    old_enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    new_enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    old_inspector = models.ForeignKey(Inspector, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    new_inspector = models.ForeignKey(Inspector, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=255)
    details = models.JSONField(_("details"), default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        db_table = "sampling_substitution"
        verbose_name = _("substitution")
        verbose_name_plural = _("substitutions")
        ordering = ["draw", "id"]
        constraints = [*choice_checks("substitution", kind=SubstitutionKind)]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.reason}"


class SubstitutionRequest(models.Model):
    """A substitution proposed by one team lead; only a second lead's approval makes it (DESIGN §3 rule 16).

    The approval runs the substitution (:mod:`inspections.assignment`) and links its :class:`Substitution`.
    Status written only by :mod:`inspections.substitutions`.
    """

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="substitution_requests")
    task = models.ForeignKey(InspectionTask, on_delete=models.PROTECT, related_name="substitution_requests")
    kind = models.CharField(_("kind"), max_length=12, choices=SubstitutionKind.choices)
    inspector = models.ForeignKey(Inspector, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason_code = models.CharField(_("reason"), max_length=12, choices=SubstitutionReason.choices)
    note = models.CharField(_("explanation"), max_length=255, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SubstitutionRequestStatus.choices,
        default=SubstitutionRequestStatus.PROPOSED,
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_by_name = models.CharField(_("proposed by"), max_length=150, blank=True)
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_name = models.CharField(_("decided by"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("reason for the decision"), max_length=255, blank=True)
    substitution = models.OneToOneField(
        Substitution, null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )

    class Meta:
        verbose_name = _("substitution request")
        verbose_name_plural = _("substitution requests")
        ordering = ["draw", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SubstitutionRequestStatus.values), name="subrequest_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=SubstitutionKind.values), name="subrequest_kind_valid"),
            models.CheckConstraint(
                condition=Q(reason_code__in=SubstitutionReason.values), name="subrequest_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind=SubstitutionKind.INSPECTOR, inspector__isnull=False)
                | Q(kind=SubstitutionKind.ENTERPRISE, inspector__isnull=True),
                name="subrequest_inspector_iff_inspector_kind",
            ),
            models.CheckConstraint(
                condition=Q(status=SubstitutionRequestStatus.PROPOSED, decided_at__isnull=True)
                | Q(status__in=SubstitutionRequestStatus.decided(), decided_at__isnull=False),
                name="subrequest_decided_iff_decided_at",
            ),
            models.CheckConstraint(
                condition=~Q(status=SubstitutionRequestStatus.APPROVED)
                | Q(substitution__isnull=False, decided_by__isnull=False),
                name="subrequest_approved_has_substitution",
            ),
            # The second person: only the proposer's withdrawal may carry his own name as the decider.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | Q(status=SubstitutionRequestStatus.WITHDRAWN)
                | ~Q(decided_by=models.F("proposed_by")),
                name="subrequest_decided_by_another_lead",
            ),
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(status=SubstitutionRequestStatus.PROPOSED),
                name="subrequest_one_open_per_task",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.task_id}: {self.get_reason_code_display()}"

    @property
    def reason_text(self) -> str:
        """The reason as the substitution records it: the category, and the explanation if any."""
        label = str(self.get_reason_code_display())
        return f"{label}：{self.note}" if self.note else label


class EnterpriseCode(models.Model):
    """A one-time code sent to the enterprise's registered contact to confirm an arrival or a rating.

    Only its salted HMAC is stored; it expires, allows a few attempts and is used once (:mod:`inspections.codes`).
    Nothing about it is shown to staff.
    """

    task = models.ForeignKey(InspectionTask, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=12, choices=CodePurpose.choices)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        ordering = ["task", "-created_at", "-id"]
        indexes = [models.Index(fields=["task", "purpose", "-created_at"], name="enterprisecode_recent")]
        constraints = [
            models.CheckConstraint(condition=Q(purpose__in=CodePurpose.values), name="enterprisecode_purpose_valid")
        ]

    def __str__(self):
        return f"{self.task_id} {self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class TeamSighting(models.Model):
    """Where a team member was seen holding the task (its page, its notice): address, browser and session,
    the latter two as hashes. A confirmation from the same is flagged (:func:`inspections.codes.suspicions`)."""

    task = models.ForeignKey(InspectionTask, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent_hash = models.CharField(max_length=64, blank=True)
    session_hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("team sighting")
        verbose_name_plural = _("team sightings")
        ordering = ["task", "-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "user", "ip", "user_agent_hash", "session_hash"], name="teamsighting_once"
            )
        ]

    def __str__(self):
        return f"{self.task_id} {self.user_id} {self.ip}"


class EvidenceFile(models.Model):
    """The columns of every evidence file a person uploads (a result's attachment, a paper record's scan, a
    follow-up visit's evidence, a transfer's document): checked by content and stored under a random name by
    :mod:`inspections.uploads` (``add_once``, ``file_fields``), served only through permission-checked views."""

    file = models.FileField(_("file"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=40, choices=AttachmentKind.choices)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_by_name = models.CharField(max_length=150, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        abstract = True

    def __str__(self):
        return self.original_name


class PaperScan(EvidenceFile):
    """The scan of a paper record signed by an enterprise without a registered contact: its confirmation of the
    team's arrival, or its rating (one per task and purpose). Checked and stored as the evidence files are
    (:mod:`inspections.uploads`), served only through a permission-checked view to the bureau's staff."""

    task = models.ForeignKey(InspectionTask, on_delete=models.PROTECT, related_name="paper_scans")
    purpose = models.CharField(_("purpose"), max_length=12, choices=CodePurpose.choices)

    class Meta:
        verbose_name = _("signed paper record")
        verbose_name_plural = _("signed paper records")
        ordering = ["task", "purpose"]
        constraints = [
            *choice_checks("paperscan", purpose=CodePurpose, content_type=AttachmentKind),
            models.UniqueConstraint(fields=["task", "purpose"], name="paperscan_once_per_purpose"),
        ]

    def __str__(self):
        return self.original_name


class CheckIn(models.Model):
    """The arrival of the team at the enterprise (扫码入企): confirmed by the enterprise, or on paper."""

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="checkin")
    at = models.DateTimeField(_("arrival"))
    method = models.CharField(_("method"), max_length=8, choices=CheckInMethod.choices, default=CheckInMethod.QR)
    confirmed_by_name = models.CharField(_("received by"), max_length=60)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    # A check-in recorded on paper: who entered it, a note, and the scan of the record the enterprise signed.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=150, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    scan = models.OneToOneField(PaperScan, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # What a confirmation shared with a team member ("ip", "browser", "session"): flagged on the task page.
    suspicions = models.JSONField(_("shared with the team"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at"]
        constraints = [*choice_checks("checkin", method=CheckInMethod)]

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
            *choice_checks("inspectionresult", outcome=Outcome, follow_up=FollowUp),
        ]

    def __str__(self):
        return f"{self.task_id}: {self.get_outcome_display()}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def follow_up_open(self) -> bool:
        return self.follow_up == FollowUp.OPEN


class NoArrival(models.Model):
    """A result recorded without a check-in (不配合检查情节严重 or 通过登记的住所（经营场所）无法联系): the
    evidence of the attempt to inspect (DESIGN §3 rule 9). Photos and documents are the result's attachments.
    """

    result = models.OneToOneField(InspectionResult, on_delete=models.PROTECT, related_name="no_arrival")
    attempted_at = models.DateTimeField(_("time of the attempt"))
    place = models.CharField(_("place of the attempt"), max_length=255)
    witness = models.CharField(_("witness"), max_length=60, blank=True)
    # The names (and codes) of the team's inspectors who made the attempt, as they were then.
    members = models.JSONField(_("inspectors present"), default=list)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("result without arrival")
        verbose_name_plural = _("results without arrival")
        ordering = ["-attempted_at", "-id"]

    def __str__(self):
        return f"{self.result_id} @ {self.attempted_at:%Y-%m-%d %H:%M}"


class OffsiteCheck(models.Model):
    """An off-site check (非现场检查) of a positive-list unit (正面清单) in a quarter: seed 004 covers every
    positive-list unit off-site each quarter, instead of drawing it for an on-site inspection."""

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="offsite_checks")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    checked_on = models.DateField(_("checked on"))
    method = models.CharField(_("method"), max_length=120, help_text=_("e.g. automatic monitoring data, video"))
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by_name = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("off-site check")
        verbose_name_plural = _("off-site checks")
        ordering = ["-checked_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "quarter"], name="offsitecheck_once_a_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="offsitecheck_quarter_1_4"),
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.year}Q{self.quarter}"


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


class Attachment(EvidenceFile):
    """A photo or document of an inspection. The file lives under MEDIA_ROOT/inspections/ with a random name
    and is served only through a permission-checked view. A removed attachment is kept (evidence) but hidden.
    """

    result = models.ForeignKey(InspectionResult, on_delete=models.PROTECT, related_name="attachments")
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["result", "uploaded_at", "id"]
        constraints = [*choice_checks("attachment", content_type=AttachmentKind)]

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
    # Set by a correction (inspections.corrections.result_correct): what corrected the outcome.
    source = models.CharField(_("corrected by"), max_length=10, choices=CorrectionSource.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("outcome change")
        verbose_name_plural = _("outcome changes")
        ordering = ["result", "at", "id"]
        constraints = [
            *choice_checks(
                "outcomechange",
                kind=OutcomeChangeKind,
                old_outcome=Outcome,
                new_outcome=Outcome,
                source=(CorrectionSource, ""),
            )
        ]

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
    suspicions = models.JSONField(_("shared with the team"), default=list, blank=True)
    method = models.CharField(
        _("method"), max_length=8, choices=EvaluationMethod.choices, default=EvaluationMethod.CODE
    )
    # A rating given on a signed paper form: who entered it, and the scan of the form.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=150, blank=True)
    scan = models.OneToOneField(PaperScan, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("enterprise evaluation")
        verbose_name_plural = _("enterprise evaluations")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="evaluation_rating_1_5"),
            *choice_checks("evaluation", method=EvaluationMethod),
        ]

    def __str__(self):
        return f"{self.task_id}: {self.rating}"


# The columns the public site and the open data read (never the bookkeeping fields).
PUBLIC_FIELDS = (
    "id",
    "enterprise_name",
    "uscc",
    "bureau_code",
    "bureau_name",
    "plan_number",
    "plan_name",
    "plan_task_number",
    "plan_task_name",
    "inspection_number",
    "draw_type",
    "tier",
    "year",
    "quarter",
    "inspected_from",
    "inspected_on",
    "items_checked",
    "outcome",
    "published_on",
    "objection",
)


class PublicationQuerySet(models.QuerySet):
    def for_bureau(self, bureau):
        return self.filter(bureau=bureau)

    def public(self):
        """The public columns only, newest publication first."""
        return self.only(*PUBLIC_FIELDS).order_by("-published_at", "-id")

    def search(self, text: str):
        """By USCC (a full code, or the start of one) or by a part of the enterprise's name."""
        text = " ".join((text or "").split())
        if not text:
            return self
        code = text.upper()
        if len(code) == 18 and code.isalnum():
            return self.filter(uscc=code)
        if len(code) >= 6 and code.isalnum() and any(c.isdigit() for c in code):
            return self.filter(Q(uscc__startswith=code) | Q(enterprise_name__contains=text))
        if len(text) == 2 and connections[self.db].vendor == "postgresql":
            # No trigram in two characters: the name contains them (in any case) exactly when its bigram
            # column (migration 0004) holds them, and that column has an index and element statistics.
            return self.filter(RawSQL("name_bigrams @> ARRAY[%s]::text[]", [text.lower()], models.BooleanField()))
        if text.lower() == text.upper():  # no letters with a case (Chinese): a plain LIKE, index-friendly
            return self.filter(enterprise_name__contains=text)
        return self.filter(enterprise_name__icontains=text)

    def filtered(self, *, q="", year=None, quarter=None, tier="", outcome="", bureau=""):
        """The public search's filters; empty values mean "any". ``bureau`` is a bureau code."""
        qs = self.search(q)
        if year:
            qs = qs.filter(year=year)
        if quarter:
            qs = qs.filter(quarter=quarter)
        if tier:
            qs = qs.filter(tier=tier)
        if outcome:
            qs = qs.filter(outcome=outcome)
        if bureau:
            qs = qs.filter(bureau_code=bureau)
        return qs


class Publication(models.Model):
    """A published result: the public row, its deadline and who published it when. Never deleted."""

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="publication")
    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="+")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+", db_index=False)
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_by_name = models.CharField(_("published by"), max_length=150, blank=True)
    # The deadline: 20 working days after the inspection ended (DESIGN §3 rule 10).
    deadline = models.DateField(_("publication deadline"))
    deadline_provisional = models.BooleanField(
        _("deadline provisional"), default=False, help_text=_("The holiday calendar of a year counted is not loaded")
    )
    on_time = models.BooleanField(_("published on time"))
    # --- the public row (DESIGN §3 rule 10 and the national credit-publicity columns) ---
    published_on = models.DateField(_("publication date"))
    enterprise_name = models.CharField(_("enterprise"), max_length=200)
    uscc = models.CharField(_("USCC"), max_length=18)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    bureau_code = models.SlugField(_("bureau code"), max_length=32, db_index=False)
    bureau_name = models.CharField(_("inspecting authority"), max_length=100)
    plan_number = models.CharField(_("plan number"), max_length=80)
    plan_name = models.CharField(_("plan name"), max_length=120)
    plan_task_number = models.CharField(_("task number"), max_length=90)
    plan_task_name = models.CharField(_("task name"), max_length=120)
    inspection_number = models.CharField(_("inspection number"), max_length=60)
    draw_type = models.CharField(_("type of check"), max_length=12, choices=DrawType.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    inspected_from = models.DateField(_("inspection from"))
    inspected_on = models.DateField(_("inspection completed"))
    items_checked = models.TextField(_("items checked"))
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices)
    outcome_updated_at = models.DateTimeField(_("outcome updated at"), null=True, blank=True)
    # An objection of the enterprise: 异议处理中 while open, 经异议更正 once upheld (inspections.objections).
    objection = models.CharField(
        _("objection"), max_length=10, choices=PublicObjection.choices, default=PublicObjection.NONE, blank=True
    )

    objects = PublicationQuerySet.as_manager()

    # Digested into the audit trail at every transition (core.audit.state_digests); verify_audit compares.
    STATE_FIELDS = (
        "task_id",
        "draw_id",
        "bureau_id",
        "published_at",
        "published_by_id",
        "published_by_name",
        "deadline",
        "deadline_provisional",
        "on_time",
        "published_on",
        "enterprise_name",
        "uscc",
        "tier",
        "bureau_code",
        "bureau_name",
        "plan_number",
        "plan_name",
        "plan_task_number",
        "plan_task_name",
        "inspection_number",
        "draw_type",
        "year",
        "quarter",
        "inspected_from",
        "inspected_on",
        "items_checked",
        "outcome",
        "outcome_updated_at",
        "objection",
    )

    class Meta:
        db_table = "disclosure_publication"
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-published_at", "-id"]
        indexes = [
            # The public list's order, and the filters it combines with it.
            models.Index(fields=["-published_at", "-id"], name="pub_recent"),
            models.Index(fields=["bureau_code", "-published_at"], name="pub_bureau_recent"),
            models.Index(fields=["uscc"], name="pub_uscc"),
            models.Index(fields=["year", "quarter", "tier", "outcome"], name="pub_filters"),
            models.Index(fields=["bureau", "year"], name="pub_bureau_year"),
            # The public search filtered by year (and quarter), newest first, without walking other years.
            models.Index(fields=["year", "-published_at", "-id"], name="pub_year_recent"),
            models.Index(fields=["year", "quarter", "-published_at", "-id"], name="pub_year_quarter_recent"),
            models.Index(fields=["tier", "-published_at", "-id"], name="pub_tier_recent"),
            # A quarter without a year (e.g. every Q4) lies deep in pub_recent: 47,000 rows walked, 107 ms.
            models.Index(fields=["quarter", "-published_at", "-id"], name="pub_quarter_recent"),
        ]
        constraints = [
            *choice_checks(
                "publication", tier=Tier, draw_type=DrawType, outcome=Outcome, objection=(PublicObjection, "")
            )
        ]

    def __str__(self):
        return f"{self.inspection_number} {self.enterprise_name}"

    def delete(self, *args, **kwargs):
        raise PermissionError("Publications are never deleted.")


class Exemption(models.Model):
    """A result that is not published (state secrets, national or public security). Never public."""

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="exemption")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    source = models.CharField(_("decided"), max_length=16, choices=ExemptionSource.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_name = models.CharField(_("decided by"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("decided at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    STATE_FIELDS = ("task_id", "bureau_id", "reason", "source", "decided_by_id", "decided_by_name", "decided_at")

    class Meta:
        db_table = "disclosure_exemption"
        verbose_name = _("exemption from publication")
        verbose_name_plural = _("exemptions from publication")
        ordering = ["-decided_at", "-id"]
        constraints = [*choice_checks("exemption", source=ExemptionSource)]

    def __str__(self):
        return f"{self.task_id}: {self.reason[:40]}"


class Reminder(models.Model):
    """A reminder that a result is due soon or overdue, sent to the bureau's team leads.

    One per (task, kind, day): the daily scan creates the rows first and sends only the unsent ones,
    so running it twice on a day sends nothing new.
    """

    task = models.ForeignKey(InspectionTask, on_delete=models.PROTECT, related_name="+")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=ReminderKind.choices)
    day = models.DateField(_("day"))
    deadline = models.DateField(_("publication deadline"))
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "disclosure_reminder"
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-day", "task"]
        constraints = [
            models.UniqueConstraint(fields=["task", "kind", "day"], name="reminder_once_a_day"),
            *choice_checks("reminder", kind=ReminderKind),
        ]
        indexes = [models.Index(fields=["day", "bureau"], name="reminder_day_bureau")]

    def __str__(self):
        return f"{self.task_id} {self.kind} {self.day}"


class ObjectionQuerySet(models.QuerySet):
    def for_bureau(self, bureau):
        return self.filter(task__bureau=bureau)

    def open(self):
        return self.filter(status=ObjectionStatus.OPEN)


class Objection(models.Model):
    """The enterprise's objection (异议) to its published result, filed once through the objection QR code of
    the notice, and decided by a team lead: upheld (the result is corrected) or rejected with the reasons.

    Status written only by :mod:`inspections.objections`.
    """

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="objection")
    text = models.TextField(_("objection"))
    filed_by_name = models.CharField(_("filed by"), max_length=60)
    filed_at = models.DateTimeField(_("filed at"))
    # The decision is due 10 working days after the day of filing.
    due_on = models.DateField(_("decision due"))
    due_provisional = models.BooleanField(_("due date provisional"), default=False)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_name = models.CharField(_("decided by"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    old_outcome = models.CharField(_("outcome objected to"), max_length=24, choices=Outcome.choices)
    new_outcome = models.CharField(_("corrected outcome"), max_length=24, choices=Outcome.choices, blank=True)

    objects = ObjectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="objection_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ObjectionStatus.OPEN, decided_at__isnull=True)
                | Q(status__in=ObjectionStatus.decided(), decided_at__isnull=False),
                name="objection_decided_iff_decided_at",
            ),
            models.CheckConstraint(
                condition=~Q(status=ObjectionStatus.UPHELD) | ~Q(new_outcome=""),
                name="objection_upheld_has_new_outcome",
            ),
            *choice_checks("objection", status=ObjectionStatus, old_outcome=Outcome, new_outcome=(Outcome, "")),
        ]

    def __str__(self):
        return f"{self.task_id}: {self.get_status_display()}"


class ObjectionFile(models.Model):
    """A photo or document the enterprise filed with its objection (checked like the evidence)."""

    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(_("file"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=40, choices=AttachmentKind.choices)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("objection file")
        verbose_name_plural = _("objection files")
        ordering = ["objection", "id"]
        constraints = [*choice_checks("objectionfile", content_type=AttachmentKind)]

    def __str__(self):
        return self.original_name
