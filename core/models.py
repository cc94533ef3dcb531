import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .constraints import choice_checks
from .enums import BureauKind, CalendarDayKind, JobStatus, NotificationKind, Role


class BureauQuerySet(models.QuerySet):
    def for_user(self, user):
        """The bureaus a user is granted (any role). Superusers see all."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(memberships__user=user).distinct()


class Bureau(models.Model):
    """A city bureau or one of its county branches. Every registry row, draw and result belongs to one."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=30, help_text=_("Used in plan numbers, e.g. 西环"))
    kind = models.CharField(_("kind"), max_length=10, choices=BureauKind.choices, default=BureauKind.COUNTY)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent bureau"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    division_code = models.CharField(_("administrative division code"), max_length=12, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    objects = BureauQuerySet.as_manager()

    class Meta:
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")
        ordering = ["code"]
        constraints = [*choice_checks("bureau", kind=BureauKind)]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user's role in a bureau. A user may hold several roles in several bureaus."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "bureau", "role"], name="membership_unique_role"),
            *choice_checks("membership", role=Role),
        ]

    def __str__(self):
        return f"{self.user} · {self.bureau} · {self.get_role_display()}"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit trail is append-only.")

    def delete(self):
        raise PermissionError("The audit trail is append-only.")


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained audit trail. Written only by ``core.audit``."""

    created_at = models.DateTimeField(_("time"), db_index=True)
    bureau = models.ForeignKey(Bureau, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only.")


class AuditAnchor(models.Model):
    """A head of the audit chain as it was (daily, ``manage.py audit_anchor``), also appended to the
    operator's anchor file and published at /public/audit-anchors/. Written only by ``core.audit``."""

    entry_id = models.BigIntegerField(_("last entry"), help_text=_("0: the audit trail was empty"))
    hash = models.CharField(_("hash"), max_length=64)
    created_at = models.DateTimeField(_("anchored at"), db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit anchor")
        verbose_name_plural = _("audit anchors")
        ordering = ["-id"]

    def __str__(self):
        return f"#{self.entry_id} {self.hash[:16]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit anchors are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit anchors are append-only.")

    def as_line(self) -> dict:
        """The anchor as a line of the anchor file (and of the public list)."""
        return {"entry": self.entry_id, "hash": self.hash, "at": self.created_at.isoformat()}


class CalendarYear(models.Model):
    """A year whose State Council holiday notice is loaded. Dates in other years are provisional."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=200, help_text=_("e.g. 国办发明电〔2025〕7号"))
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)


class CalendarDay(models.Model):
    """A date that differs from the plain week: a holiday on a weekday, or a make-up working weekend day."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [*choice_checks("calendarday", kind=CalendarDayKind)]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"


class JobQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=JobStatus.open_states())


class Job(models.Model):
    """A background job's status row: the page polls it, and a pending job survives a Redis outage."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bureau = models.ForeignKey(Bureau, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs")
    kind = models.CharField(_("kind"), max_length=64)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=255, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        constraints = [*choice_checks("job", status=JobStatus)]

    def __str__(self):
        return f"{self.kind} {self.get_status_display()}"


class ImportUpload(models.Model):
    """An uploaded spreadsheet handed to a background import (too many rows to import inline).

    The upload is kept in the database, so a worker on another host can run it and no file is left behind:
    ``sheet`` holds the sheet as read once on upload (``core.imports.sheet_pack``) until the job has run,
    then is cleared (the file's SHA-256 stays as evidence). ``finished_at`` and ``result`` are set in the
    import's own transaction (whether it imported the rows or found errors), which makes the job safe to
    run twice. Each registry has its own table of uploads.
    """

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    sheet = models.BinaryField(editable=False)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["-uploaded_at"]


class NotificationOptOut(models.Model):
    """A kind of e-mail a user turned off. Every kind is on unless a row says otherwise. Written by ``core.notify``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail turned off")
        verbose_name_plural = _("e-mails turned off")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_optout_once"),
            *choice_checks("notificationoptout", kind=NotificationKind),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind}"


class NotificationSent(models.Model):
    """One e-mail sent for one event to one person. Written by ``core.notify`` in the sending job.

    ``event`` names what happened (``draw-drawn:12``, ``result:44``, ``deadline-5:44:2026-12-01``…). The
    unique (event, user) key is claimed in the transaction that sends the mail, so a retried or repeated
    job sends nothing again, and of two jobs racing for the same key one waits and then sends nothing.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    event = models.CharField(_("event"), max_length=128)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("e-mail address"))
    subject = models.CharField(_("subject"), max_length=255)
    sent_at = models.DateTimeField(_("sent at"), db_index=True)

    class Meta:
        verbose_name = _("e-mail sent")
        verbose_name_plural = _("e-mails sent")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="notification_once_per_event"),
            *choice_checks("notificationsent", kind=NotificationKind),
        ]

    def __str__(self):
        return f"{self.event} → {self.user_id}"
