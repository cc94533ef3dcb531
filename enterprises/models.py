import calendar
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models.functions import Greatest, Least
from django.utils.translation import gettext_lazy as _

from core.constraints import choice_checks
from core.models import Bureau, ImportUpload

from .enums import (
    POLLUTION_TYPES,
    ConstructionStatus,
    CreditRating,
    EnterpriseStatus,
    MonitoringType,
    PerformanceGrade,
    PermitCategory,
    ProductionCycle,
    RecordKind,
    Scale,
    Tier,
)

# Risk (see ``enterprises.services.risk_weights``): the defaults of a bureau's rule (:class:`RiskRule`).
# Records of the last RISK_WINDOW_YEARS years count, at most RISK_RECORDS_CAP of them.
RISK_WINDOW_YEARS = 3
RISK_RECORDS_CAP = 3
# Extra draw tickets from the credit rating (any other rating adds none).
RISK_CREDIT_TERMS = {CreditRating.WARNING: 1, CreditRating.BAD: 2}
# A penalty on record in the last RISK_PENALTY_MONTHS months lifts the weight to at least the rule's
# ``penalty_weight`` (0 by default: no floor).
RISK_PENALTY_MONTHS = 12
# The clean-inspection term: an enterprise whose last RISK_CLEAN_STREAK published inspection results all found no
# problem (未发现问题), with no penalty in the penalty window, holds at most RISK_CLEAN_WEIGHT tickets (issue 16
# item 3: "three clean inspections: weight 1").
RISK_CLEAN_STREAK = 3
RISK_CLEAN_WEIGHT = 1

# Single-valued tags a targeted draw or the list page filters on by equality.
TAG_FIELDS = (
    "tier",
    "status",
    "construction_status",
    "scale",
    "production_cycle",
    "monitoring_type",
    "performance_grade",
    "permit_category",
    "credit_rating",
    "positive_list",
    "city_controlled_key",
)


def risk_window_start(as_of: date, years: int = RISK_WINDOW_YEARS) -> date:
    """Records dated after this day (and not after ``as_of``) count towards the risk weight."""
    return _years_before(as_of, years)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the month's last day when it has fewer days)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


