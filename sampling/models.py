"""Quota policies, plans, plan tasks and draws.

The inspection tasks an approved draw creates belong to the inspections app (:mod:`sampling.tasks`
says how sampling reaches them without importing it). State changes live in :mod:`sampling.plans` and
:mod:`sampling.draws`; these models only hold data and read helpers.
"""

import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.constraints import choice_checks
from core.models import Bureau
from enterprises.models import CheckItem, Enterprise

from .algorithm import ALGORITHM as CURRENT_ALGORITHM
from .enums import DrawChangeReason, DrawStatus, DrawStep, JointKind, PlanStatus, QuotaPreset

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]
TIER_FIELDS = (("special", "include_special"), ("key", "include_key"), ("general", "include_general"))


def _percent_field(label, **kwargs):
    return models.DecimalField(label, max_digits=5, decimal_places=2, validators=PERCENT, **kwargs)


class QuotaPolicy(models.Model):
    """A bureau's quota rules for one year (DESIGN §3 rule 5). Ratios are % of the eligible, per quarter."""

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="quota_policies")
    year = models.PositiveSmallIntegerField(_("year"))
    preset = models.CharField(_("preset"), max_length=20, choices=QuotaPreset.choices, default=QuotaPreset.CUSTOM)
    key_ratio = _percent_field(_("key units per quarter (%)"), default=Decimal(0))
    special_ratio = _percent_field(_("special units per quarter (%)"), default=Decimal(0))
    general_ratio = _percent_field(_("general units per quarter (%)"), default=Decimal(0))
    general_per_inspector_per_year = models.PositiveSmallIntegerField(
        _("general units a year per enforcement officer"),
        null=True,
        blank=True,
        help_text=_("10 means the 1:10 rule; empty means no such rule"),
    )
    key_once_a_year = models.BooleanField(_("every key unit at least once a year"), default=False)
    special_once_a_year = models.BooleanField(_("every special unit at least once a year"), default=False)
    special_every_quarter = models.BooleanField(_("every special unit at least once a quarter"), default=False)
    yearly_cap = models.PositiveSmallIntegerField(
        _("routine inspections a year per enterprise, at most"),
        null=True,
        blank=True,
        default=2,
        validators=[MinValueValidator(1)],
        help_text=_("Empty means no cap"),
    )
    exclude_positive_list = models.BooleanField(_("positive-list units are not drawn on site"), default=False)
    use_risk_weights = models.BooleanField(_("risk weights (more tickets for higher risk)"), default=False)
    team_size = models.PositiveSmallIntegerField(
        _("inspectors per enterprise"), default=2, validators=[MinValueValidator(2), MaxValueValidator(6)]
    )
    max_per_inspector = models.PositiveSmallIntegerField(
        _("enterprises per inspector per draw, at most"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: team size × drawn ÷ inspectors available, rounded up, plus one"),
    )
    quarters = models.PositiveSmallIntegerField(
        _("quarters with draws"), default=4, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("quota policy")
        verbose_name_plural = _("quota policies")
        ordering = ["bureau", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "year"], name="quotapolicy_unique_year"),
            *choice_checks("quotapolicy", preset=QuotaPreset),
        ]

    def __str__(self):
        return f"{self.bureau.short_name} {self.year}"


