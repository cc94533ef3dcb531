"""The signed token of a task's QR code (扫码入企), and the QR code itself.

A token is ``django.core.signing.Signer(salt="inspections.checkin").sign_object({"t": task id, "x": last
valid day})``: stable for a task (the QR code on the printed notice and on the inspector's phone are the
same), unforgeable without SECRET_KEY, and expiring on its last valid day (Asia/Shanghai), which is
``TOKEN_VALID_DAYS_AFTER_END`` days after the task's planned end — long enough for the result to be
recorded and approved and for the enterprise to rate the inspection with the same code. Arrival itself
can only be confirmed until ``CHECKIN_GRACE_DAYS`` after the planned end (see the services).
"""

from datetime import date, timedelta

import segno
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

SALT = "inspections.checkin"
TOKEN_VALID_DAYS_AFTER_END = 60
CHECKIN_GRACE_DAYS = 7


class TokenError(Exception):
    """A token that cannot be used."""


class TokenInvalid(TokenError):
    """Not a token this system issued (forged, altered or truncated)."""


class TokenExpired(TokenError):
    def __init__(self, task_id: int, expired_on: date):
        self.task_id = task_id
        self.expired_on = expired_on
        super().__init__(f"token of task {task_id} expired after {expired_on}")


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def token_valid_until(task) -> date:
    return task.planned_end + timedelta(days=TOKEN_VALID_DAYS_AFTER_END)


def make_token(task) -> str:
    return _signer().sign_object({"t": task.pk, "x": token_valid_until(task).isoformat()})


def read_token(token: str, *, today: date | None = None) -> int:
    """The task id a token carries. Raises :class:`TokenInvalid` or :class:`TokenExpired`."""
    try:
        payload = _signer().unsign_object(token)
        task_id, until = int(payload["t"]), date.fromisoformat(payload["x"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise TokenInvalid(str(exc)) from exc
    if (today or timezone.localdate()) > until:
        raise TokenExpired(task_id, until)
    return task_id


def checkin_url(task) -> str:
    """The absolute URL the QR code carries (SITE_URL, so it works on paper)."""
    return settings.SITE_URL + reverse("checkin:page", args=[make_token(task)])


def qr_svg(url: str, *, scale: int = 4) -> str:
    """An inline ``<svg>`` of the URL's QR code (error correction M, with its quiet zone)."""
    return segno.make_qr(url, error="m").svg_inline(scale=scale, dark="#000", light="#fff", title="QR")


# --- the enterprise's objection token (异议) ----------------------------------------------------------------
# A second QR code on the notice: ``Signer(salt="inspections.objection").sign_object({"t": task id})``. Its
# validity depends on the publication (30 working days after it, :mod:`inspections.objections`), unknown when
# the notice is printed, so the token carries only the task; a check-in token does not open it (other salt).

OBJECTION_SALT = "inspections.objection"


def make_objection_token(task) -> str:
    return signing.Signer(salt=OBJECTION_SALT).sign_object({"t": task.pk})


def read_objection_token(token: str) -> int:
    """The task id an objection token carries. Raises :class:`TokenInvalid`."""
    try:
        return int(signing.Signer(salt=OBJECTION_SALT).unsign_object(token)["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise TokenInvalid(str(exc)) from exc


def objection_url(task) -> str:
    """The absolute URL of the objection QR code (SITE_URL, so it works on paper)."""
    return settings.SITE_URL + reverse("objection:page", args=[make_objection_token(task)])