class Division(models.Model):
    """An administrative division (GB/T 2260 county, and its towns), shipped as a versioned fixture."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Industry(models.Model):
    """A GB/T 4754-2017 industry: section letter, 2-digit division, 3-digit group or 4-digit class."""

    code = models.CharField(_("code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class NoDeleteQuerySet(models.QuerySet):
    """Registry rows are never hard-deleted: closing, deactivating or correcting is a recorded change."""

    def delete(self):
        raise PermissionError(f"{self.model._meta.verbose_name_plural} are never deleted.")


class NoDeleteModel(models.Model):
    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self._meta.verbose_name} rows are never deleted.")


class EnterpriseQuerySet(NoDeleteQuerySet):
    def for_bureau(self, bureau):
        return self.filter(bureau=bureau)

    def drawable(self):
        """Enterprises that may be drawn for an on-site inspection (suspended and closed ones may not)."""
        return self.filter(status__in=EnterpriseStatus.drawable())

    def search(self, text: str):
        """Name contains ``text``, or the USCC contains it (case-insensitive)."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(models.Q(name__icontains=text) | models.Q(uscc__icontains=text.upper()))

    def in_division(self, code: str):
        """In the administrative division ``code`` or any division below it (towns of a county…)."""
        return self.filter(
            models.Q(division__code=code)
            | models.Q(division__parent__code=code)
            | models.Q(division__parent__parent__code=code)
            | models.Q(division__parent__parent__parent__code=code)
        )

    def in_industry(self, code: str):
        """In the GB/T 4754 industry ``code`` (a section letter, division, group or class) or below it."""
        code = (code or "").strip().upper()
        if code.isdigit():
            return self.filter(industry__code__startswith=code)  # numeric codes nest by prefix
        return self.filter(
            models.Q(industry__code=code)
            | models.Q(industry__parent__code=code)
            | models.Q(industry__parent__parent__code=code)
            | models.Q(industry__parent__parent__parent__code=code)
        )

    def with_pollution(self, *types: str):
        """Producing every one of the pollution ``types`` (water, air, noise, solid)."""
        return self.filter(**{f"pollutes_{t}": True for t in types})

    def tagged(self, **tags):
        """Filter by tags (标识化管理), as a targeted draw does. Empty values mean "any".

        Keys: ``tier``, ``status``, ``division`` (code), ``industry`` (code), ``pollution`` (a type or a
        list of types), ``construction_status``, ``scale``, ``production_cycle``, ``monitoring_type``,
        ``performance_grade``, ``permit_category``, ``credit_rating``, ``positive_list`` (bool),
        ``city_controlled_key`` (bool).
        """
        qs = self
        for key, value in tags.items():
            if value is None or value in ("", []):
                continue
            if key == "division":
                qs = qs.in_division(value)
            elif key == "industry":
                qs = qs.in_industry(value)
            elif key == "pollution":
                qs = qs.with_pollution(*([value] if isinstance(value, str) else value))
            elif key in TAG_FIELDS:
                qs = qs.filter(**{key: value})
            else:
                raise TypeError(f"unknown tag {key!r}")
        return qs

    def with_risk_weight(self, as_of: date, *, rule: "RiskRule | None" = None):
        """Annotate ``recent_records``, ``recent_penalties`` and ``risk_weight`` under ``rule`` (the defaults
        when None); see ``enterprises.services.risk_weights``."""
        rule = rule or RiskRule()
        start = _years_before(as_of, rule.window_years)
        recent = models.Count(
            "records", filter=models.Q(records__date__gt=start, records__date__lte=as_of), distinct=True
        )
        penalty_start = months_before(as_of, rule.penalty_months)
        penalties = models.Count(
            "records",
            filter=models.Q(
                records__kind=RecordKind.PENALTY, records__date__gt=penalty_start, records__date__lte=as_of
            ),
            distinct=True,
        )
        credit = models.Case(
            *(models.When(credit_rating=rating, then=models.Value(term)) for rating, term in rule.credit_terms.items()),
            default=models.Value(0),
            output_field=models.IntegerField(),
        )
        summed = (
            models.Value(1)
            + Least(models.F("recent_records"), models.Value(rule.records_cap), output_field=models.IntegerField())
            + credit
        )
        if rule.penalty_weight:
            floor = models.Case(
                models.When(recent_penalties__gt=0, then=models.Value(rule.penalty_weight)),
                default=models.Value(1),
                output_field=models.IntegerField(),
            )
            summed = Greatest(summed, floor, output_field=models.IntegerField())
        qs = self.annotate(recent_records=recent, recent_penalties=penalties)
        if rule.clean_streak:
            qs = qs.annotate(**clean_streak_annotations(as_of, rule.clean_streak))
            summed = models.Case(
                models.When(
                    clean_streak_ok(),
                    then=Least(summed, models.Value(rule.clean_weight), output_field=models.IntegerField()),
                ),
                default=summed,
                output_field=models.IntegerField(),
            )
        return qs.annotate(risk_weight=summed)


def clean_streak_annotations(as_of: date, streak: int) -> dict:
    """``streak_from``: the day of the ``streak``-th newest inspection result published up to ``as_of`` (None when
    fewer are on record); ``last_problem``: the day of the newest of them that was not clean (None: none).

    The enterprise's last ``streak`` results are all clean when ``streak_from`` is set and ``last_problem`` is
    None or earlier than ``streak_from``. Results are ordered by the day of the inspection; on one day, a result
    with a problem counts as the later one (two inspections of one enterprise on one day are not ordered by
    anything a person could check). Two index lookups per enterprise (``insprecord_enterprise_day``).
    """
    published = InspectionRecord.objects.filter(enterprise=models.OuterRef("pk"), published_on__lte=as_of)
    return {
        "streak_from": models.Subquery(
            published.order_by("-inspected_on", "-id").values("inspected_on")[streak - 1 : streak]
        ),
        "last_problem": models.Subquery(
            published.filter(clean=False).order_by("-inspected_on").values("inspected_on")[:1]
        ),
    }


def clean_streak_ok() -> models.Q:
    """The condition of the clean-inspection term over :func:`clean_streak_annotations` and ``recent_penalties``."""
    return (
        models.Q(streak_from__isnull=False)
        & (models.Q(last_problem__isnull=True) | models.Q(last_problem__lt=models.F("streak_from")))
        & models.Q(recent_penalties=0)
    )