class Plan(models.Model):
    """An annual random-inspection plan (抽查计划), numbered ``{short name}抽查〔{year}〕{n}号``."""

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="plans")
    year = models.PositiveSmallIntegerField(_("year"))
    seq = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("plan name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The day the plan was filed with the higher authority (seed 003: by 31 December of the year before).
    filed_on = models.DateField(_("filed with the higher authority on"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-year", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "year", "seq"], name="plan_unique_number"),
            *choice_checks("plan", status=PlanStatus),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    @property
    def number(self) -> str:
        return f"{self.bureau.short_name}抽查〔{self.year}〕{self.seq}号"


class PlanTask(models.Model):
    """A task of a plan (抽查任务): what is checked, among whom, how many, when, with whom."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="tasks")
    seq = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("task name"), max_length=120)
    check_items = models.ManyToManyField(CheckItem, verbose_name=_("inspection items"), related_name="+")
    include_special = models.BooleanField(_("special units"), default=False)
    include_key = models.BooleanField(_("key units"), default=False)
    include_general = models.BooleanField(_("general units"), default=False)
    tag_conditions = models.JSONField(
        _("tag conditions"), default=dict, blank=True, help_text=_("Empty for an untargeted draw")
    )
    ratio_override = _percent_field(
        _("task's own ratio per quarter (%)"),
        null=True,
        blank=True,
        help_text=_("Replaces the policy's ratio for every tier of this task; coverage rules still apply"),
    )
    draw_from = models.DateField(_("draws from"))
    draw_until = models.DateField(_("draws until"))
    inspect_from = models.DateField(_("inspections from"))
    inspect_until = models.DateField(_("inspections until"))
    joint_kind = models.CharField(_("joint inspection"), max_length=12, choices=JointKind.choices, default="none")
    joint_units = models.CharField(_("joint units"), max_length=255, blank=True)
    add_expert = models.BooleanField(
        _("add an expert by industry"),
        default=False,
        help_text=_("On approval, an expert of the enterprise's industry joins each team (outside the draw)"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("plan task")
        verbose_name_plural = _("plan tasks")
        ordering = ["plan", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="plantask_unique_number"),
            models.CheckConstraint(condition=Q(draw_until__gte=models.F("draw_from")), name="plantask_draw_dates"),
            models.CheckConstraint(
                condition=Q(inspect_until__gte=models.F("inspect_from")), name="plantask_inspect_dates"
            ),
            *choice_checks("plantask", joint_kind=JointKind),
        ]

    def __str__(self):
        return f"{self.plan.number} · {self.seq}. {self.name}"

    @property
    def tiers(self) -> list[str]:
        return [tier for tier, attr in TIER_FIELDS if getattr(self, attr)]

    @property
    def is_targeted(self) -> bool:
        return bool(self.tag_conditions)


class DrawQuerySet(models.QuerySet):
    def for_bureau(self, bureau):
        return self.filter(bureau=bureau)

    def open(self):
        return self.filter(status__in=DrawStatus.open_states())


class Draw(models.Model):
    """One quarterly draw of a task: the frozen pool, the ceremony, the result and its approval."""

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="draws")
    task = models.ForeignKey(PlanTask, on_delete=models.PROTECT, related_name="draws")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    seq = models.PositiveSmallIntegerField(_("draw number"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=DrawStatus.choices, default=DrawStatus.CREATED)
    inspect_from = models.DateField(_("inspections from"))
    inspect_until = models.DateField(_("inspections until"))
    # Frozen at creation: who is eligible and how many are drawn (the bulky parts are in DrawData).
    policy = models.JSONField(_("quota policy applied"), default=dict)
    conditions = models.JSONField(_("tag conditions applied"), default=dict, blank=True)
    quotas = models.JSONField(_("quotas"), default=list)
    pool_hash = models.CharField(_("pool hash"), max_length=64)
    member_count = models.PositiveIntegerField(_("enterprises in the pool"), default=0)
    excluded_count = models.PositiveIntegerField(_("enterprises excluded"), default=0)
    inspectors_hash = models.CharField(_("inspector pool hash"), max_length=64)
    team_size = models.PositiveSmallIntegerField(_("inspectors per enterprise"), default=2)
    max_per_inspector = models.PositiveSmallIntegerField(_("enterprises per inspector, at most"), default=1)
    nonce = models.CharField(max_length=64, help_text=_("Secret until the draw is run"))
    # The published algorithm the draw is run and replayed with (docs/draw-algorithm.md); fixed at creation.
    algorithm = models.CharField(_("algorithm"), max_length=20, default=CURRENT_ALGORITHM, editable=False)
    nonce_hash = models.CharField(_("nonce hash"), max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The ceremony.
    witnesses = models.TextField(_("witnesses"), blank=True)
    witness_input = models.CharField(_("witness input"), max_length=200, blank=True)
    seed = models.CharField(_("seed"), max_length=64, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    executed_by_name = models.CharField(max_length=150, blank=True)
    executed_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    selected_count = models.PositiveIntegerField(_("enterprises drawn"), default=0)
    # Approval, rejection or cancellation.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by_name = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_by_name = models.CharField(max_length=150, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # A team lead's reason for drawing more than what remains of the quarter's quota (audited, shown).
    quota_exceed_reason = models.TextField(_("reason for exceeding the quarter's quota"), blank=True)

    objects = DrawQuerySet.as_manager()

    # Digested into the audit trail at every transition (core.audit.state_digests); verify_audit compares.
    STATE_FIELDS = (
        "bureau_id",
        "task_id",
        "year",
        "quarter",
        "seq",
        "status",
        "inspect_from",
        "inspect_until",
        "policy",
        "conditions",
        "quotas",
        "pool_hash",
        "member_count",
        "excluded_count",
        "inspectors_hash",
        "team_size",
        "max_per_inspector",
        "nonce",
        "algorithm",
        "nonce_hash",
        "created_by_id",
        "created_by_name",
        "created_at",
        "witnesses",
        "witness_input",
        "seed",
        "executed_by_id",
        "executed_by_name",
        "executed_at",
        "selected_count",
        "approved_by_id",
        "approved_by_name",
        "approved_at",
        "rejected_by_id",
        "rejected_by_name",
        "rejected_at",
        "rejection_reason",
        "cancelled_at",
        "cancel_reason",
    )

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "quarter", "seq"], name="draw_unique_seq"),
            models.UniqueConstraint(
                fields=["task", "quarter"],
                condition=Q(status__in=["created", "drawn"]),
                name="draw_one_open_per_task_quarter",
            ),
            *choice_checks("draw", status=DrawStatus),
        ]
        indexes = [models.Index(fields=["bureau", "year", "quarter"])]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"{self.task.plan.number}-{self.task.seq}-{self.year}Q{self.quarter}-{self.seq}"

    @property
    def label_prefix(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def is_locked(self) -> bool:
        return self.status == DrawStatus.APPROVED

    def runners(self) -> set[int]:
        """The users who ran this draw (created it or held the ceremony): they may not approve it."""
        return {pk for pk in (self.created_by_id, self.executed_by_id) if pk}


class JSONTextField(models.TextField):
    """JSON kept as plain text: for large documents that are read whole and never queried inside.

    A province draw's documents run to megabytes; PostgreSQL parses ``jsonb`` input at about 0.1 s
    per MB and prints it back on every read, where text costs nothing. Values are Python objects,
    as with ``JSONField``.
    """

    stores_json_text = True  # core.audit digests the stored text without decoding the field first

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ValidationError(_("Enter valid JSON.")) from exc
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


class DrawData(models.Model):
    """A draw's bulky frozen data, kept off the draw's row so lists and updates stay light."""

    draw = models.OneToOneField(Draw, primary_key=True, on_delete=models.PROTECT, related_name="data")
    pool_json = models.TextField(_("pool: canonical JSON of the strata, as hashed"))
    member_ids = JSONTextField(
        _("enterprise ids of each stratum's members, in the pool's order"), default=dict, blank=True
    )
    exclusions = JSONTextField(_("excluded enterprises with reasons"), default=list)
    inspectors = JSONTextField(_("inspector pool, team size, workload cap and exclusions"), default=dict)
    staffing = JSONTextField(_("unavailable inspectors and reasons for excluded pairs"), default=dict)
    result = JSONTextField(_("result"), null=True, blank=True)

    STATE_FIELDS = ("pool_json", "member_ids", "exclusions", "inspectors", "staffing", "result")
    # Written once, at creation (the trigger of migration 0007 refuses any change to them).
    FROZEN_FIELDS = ("pool_json", "member_ids", "exclusions", "inspectors", "staffing")

    class Meta:
        verbose_name = _("draw data")
        verbose_name_plural = _("draw data")

    def __str__(self):
        return str(self.draw_id)


class DrawEntry(models.Model):
    """A drawn enterprise, or one of the first of a stratum's reserve, in the recorded order.

    The complete order of every stratum is in ``DrawData.result``; rows exist for the selected
    enterprises and the head of each reserve (as many as were selected, at least ten).
    """

    # No index of its own: it leads both unique constraints below, whose indexes serve its lookups.
    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="entries", db_index=False)
    stratum = models.CharField(_("stratum"), max_length=80)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="draw_entries")
    position = models.PositiveIntegerField(_("position"))
    selected = models.BooleanField(_("selected"))

    class Meta:
        verbose_name = _("draw entry")
        verbose_name_plural = _("draw entries")
        ordering = ["draw", "id"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "enterprise"], name="drawentry_unique_enterprise"),
            models.UniqueConstraint(fields=["draw", "stratum", "position"], name="drawentry_unique_position"),
        ]

    def __str__(self):
        return f"{self.stratum} #{self.position}"


class DrawChange(models.Model):
    """A replacement made to a drawn list before its tasks exist, by the published rule, with its reason.

    At the ceremony and at approval the list is re-checked: an enterprise that reached the yearly cap
    meanwhile is replaced by the next eligible one of its stratum's recorded reserve (``kind`` enterprise),
    and a team member no longer available (recused, on leave, certificate, inactive) by the next eligible
    inspector in the enterprise's published candidate order (``kind`` inspector). ``details`` lists what was
    skipped and why, so the public can replay who replaced whom from the seed.
    """

    ENTERPRISE = "enterprise"
    INSPECTOR = "inspector"

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="changes")
    step = models.CharField(_("step"), max_length=10, choices=DrawStep.choices)
    kind = models.CharField(
        _("kind"), max_length=10, choices=[(ENTERPRISE, _("Enterprise")), (INSPECTOR, _("Inspector"))]
    )
    stratum = models.CharField(_("stratum"), max_length=80)
    uscc = models.CharField(_("enterprise (USCC)"), max_length=18, help_text=_("The enterprise whose team changed"))
    old = models.CharField(_("replaced"), max_length=40)
    new = models.CharField(_("replaced by"), max_length=40)
    reason = models.CharField(_("reason"), max_length=12, choices=DrawChangeReason.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("change before the tasks")
        verbose_name_plural = _("changes before the tasks")
        ordering = ["draw", "id"]
        constraints = [
            *choice_checks("drawchange", step=DrawStep, reason=DrawChangeReason),
            models.CheckConstraint(condition=Q(kind__in=["enterprise", "inspector"]), name="drawchange_kind_valid"),
        ]

    def __str__(self):
        return f"{self.draw_id} {self.kind} {self.old} → {self.new}"
