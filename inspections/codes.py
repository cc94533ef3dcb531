"""One-time codes that only the enterprise receives (DESIGN §3 rule 16: only the enterprise can confirm an
arrival or rate an inspection).

What the inspector holds — the task page, the notice, the QR token — is not enough: the arrival and the rating
also need a short numeric code sent to the enterprise's registered contact, by e-mail (Django's mail; the
console backend by default) or by SMS through ``settings.SSJ_SMS_SENDER``, the dotted path of a callable
``send(phone: str, message: str) -> None`` (none by default). A code is stored only as a salted HMAC, expires
after ``CODE_TTL``, allows ``MAX_ATTEMPTS`` tries, is used once, and at most ``MAX_SENDS_PER_HOUR`` are sent
per task and purpose (``RESEND_AFTER`` apart). Staff never see a code nor where it was sent.

An enterprise without a registered contact (:func:`channel_for` is None) cannot receive one: its arrival is then
a paper record it signs, recorded with the record's scan by a team member or a team lead
(:func:`inspections.services.checkin_record_manual`), and its rating a signed paper form recorded by a team
lead not on the team (:func:`inspections.services.evaluation_record_paper`); both are marked "paper". With a
registered contact the paper routes are refused: the code is the only way.

Where a team member was seen holding the task (its page, its notice) is recorded as a :class:`TeamSighting`;
a confirmation from the same address, browser or session is flagged (:func:`suspicions`): on the task page,
and on the home page and the flagged list (``inspections:flagged``) of the bureau's team leads and auditors.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.errors import DomainError

from .enums import CodePurpose
from .models import EnterpriseCode, InspectionTask, TeamSighting

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
MAX_SENDS_PER_HOUR = 3
RESEND_AFTER = timedelta(seconds=60)


class CodeRefused(DomainError):
    """A code that cannot be used (missing, wrong, expired, used, too many attempts)."""


class CodeThrottled(DomainError):
    """Codes were sent too recently or too often for this task."""


def _digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _code_hash(salt: str, code: str) -> str:
    return _digest(f"enterprise-code:{salt}:{code}")


def _sms_sender():
    path = getattr(settings, "SSJ_SMS_SENDER", "")
    return import_string(path) if path else None


def channel_for(enterprise) -> str | None:
    """``"email"``, ``"sms"`` or None: how a code can reach the enterprise's registered contact."""
    if enterprise.contact_email:
        return "email"
    if enterprise.contact_phone and _sms_sender() is not None:
        return "sms"
    return None