class Enterprise(NoDeleteModel):
    """One entry of the enterprise registry (检查对象名录库). Never hard-deleted."""

    # No separate indexes on bureau, tier and status: the (bureau, uscc) and (bureau, tier, status) indexes
    # below serve those lookups, and every index slows the import of large registries.
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="enterprises", db_index=False)
    uscc = models.CharField(_("USCC"), max_length=18, help_text=_("Unified social credit code, 18 characters"))
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=60, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    # Where the one-time codes of a check-in and an evaluation go (only the enterprise can confirm them).
    contact_email = models.EmailField(_("contact e-mail"), max_length=254, blank=True)
    environmental_officer = models.CharField(_("environmental officer"), max_length=60, blank=True)
    division = models.ForeignKey(
        Division, verbose_name=_("administrative division"), null=True, blank=True, on_delete=models.PROTECT
    )
    authority = models.CharField(_("competent authority"), max_length=100, blank=True)
    river_basin = models.CharField(_("river basin"), max_length=60, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    industry = models.ForeignKey(Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT)
    pollutes_water = models.BooleanField(_("water pollution"), default=False)
    pollutes_air = models.BooleanField(_("air pollution"), default=False)
    pollutes_noise = models.BooleanField(_("noise pollution"), default=False)
    pollutes_solid = models.BooleanField(_("solid waste"), default=False)
    production_start = models.DateField(_("start of production"), null=True, blank=True)
    products_and_scale = models.CharField(_("products and scale"), max_length=255, blank=True)
    permit_number = models.CharField(_("pollution permit number"), max_length=40, blank=True)
    permit_category = models.CharField(
        _("permit category"), max_length=16, choices=PermitCategory.choices, default=PermitCategory.NONE
    )
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.GENERAL)
    status = models.CharField(
        _("status"), max_length=12, choices=EnterpriseStatus.choices, default=EnterpriseStatus.OPERATING
    )
    status_since = models.DateField(_("status since"), null=True, blank=True)
    # Tags (标识化管理) used by targeted draws.
    construction_status = models.CharField(
        _("construction status"),
        max_length=20,
        choices=ConstructionStatus.choices,
        default=ConstructionStatus.IN_PRODUCTION,
    )
    scale = models.CharField(_("production scale"), max_length=8, choices=Scale.choices, default=Scale.SMALL)
    production_cycle = models.CharField(
        _("production cycle"), max_length=12, choices=ProductionCycle.choices, default=ProductionCycle.CONTINUOUS
    )
    monitoring_type = models.CharField(
        _("monitoring type"), max_length=10, choices=MonitoringType.choices, default=MonitoringType.NONE
    )
    performance_grade = models.CharField(
        _("performance grade"), max_length=8, choices=PerformanceGrade.choices, default=PerformanceGrade.NONE
    )
    credit_rating = models.CharField(
        _("credit rating"), max_length=10, choices=CreditRating.choices, default=CreditRating.NONE
    )
    positive_list = models.BooleanField(_("on the positive list"), default=False)
    city_controlled_key = models.BooleanField(
        _("city-controlled or higher key emitter"),
        default=False,
        help_text=_("Key emitters controlled by the city or above must be in the key tier"),
    )
    # The criteria the tier follows from (see ``enterprises.services.classify_tier``).
    key_criteria = models.BooleanField(
        _("meets the key-tier criteria"),
        default=False,
        help_text=_("e.g. on the list of key pollutant discharge units, or a key-management permit"),
    )
    special_criteria = models.BooleanField(
        _("meets the special-tier criteria"),
        default=False,
        help_text=_("e.g. environmental violations or management problems that call for closer supervision"),
    )
    general_criteria = models.BooleanField(
        _("meets the general-tier criteria"),
        default=False,
        help_text=_("e.g. the criteria the bureau set for general supervision; the positive list counts as one"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "uscc"], name="enterprise_unique_uscc_per_bureau"),
            *choice_checks(
                "enterprise",
                permit_category=PermitCategory,
                tier=Tier,
                status=EnterpriseStatus,
                construction_status=ConstructionStatus,
                scale=Scale,
                production_cycle=ProductionCycle,
                monitoring_type=MonitoringType,
                performance_grade=PerformanceGrade,
                credit_rating=CreditRating,
            ),
        ]
        indexes = [
            models.Index(fields=["bureau", "tier", "status"]),
            models.Index(fields=["uscc"]),
        ]

    def __str__(self):
        return self.name

    @property
    def pollution_types(self) -> list[str]:
        return [name for name in ("water", "air", "noise", "solid") if getattr(self, f"pollutes_{name}")]

    @property
    def pollution_labels(self) -> list[str]:
        labels = dict(POLLUTION_TYPES)
        return [labels[name] for name in self.pollution_types]

    @property
    def is_drawable(self) -> bool:
        return self.status in EnterpriseStatus.drawable()


