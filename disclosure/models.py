"""Publication of results (一公开): the published rows, the exemptions and the reminders sent.

A :class:`Publication` carries a denormalised copy of exactly the public fields of DESIGN §3 rule 10
(enterprise, USCC, plan and task names and numbers, inspection dates, items checked, outcome,
bureau, publication date), so the public site reads this one table — one indexed query, no joins —
and can never reach a row that was not published. State changes live in :mod:`disclosure.services`.
"""

from django.conf import settings
from django.db import connections, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from core.models import Bureau
from enterprises.enums import Tier
from inspections.enums import Outcome
from sampling.models import Draw, InspectionTask

from .enums import DrawType, ExemptionSource, ReminderKind

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

    objects = PublicationQuerySet.as_manager()

    class Meta:
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

    class Meta:
        verbose_name = _("exemption from publication")
        verbose_name_plural = _("exemptions from publication")
        ordering = ["-decided_at", "-id"]

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
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-day", "task"]
        constraints = [models.UniqueConstraint(fields=["task", "kind", "day"], name="reminder_once_a_day")]
        indexes = [models.Index(fields=["day", "bureau"], name="reminder_day_bureau")]

    def __str__(self):
        return f"{self.task_id} {self.kind} {self.day}"
