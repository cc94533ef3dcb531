from django.db import models
from django.utils.translation import gettext_lazy as _


class BureauKind(models.TextChoices):
    CITY = "city", _("City bureau")
    COUNTY = "county", _("County branch")


class Role(models.TextChoices):
    REGISTRY_STAFF = "registry_staff", _("Registry staff")
    TEAM_LEAD = "team_lead", _("Team lead")
    INSPECTOR = "inspector", _("Inspector")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("System administrator")

    @classmethod
    def staff_roles(cls):
        """Roles that may see the bureau's registries (everyone but nobody)."""
        return [cls.REGISTRY_STAFF, cls.TEAM_LEAD, cls.INSPECTOR, cls.AUDITOR, cls.ADMIN]

    @classmethod
    def registry_editors(cls):
        return [cls.REGISTRY_STAFF, cls.ADMIN]


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Statutory holiday (rest day)")
    WORKDAY = "workday", _("Make-up working day (调休)")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")

    @classmethod
    def open_states(cls):
        return [cls.PENDING, cls.RUNNING]


class NotificationKind(models.TextChoices):
    """The e-mails the system sends; each user may turn each kind off (all are on by default)."""

    TEAM_ASSIGNED = "team_assigned", _("You are put on an inspection team")
    DRAW_APPROVAL = "draw_approval", _("A draw waits for a second team lead's approval")
    RESULT_APPROVAL = "result_approval", _("An inspection result waits for approval")
    PUBLICATION_DEADLINE = "publication_deadline", _("A publication deadline is 5 or 1 working days away")
    FOLLOWUP_DEADLINE = "followup_deadline", _("A follow-up visit of my team is due in 5 or 1 working days")
    PUBLICATION_DIGEST = (
        "publication_digest",
        _("Daily summary to team leads: the bureau's overdue publications and those due within 5 working days"),
    )