class EnterpriseStatusChange(NoDeleteModel):
    """A dated change of an enterprise's status, kept for ever."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="status_changes")
    old_status = models.CharField(_("old status"), max_length=12, choices=EnterpriseStatus.choices, blank=True)
    new_status = models.CharField(_("new status"), max_length=12, choices=EnterpriseStatus.choices)
    effective_date = models.DateField(_("effective date"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-effective_date", "-id"]
        constraints = [
            *choice_checks("enterprisestatuschange", old_status=(EnterpriseStatus, ""), new_status=EnterpriseStatus)
        ]

    def __str__(self):
        return f"{self.enterprise_id}: {self.old_status} → {self.new_status} ({self.effective_date})"


class EnterpriseRecord(NoDeleteModel):
    """A violation, complaint or penalty on record: feeds the enterprise's risk weight."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="records")
    kind = models.CharField(_("kind"), max_length=10, choices=RecordKind.choices)
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=255)
    reference = models.CharField(_("reference"), max_length=80, blank=True, help_text=_("e.g. a case number"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("violation or complaint")
        verbose_name_plural = _("violations and complaints")
        ordering = ["-date", "-id"]
        constraints = [*choice_checks("enterpriserecord", kind=RecordKind)]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date}: {self.description}"


class InspectionRecord(NoDeleteModel):
    """A published inspection result on the enterprise's record: the day of the inspection and whether it was
    clean (未发现问题). It feeds the clean-inspection term of the risk weight (:class:`RiskRule`).

    Why a table here rather than a query of the publications: this app lies below the inspections app and
    may not read its tables, and the weight of every enterprise of a bureau is one query of this app's own
    tables. The publication module (``inspections.publication``), which owns the publication and every later
    change of a published outcome, keeps this row in step in the same transaction through
    ``enterprises.services.inspection_record_set`` (created at publication, ``clean`` changed when the published
    outcome is corrected); ``manage.py backfill_inspection_records`` writes the rows of results published
    before this table existed, and repairs any row left behind. One row per inspection task, never deleted.
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="inspection_records")
    # The inspection task's id (``sampling_inspectiontask``; no foreign key: that table lies in a higher app).
    task_id = models.BigIntegerField(_("inspection task"), unique=True)
    number = models.CharField(_("inspection number"), max_length=40)
    inspected_on = models.DateField(_("inspected on"))
    published_on = models.DateField(_("published on"))
    clean = models.BooleanField(_("no problem found"))
    recorded_at = models.DateTimeField(_("recorded at"))
    updated_at = models.DateTimeField(_("updated at"))

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("published inspection result")
        verbose_name_plural = _("published inspection results")
        ordering = ["-inspected_on", "-id"]
        indexes = [models.Index(fields=["enterprise", "inspected_on"], name="insprecord_enterprise_day")]

    def __str__(self):
        return f"{self.number} {self.inspected_on}: {'clean' if self.clean else 'problem'}"


#: The rule's parameters, with the range the edit form and the database allow (issue 16 item 3).
RISK_RULE_LIMITS = {
    "window_years": (1, 10),
    "records_cap": (0, 20),
    "warning_term": (0, 20),
    "bad_term": (0, 20),
    "penalty_months": (1, 60),
    "penalty_weight": (0, 50),
    "clean_streak": (0, 10),
    "clean_weight": (1, 50),
}
RISK_RULE_FIELDS = tuple(RISK_RULE_LIMITS)


class RiskRule(models.Model):
    """A bureau's published risk weight rule, kept by its administrator (a bureau without a row uses the
    defaults). The weight of an enterprise in a draw that uses risk weights is

        max(1 + min(violations, complaints and penalties on record in the last ``window_years`` years,
                    ``records_cap``)
              + ``warning_term`` (credit rating 警示) or ``bad_term`` (不良),
            ``penalty_weight`` if a penalty is on record in the last ``penalty_months`` months)

    (``penalty_weight`` 0: no such floor), and at most ``clean_weight`` when the enterprise's last
    ``clean_streak`` published inspection results all found no problem (未发现问题) and no penalty is on record in
    the last ``penalty_months`` months (``clean_streak`` 0: no such ceiling; see :class:`InspectionRecord`).
    Changed only by ``enterprises.services.risk_rule_update``.
    """

    bureau = models.OneToOneField(Bureau, on_delete=models.PROTECT, related_name="risk_rule")
    window_years = models.PositiveSmallIntegerField(_("years of records that count"), default=RISK_WINDOW_YEARS)
    records_cap = models.PositiveSmallIntegerField(_("at most this many records count"), default=RISK_RECORDS_CAP)
    warning_term = models.PositiveSmallIntegerField(
        _("tickets added for the credit rating 警示"), default=RISK_CREDIT_TERMS[CreditRating.WARNING]
    )
    bad_term = models.PositiveSmallIntegerField(
        _("tickets added for the credit rating 不良"), default=RISK_CREDIT_TERMS[CreditRating.BAD]
    )
    penalty_months = models.PositiveSmallIntegerField(
        _("months in which a penalty sets a lowest weight"), default=RISK_PENALTY_MONTHS
    )
    penalty_weight = models.PositiveSmallIntegerField(_("lowest weight after a recent penalty"), default=0)
    clean_streak = models.PositiveSmallIntegerField(
        _("clean inspections in a row that lower the weight"), default=RISK_CLEAN_STREAK
    )
    clean_weight = models.PositiveSmallIntegerField(
        _("highest weight after clean inspections in a row"), default=RISK_CLEAN_WEIGHT
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by_name = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("risk weight rule")
        verbose_name_plural = _("risk weight rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__gte": low, f"{name}__lte": high}),
                name=f"riskrule_{name}_{low}_{high}",
            )
            for name, (low, high) in RISK_RULE_LIMITS.items()
        ]

    def __str__(self):
        return str(self.bureau)

    @classmethod
    def of(cls, bureau) -> "RiskRule":
        """The bureau's rule: its row, or the defaults (unsaved) when it has none."""
        return cls.objects.filter(bureau=bureau).first() or cls(bureau=bureau)

    def values(self) -> dict:
        """The rule's parameters (what a draw records and the edit form compares)."""
        return {name: getattr(self, name) for name in RISK_RULE_FIELDS}

    @property
    def credit_terms(self) -> dict:
        return {CreditRating.WARNING: self.warning_term, CreditRating.BAD: self.bad_term}

    @property
    def highest(self) -> int:
        return max(1 + self.records_cap + max(self.warning_term, self.bad_term), self.penalty_weight)

    def snapshot(self) -> dict:
        """The rule as a draw applies it (JSON-ready): its parameters and when it was last changed."""
        return {
            **self.values(),
            "changed_at": self.updated_at.isoformat() if self.updated_at else None,
        }