def _message(task: InspectionTask, purpose: str, code: str) -> str:
    what = CodePurpose(purpose).label
    return _(
        "%(bureau)s, inspection %(number)s: your code to %(what)s is %(code)s. It is valid for %(minutes)s "
        "minutes. Never give it to the inspectors."
    ) % {
        "bureau": task.bureau.name,
        "number": task.number,
        "what": str(what).lower(),
        "code": code,
        "minutes": int(CODE_TTL.total_seconds() // 60),
    }


def code_send(*, task: InspectionTask, purpose: str, ip: str | None = None) -> str:
    """Send a new code to the enterprise's registered contact; returns the channel used.

    Refuses (:class:`~core.errors.DomainError`) without a registered contact, or when codes were sent too
    recently or too often. A new code replaces the earlier unused ones.
    """
    if purpose not in CodePurpose.values:
        raise DomainError(_("Unknown purpose."))
    enterprise = task.enterprise
    channel = channel_for(enterprise)
    if channel is None:
        raise DomainError(
            _(
                "The enterprise has no registered contact to send a code to. Ask the bureau to record its contact "
                "e-mail; meanwhile the arrival is recorded on paper, signed by the enterprise."
            )
        )
    now = timezone.now()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        InspectionTask.objects.select_for_update(of=("self",)).get(pk=task.pk)  # one sender at a time per task
        recent = EnterpriseCode.objects.filter(task=task, purpose=purpose, created_at__gte=now - timedelta(hours=1))
        last = recent.order_by("-created_at").first()
        if last is not None and now - last.created_at < RESEND_AFTER:
            raise CodeThrottled(_("A code was sent less than a minute ago. Wait a moment before asking again."))
        if recent.count() >= MAX_SENDS_PER_HOUR:
            raise CodeThrottled(_("Too many codes were sent for this inspection in the last hour. Try again later."))
        EnterpriseCode.objects.filter(task=task, purpose=purpose, used_at__isnull=True).update(expires_at=now)
        salt = secrets.token_hex(16)
        EnterpriseCode.objects.create(
            task=task,
            purpose=purpose,
            salt=salt,
            code_hash=_code_hash(salt, code),
            channel=channel,
            created_at=now,
            expires_at=now + CODE_TTL,
            ip=ip or None,
        )
        message = _message(task, purpose, code)
        if channel == "email":
            transaction.on_commit(
                lambda: send_mail(
                    _("Your inspection code"), message, settings.DEFAULT_FROM_EMAIL, [enterprise.contact_email]
                )
            )
        else:
            sender, phone = _sms_sender(), enterprise.contact_phone
            transaction.on_commit(lambda: sender(phone, message))
    return channel


def code_use(*, task: InspectionTask, purpose: str, code: str) -> CodeRefused | None:
    """Check ``code`` against the task's current code for ``purpose`` and use it up.

    Must run inside the caller's transaction (the one that records the arrival or the rating). Returns the
    refusal instead of raising it: a wrong attempt is counted, so the caller commits and then raises it.
    """
    code = "".join((code or "").split())
    now = timezone.now()
    current = (
        EnterpriseCode.objects.select_for_update()
        .filter(task=task, purpose=purpose)
        .order_by("-created_at", "-id")
        .first()
    )
    if not code:
        return CodeRefused(_("Type the code sent to the enterprise's registered contact."))
    if current is None:
        return CodeRefused(_("No code was sent for this inspection yet: ask for one first."))
    if current.used_at is not None:
        return CodeRefused(_("This code has already been used. Ask for a new one."))
    if current.expires_at <= now:
        return CodeRefused(_("This code has expired. Ask for a new one."))
    if current.attempts >= MAX_ATTEMPTS:
        return CodeRefused(_("Too many wrong attempts with this code. Ask for a new one."))
    if not hmac.compare_digest(current.code_hash, _code_hash(current.salt, code)):
        EnterpriseCode.objects.filter(pk=current.pk).update(attempts=current.attempts + 1)
        return CodeRefused(_("Wrong code."))
    EnterpriseCode.objects.filter(pk=current.pk).update(used_at=now, attempts=current.attempts + 1)
    return None


# --- who holds the task --------------------------------------------------------------------------------


def client_marks(request) -> dict:
    """The address, and the hashes of the browser and the session, of a request."""
    session_key = getattr(getattr(request, "session", None), "session_key", None) or ""
    agent = request.META.get("HTTP_USER_AGENT", "")
    return {
        "ip": request.META.get("REMOTE_ADDR") or None,
        "user_agent_hash": _digest(f"ua:{agent}") if agent else "",
        "session_hash": _digest(f"session:{session_key}") if session_key else "",
    }


def sighting_record(*, task: InspectionTask, user, marks: dict) -> None:
    """Remember that team member ``user`` held the task from this address, browser and session (once)."""
    try:
        with transaction.atomic():
            TeamSighting.objects.get_or_create(task=task, user=user, **marks, defaults={"at": timezone.now()})
    except IntegrityError:
        pass  # the same sighting written meanwhile


def suspicions(task: InspectionTask, marks: dict) -> list[str]:
    """What a confirmation shares with a team member seen on this task: ``"ip"``, ``"browser"``, ``"session"``."""
    seen = TeamSighting.objects.filter(task=task)
    found = []
    if marks.get("ip") and seen.filter(ip=marks["ip"]).exists():
        found.append("ip")
    if marks.get("user_agent_hash") and seen.filter(user_agent_hash=marks["user_agent_hash"]).exists():
        found.append("browser")
    if marks.get("session_hash") and seen.filter(session_hash=marks["session_hash"]).exists():
        found.append("session")
    return found


def code_issue(*, task: InspectionTask, purpose: str) -> str:
    """A fresh code for ``task`` without sending it — for the demo data and the tests only (no view calls it)."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt, now = secrets.token_hex(16), timezone.now()
    EnterpriseCode.objects.filter(task=task, purpose=purpose, used_at__isnull=True).update(expires_at=now)
    EnterpriseCode.objects.create(
        task=task,
        purpose=purpose,
        salt=salt,
        code_hash=_code_hash(salt, code),
        channel="issued",
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    return code
