"""The enterprise's right to object (异议) to its published result (issue 16 item 5).

The notice carries a second QR code for the enterprise (:func:`inspections.tokens.objection_url`): no account,
valid until :data:`TOKEN_WORKING_DAYS` working days after the publication. With it the enterprise sees its
published result and may file ONE objection, with text and files, within :data:`FILING_WORKING_DAYS`
working days of the publication (:func:`objection_file`). Like the arrival and the rating, the filing of an
enterprise with a registered contact needs a one-time code sent to that contact (:mod:`inspections.codes`:
what the inspectors hold, the notice, is not enough; the sends and the attempts are limited there). An
enterprise without a registered contact cannot receive a code: it files with the token alone (the notice is
handed to it; the paper it signs at the arrival is its other route), and the filing says so in the audit
entry (``"code": "none"``). The objection page limits the filing attempts per token and per client address
(:data:`FILINGS_PER_TOKEN`, :data:`FILINGS_PER_ADDRESS` an hour: ``core.ratelimit``).

A team lead of the bureau who was not on the team decides within :data:`DECISION_WORKING_DAYS` working days
of the filing: upheld (:func:`objection_uphold`: the result is corrected through
:func:`inspections.corrections.result_correct`, the public row says 经异议更正) or rejected with the reasons
(:func:`objection_reject`, shown to the enterprise on its page). While open, the public row says 异议处理中.
Working days count from the day after, on the bureau's calendar (:mod:`core.workdays`).

This module alone writes :attr:`Objection.status`.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.access import has_role
from core.audit import actor_display, audit_log
from core.enums import Role
from core.errors import DomainError
from core.workdays import WorkCalendar, WorkdayResult, add_working_days, load_calendar

from . import codes, uploads
from .access import is_team_member
from .corrections import result_correct
from .enums import CodePurpose, InspectionTaskStatus, ObjectionStatus, Outcome, PublicObjection
from .models import InspectionResult, InspectionTask, Objection, ObjectionFile, Publication
from .publication import publication_mark_objection
from .services import InvalidFields
from .transitions import locked_task

FILING_WORKING_DAYS = 15
TOKEN_WORKING_DAYS = 30
DECISION_WORKING_DAYS = 10
TEXT_MAX = 4000
NAME_MAX = 60
MAX_FILES = 10
# Filing attempts (the objection page's POST) allowed per hour, per token and per client address.
FILINGS_PER_TOKEN = 5
FILINGS_PER_ADDRESS = 20
RATE_WINDOW = 3600
DECIDERS = (Role.TEAM_LEAD,)
SOURCE = "objection"


class ObjectionRefused(DomainError):
    """An objection that cannot be filed (already filed, window closed, result not published)."""


def _calendar(start: date) -> WorkCalendar:
    return load_calendar(range(start.year, start.year + 2))


def filing_closes(published_on: date, calendar: WorkCalendar | None = None) -> WorkdayResult:
    """The last day to file an objection: 15 working days after the publication."""
    return add_working_days(published_on, FILING_WORKING_DAYS, calendar or _calendar(published_on))


def token_expires(published_on: date, calendar: WorkCalendar | None = None) -> WorkdayResult:
    """The last day the objection QR code opens the page: 30 working days after the publication."""
    return add_working_days(published_on, TOKEN_WORKING_DAYS, calendar or _calendar(published_on))


def decision_due(filed_on: date, calendar: WorkCalendar | None = None) -> WorkdayResult:
    """The last day to decide an objection: 10 working days after the day it was filed."""
    return add_working_days(filed_on, DECISION_WORKING_DAYS, calendar or _calendar(filed_on))


def _day(value: date) -> str:
    return date_format(value, "Y-m-d")


def _validate(text: str, filed_by_name: str, files) -> tuple[str, str, list]:
    text, name = (text or "").strip(), " ".join((filed_by_name or "").split())
    errors: dict[str | None, str] = {}
    if not text:
        errors["text"] = _("Say what you object to in the published result, and why.")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("At most %(max)s characters.") % {"max": TEXT_MAX}
    if not name:
        errors["filed_by_name"] = _("Type the name of the person filing the objection for the enterprise.")
    elif len(name) > NAME_MAX:
        errors["filed_by_name"] = _("At most %(max)s characters.") % {"max": NAME_MAX}
    checked = []
    files = list(files or ())
    if len(files) > MAX_FILES:
        errors["files"] = _("At most %(max)s files.") % {"max": MAX_FILES}
    else:
        for upload in files:
            try:
                checked.append((upload, uploads.check_upload(upload)))
            except uploads.UploadRefused as exc:
                errors["files"] = str(exc)
                break
    if errors:
        raise InvalidFields(errors)
    return text, name, checked


def objection_file(
    *,
    task: InspectionTask,
    text: str,
    filed_by_name: str,
    code: str = "",
    files=(),
    ip: str | None = None,
    user_agent: str = "",
    today: date | None = None,
) -> Objection:
    """The enterprise files its one objection to the published result of ``task``.

    Refuses (:class:`ObjectionRefused`) a result not published, a second objection and a filing after the
    15th working day after publication (naming that day). An enterprise with a registered contact files with
    the code sent to it: a wrong code (:class:`InvalidFields` on ``code``) is counted by
    :func:`inspections.codes.code_use`; one without a contact files with the token alone (``code`` ignored).
    Nothing is written on a refusal but the counted attempt.
    """
    text, name, checked = _validate(text, filed_by_name, files)
    today = today or timezone.localdate()
    stored: list[str] = []
    refusal = None
    try:
        with transaction.atomic():
            task = locked_task(task, "bureau", "enterprise")
            existing = Objection.objects.filter(task=task).first()
            if existing is not None:
                raise ObjectionRefused(
                    _("An objection to this result was already filed on %(day)s: only one can be filed.")
                    % {"day": _day(timezone.localtime(existing.filed_at).date())}
                )
            publication = Publication.objects.filter(task=task).first()
            if task.status != InspectionTaskStatus.PUBLISHED or publication is None:
                raise ObjectionRefused(_("The result of this inspection has not been published: nothing to object to."))
            closes = filing_closes(publication.published_on)
            if today > closes.date:
                raise ObjectionRefused(
                    _(
                        "The time to object has passed: an objection could be filed until %(day)s "
                        "(15 working days after the publication on %(published)s)."
                    )
                    % {"day": _day(closes.date), "published": _day(publication.published_on)}
                )
            with_code = codes.channel_for(task.enterprise) is not None
            if with_code:
                refusal = codes.code_use(task=task, purpose=CodePurpose.OBJECTION, code=code)
            if refusal is None:
                result = InspectionResult.objects.get(task=task)
                due = decision_due(today)
                try:
                    with transaction.atomic():
                        objection = Objection.objects.create(
                            task=task,
                            text=text,
                            filed_by_name=name,
                            filed_at=timezone.now(),
                            due_on=due.date,
                            due_provisional=due.provisional,
                            ip=ip or None,
                            user_agent=(user_agent or "")[:255],
                            old_outcome=result.outcome,
                        )
                except IntegrityError as exc:
                    raise ObjectionRefused(
                        _("An objection to this result was already filed: only one can be filed.")
                    ) from exc
                saved = []
                for upload, info in checked:
                    name_stored = uploads.store(upload, info)
                    stored.append(name_stored)
                    saved.append(
                        ObjectionFile.objects.create(
                            objection=objection,
                            file=name_stored,
                            original_name=info.original_name,
                            content_type=info.content_type,
                            size=info.size,
                            sha256=info.sha256,
                            uploaded_at=objection.filed_at,
                        )
                    )
                audit_log(
                    actor=task.enterprise.name[:150],
                    action="inspections.objection_filed",
                    obj=task,
                    bureau=task.bureau,
                    data={
                        "objection": objection.pk,
                        "after": {"status": ObjectionStatus.OPEN},
                        "filed_by": name,
                        "text": text,
                        "files": [{"name": f.original_name, "sha256": f.sha256, "size": f.size} for f in saved],
                        "due_on": objection.due_on,
                        "ip": ip or "",
                        "code": "verified" if with_code else "none",
                    },
                )
                publication_mark_objection(actor=task.enterprise.name[:150], task=task, mark=PublicObjection.OPEN)
    except BaseException:
        for name_stored in stored:
            uploads.discard(name_stored)
        raise
    if refusal is not None:
        raise InvalidFields({"code": str(refusal)})
    return objection


def _decide_locked(actor, objection: Objection) -> tuple[InspectionTask, Objection]:
    task = locked_task(objection.task, "bureau")
    if not has_role(actor, task.bureau, *DECIDERS):
        raise PermissionDenied
    if is_team_member(actor, task):
        raise DomainError(_("You were on the inspection team: another team lead must decide the objection."))
    return task, Objection.objects.select_for_update().get(pk=objection.pk)


def _decided_refusal(objection: Objection) -> DomainError:
    return DomainError(
        _("This objection has already been decided (%(status)s) by %(name)s.")
        % {"status": objection.get_status_display(), "name": objection.decided_by_name}
    )


def _close(objection: Objection, actor, status: str, reason: str, new_outcome: str = "") -> None:
    now = timezone.now()
    if not Objection.objects.filter(pk=objection.pk, status=ObjectionStatus.OPEN).update(
        status=status,
        decided_by=actor,
        decided_by_name=actor_display(actor),
        decided_at=now,
        decision_reason=reason,
        new_outcome=new_outcome,
    ):
        raise _decided_refusal(Objection.objects.get(pk=objection.pk))
    objection.refresh_from_db()


def objection_uphold(*, actor, objection: Objection, outcome: str, reason: str) -> Objection:
    """A team lead upholds the objection: the result becomes ``outcome`` (recorded and published), and the
    public row says 经异议更正. Upholding it again with the same outcome is a no-op."""
    reason = (reason or "").strip()
    with transaction.atomic():
        task, objection = _decide_locked(actor, objection)
        if objection.status == ObjectionStatus.UPHELD and objection.new_outcome == outcome:
            return objection
        if objection.status != ObjectionStatus.OPEN:
            raise _decided_refusal(objection)
        errors = {}
        if outcome not in Outcome.values:
            errors["outcome"] = _("Choose the corrected outcome.")
        elif outcome == objection.old_outcome:
            errors["outcome"] = _("Upholding the objection changes the outcome: choose another one.")
        if not reason:
            errors["reason"] = _("Give the reasons for the decision.")
        elif len(reason) > TEXT_MAX:
            errors["reason"] = _("At most %(max)s characters.") % {"max": TEXT_MAX}
        if errors:
            raise InvalidFields(errors)
        _close(objection, actor, ObjectionStatus.UPHELD, reason, outcome)
        result_correct(actor=actor, task=task, outcome=outcome, reason=reason, source=SOURCE)
        audit_log(
            actor=actor,
            action="inspections.objection_upheld",
            obj=task,
            data={
                "objection": objection.pk,
                "before": {"status": ObjectionStatus.OPEN, "outcome": objection.old_outcome},
                "after": {"status": ObjectionStatus.UPHELD, "outcome": outcome},
                "reason": reason,
            },
        )
        publication_mark_objection(actor=actor, task=task, mark=PublicObjection.CORRECTED)
        return objection


def objection_reject(*, actor, objection: Objection, reason: str) -> Objection:
    """A team lead rejects the objection with the reasons (shown to the enterprise); the result stands and
    the public row no longer says 异议处理中. Rejecting it again is a no-op."""
    reason = (reason or "").strip()
    with transaction.atomic():
        task, objection = _decide_locked(actor, objection)
        if objection.status == ObjectionStatus.REJECTED:
            return objection
        if objection.status != ObjectionStatus.OPEN:
            raise _decided_refusal(objection)
        if not reason:
            raise InvalidFields({"reason": _("Give the reasons for the decision.")})
        if len(reason) > TEXT_MAX:
            raise InvalidFields({"reason": _("At most %(max)s characters.") % {"max": TEXT_MAX}})
        _close(objection, actor, ObjectionStatus.REJECTED, reason)
        audit_log(
            actor=actor,
            action="inspections.objection_rejected",
            obj=task,
            data={
                "objection": objection.pk,
                "before": {"status": ObjectionStatus.OPEN},
                "after": {"status": ObjectionStatus.REJECTED},
                "reason": reason,
            },
        )
        publication_mark_objection(actor=actor, task=task, mark=PublicObjection.NONE)
        return objection