class CheckItemQuerySet(NoDeleteQuerySet):
    def active(self):
        return self.filter(active=True)

    def for_tier(self, tier: str):
        return self.filter(**{f"applies_to_{tier}": True})


class CheckItem(NoDeleteModel):
    """An item of the checklist (抽查事项清单): what is inspected, on which legal basis, how."""

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="check_items")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("inspection item"), max_length=120)
    category = models.CharField(_("category"), max_length=60, blank=True)
    legal_basis = models.TextField(_("legal basis"))
    content = models.TextField(_("content"))
    method = models.CharField(_("method"), max_length=200)
    applies_to_general = models.BooleanField(_("applies to general tier"), default=True)
    applies_to_key = models.BooleanField(_("applies to key tier"), default=True)
    applies_to_special = models.BooleanField(_("applies to special tier"), default=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = CheckItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist")
        ordering = ["bureau", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["bureau", "code"], name="checkitem_unique_code_per_bureau")]

    def __str__(self):
        return f"{self.code} {self.name}"

    def applies_to(self, tier: str) -> bool:
        return getattr(self, f"applies_to_{tier}")


class EnterpriseImport(ImportUpload):
    """An uploaded registry spreadsheet handed to a background import (see ``core.models.ImportUpload``)."""

    class Meta(ImportUpload.Meta):
        verbose_name = _("enterprise import")
        verbose_name_plural = _("enterprise imports")

    def __str__(self):
        return self.filename
