"""E-mails that tell people what waits for them, sent by background jobs, each at most once.

The apps decide who is told what (their ``jobs.py`` handlers render the subject and body); this module
sends one e-mail to one user for one event with :func:`notification_send`:

* a user who turned the kind off (:class:`~core.models.NotificationOptOut`, the preference page), an
  inactive user or one without an address gets nothing;
* the key ``(event, user)`` is claimed in :class:`~core.models.NotificationSent` (unique) in the same
  transaction as the sending: if the mail server refuses, the claim rolls back and the job's retry sends
  it; once sent, a job run again (RQ retry, ``requeue_jobs``, a repeated daily scan) finds the key and
  sends nothing. Of two jobs racing for one key, the second waits on the unique index and then skips.

Mail goes through Django's configured backend (SMTP in production, the console in the embedded default;
``EMAIL_*`` settings, docs/deployment.md).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from .audit import audit_log
from .enums import NotificationKind, Role
from .models import NotificationOptOut, NotificationSent

logger = logging.getLogger(__name__)


def role_users(bureau_id: int, role: str, *, exclude=()) -> list:
    """The active users holding ``role`` in the bureau (ordered by id), minus the ids in ``exclude``."""
    users = (
        get_user_model()
        .objects.filter(memberships__bureau_id=bureau_id, memberships__role=role, is_active=True)
        .exclude(pk__in=list(exclude))
        .distinct()
        .order_by("pk")
    )
    return list(users)


def team_leads(bureau_id: int, *, exclude=()) -> list:
    return role_users(bureau_id, Role.TEAM_LEAD, exclude=exclude)


def notification_enabled(user, kind: str) -> bool:
    return not NotificationOptOut.objects.filter(user=user, kind=kind).exists()


def notification_send(*, kind: str, event: str, user, subject: str, body: str) -> bool:
    """Send one e-mail for ``event`` to ``user`` unless it was sent before or he does not want it.

    Returns whether it was sent now. Raises what the mail backend raises (the claim is then rolled back).
    """
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not user.is_active or not user.email or not notification_enabled(user, kind):
        return False
    subject = " ".join(subject.split())[:255]
    with transaction.atomic():
        try:
            with transaction.atomic():
                NotificationSent.objects.create(
                    kind=kind, event=event[:128], user=user, email=user.email, subject=subject, sent_at=timezone.now()
                )
        except IntegrityError:
            return False  # sent before (or being sent by a job that got there first)
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()
    logger.info("notification %s sent to user %s", event, user.pk)
    return True


def notification_preferences_set(*, actor, enabled) -> list[str]:
    """Turn each kind on (in ``enabled``) or off (the others) for ``actor``. Returns the kinds now off."""
    enabled = set(enabled)
    unknown = enabled - set(NotificationKind.values)
    if unknown:
        raise ValueError(f"unknown notification kinds {sorted(unknown)}")
    wanted_off = sorted(set(NotificationKind.values) - enabled)
    with transaction.atomic():
        current = sorted(
            NotificationOptOut.objects.select_for_update().filter(user=actor).values_list("kind", flat=True)
        )
        if current == wanted_off:
            return current  # nothing changed: nothing written
        NotificationOptOut.objects.filter(user=actor).exclude(kind__in=wanted_off).delete()
        NotificationOptOut.objects.bulk_create(
            [NotificationOptOut(user=actor, kind=kind) for kind in wanted_off], ignore_conflicts=True
        )
        audit_log(
            actor=actor,
            action="notifications.preferences_changed",
            obj=actor,
            data={"before": {"off": current}, "after": {"off": wanted_off}},
        )
        return wanted_off
