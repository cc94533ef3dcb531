from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.constraints import choice_checks
from core.models import Bureau, ImportUpload
from enterprises.models import Division, Enterprise, Industry

from .enums import EXPIRING_WITHIN_DAYS, CertificateStatus, ExpertKind, InspectorKind

HAS_CERTIFICATE = (
    ~Q(certificate_number="") & Q(certificate_valid_from__isnull=False) & Q(certificate_valid_until__isnull=False)
)


class InspectorQuerySet(models.QuerySet):
    def for_bureau(self, bureau):
        return self.filter(bureau=bureau)

    def active(self):
        return self.filter(active=True)

    def search(self, text: str):
        """Name, staff code or certificate number containing ``text``."""
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(code__icontains=text) | Q(certificate_number__icontains=text))

    def with_certificate_status(self, status: str, today: date):
        """Inspectors whose certificate is in ``status`` (a :class:`CertificateStatus`) on ``today``."""
        soon = today + timedelta(days=EXPIRING_WITHIN_DAYS)
        conditions = {
            CertificateStatus.VALID: HAS_CERTIFICATE
            & Q(certificate_valid_from__lte=today, certificate_valid_until__gt=soon),
            CertificateStatus.EXPIRING: HAS_CERTIFICATE
            & Q(
                certificate_valid_from__lte=today, certificate_valid_until__gte=today, certificate_valid_until__lte=soon
            ),
            CertificateStatus.EXPIRED: HAS_CERTIFICATE & Q(certificate_valid_until__lt=today),
            CertificateStatus.NOT_YET_VALID: HAS_CERTIFICATE
            & Q(certificate_valid_from__gt=today, certificate_valid_until__gte=today),
            CertificateStatus.NONE: ~HAS_CERTIFICATE,
        }
        return self.filter(conditions[status])

    def on_leave_between(self, start: date, end: date):
        """Inspectors with a leave period overlapping [start, end]."""
        return self.filter(Exists(LeavePeriod.objects.overlapping(start, end).filter(inspector=OuterRef("pk"))))

    def not_on_leave_between(self, start: date, end: date):
        return self.exclude(Exists(LeavePeriod.objects.overlapping(start, end).filter(inspector=OuterRef("pk"))))

    def certified_between(self, start: date, end: date):
        """Holding an enforcement certificate valid on every day from start to end."""
        return self.filter(certificate_valid_from__lte=start, certificate_valid_until__gte=end).exclude(
            certificate_number=""
        )


class Inspector(models.Model):
    """One entry of the inspector registry (检查人员名录库). Transferred staff become inactive, never deleted."""

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="inspectors")
    code = models.CharField(_("staff code"), max_length=20)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="inspector"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=InspectorKind.choices, default=InspectorKind.ENFORCEMENT)
    unit = models.CharField(_("unit"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    certificate_number = models.CharField(_("enforcement certificate number"), max_length=40, blank=True)
    certificate_valid_from = models.DateField(_("certificate valid from"), null=True, blank=True)
    certificate_valid_until = models.DateField(_("certificate valid until"), null=True, blank=True)
    specialties = models.ManyToManyField(Industry, verbose_name=_("specialties"), blank=True, related_name="+")
    specialty_note = models.CharField(_("specialty note"), max_length=200, blank=True)
    region = models.ForeignKey(Division, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT)
    active = models.BooleanField(pgettext_lazy("inspector", "active"), default=True)
    inactive_since = models.DateField(_("inactive since"), null=True, blank=True)
    inactive_reason = models.CharField(_("reason inactive"), max_length=200, blank=True)

    objects = InspectorQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspector")
        verbose_name_plural = _("inspectors")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "code"], name="inspector_unique_code_per_bureau"),
            models.UniqueConstraint(
                fields=["bureau", "certificate_number"],
                condition=~Q(certificate_number=""),
                name="inspector_unique_certificate_per_bureau",
            ),
            *choice_checks("inspector", kind=InspectorKind),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def certificate_valid_on(self, day: date) -> bool:
        return bool(
            self.certificate_number
            and self.certificate_valid_from
            and self.certificate_valid_until
            and self.certificate_valid_from <= day <= self.certificate_valid_until
        )

    def certificate_status(self, today: date) -> str:
        """This inspector's :class:`CertificateStatus` on ``today`` (same rules as the queryset filter)."""
        if not (self.certificate_number and self.certificate_valid_from and self.certificate_valid_until):
            return CertificateStatus.NONE
        if self.certificate_valid_until < today:
            return CertificateStatus.EXPIRED
        if self.certificate_valid_from > today:
            return CertificateStatus.NOT_YET_VALID
        if self.certificate_valid_until <= today + timedelta(days=EXPIRING_WITHIN_DAYS):
            return CertificateStatus.EXPIRING
        return CertificateStatus.VALID


class LeavePeriodQuerySet(models.QuerySet):
    def overlapping(self, start: date, end: date):
        """Periods sharing at least one day with [start, end] (both ends included)."""
        return self.filter(start__lte=end, end__gte=start)


class LeavePeriod(models.Model):
    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="leave_periods")
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    objects = LeavePeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("leave period")
        verbose_name_plural = _("leave periods")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="leave_end_after_start")
        ]

    def __str__(self):
        return f"{self.inspector_id}: {self.start} – {self.end}"

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and start <= self.end


class Conflict(models.Model):
    """A declared conflict of interest: the inspector is recused from the enterprise (回避)."""

    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="conflicts")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="conflicts")
    reason = models.CharField(_("reason"), max_length=200)
    declared_on = models.DateField(_("declared on"), default=date.today)

    class Meta:
        verbose_name = _("declared conflict")
        verbose_name_plural = _("declared conflicts")
        constraints = [models.UniqueConstraint(fields=["inspector", "enterprise"], name="conflict_unique_pair")]

    def __str__(self):
        return f"{self.inspector_id} ⟂ {self.enterprise_id}: {self.reason}"


class ExpertQuerySet(models.QuerySet):
    def for_bureau(self, bureau):
        return self.filter(bureau=bureau)

    def active(self):
        return self.filter(active=True)


class Expert(models.Model):
    """The expert pool (辅助检查人员、专家库): monitoring stations, institutes and specialists."""

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="experts")
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=ExpertKind.choices)
    organisation = models.CharField(_("organisation"), max_length=120)
    title = models.CharField(_("title"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    region = models.ForeignKey(Division, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT)
    industries = models.ManyToManyField(
        Industry, verbose_name=pgettext_lazy("expert", "industries"), blank=True, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ExpertQuerySet.as_manager()

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["name", "id"]
        constraints = [*choice_checks("expert", kind=ExpertKind)]

    def __str__(self):
        return f"{self.name} · {self.organisation}"


class InspectorImport(ImportUpload):
    """An uploaded inspector spreadsheet handed to a background import (see ``core.models.ImportUpload``)."""

    class Meta(ImportUpload.Meta):
        verbose_name = _("inspector import")
        verbose_name_plural = _("inspector imports")

    def __str__(self):
        return self.filename
