"""Every state change of the publication of results (一公开).

Transitions: RESULT_APPROVED → PUBLISHED (:func:`publication_publish`, :func:`publication_publish_batch`)
and RESULT_APPROVED → EXEMPT (:func:`publication_exempt`). A result marked confidential at its approval
goes to EXEMPT in :func:`inspections.services.result_approve`, which records its exemption with
:func:`exemption_record` in the same transaction; an outcome changed after publication reaches the
public row through :func:`publication_follow_outcome`, in the transaction of the change.

Both also keep the enterprise's record of its published results in step
(``enterprises.services.inspection_record_set``: the clean-inspection term of the risk weight), in the same
transaction: this module owns every published outcome, so it alone says which published results were clean.
:func:`inspection_records_backfill` writes the rows of results published before that record existed.

Services are keyword-only and run in one transaction. They lock the task row, check its state inside
the transaction, move the :class:`~inspections.models.InspectionTask` with :func:`~inspections.transitions.task_cas`,
refuse with :class:`~core.errors.DomainError` (a message a user can read) or ``PermissionDenied``,
treat a repeat as a no-op, and write the audit entry in the same transaction.

:func:`publication_scan` is the daily job: it brings published outcomes up to date where a row was left
behind, and reminds the bureau's team leads of results due soon or overdue —
once per result, kind and day, so running it twice sends nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.access import has_role
from core.audit import actor_display, audit_log
from core.enums import NotificationKind, Role
from core.errors import DomainError
from core.jobs import job_submit
from core.models import Bureau, NotificationOptOut
from core.public_cache import bump_public_version
from enterprises.models import InspectionRecord
from enterprises.services import inspection_record_set

from .deadlines import deadline_for, publication_deadline, working_calendar
from .enums import DeadlineState, DrawType, ExemptionSource, InspectionTaskStatus, Outcome, ReminderKind
from .models import CheckIn, Exemption, InspectionResult, InspectionTask, Publication, Reminder
from .transitions import locked_task, task_cas

logger = logging.getLogger(__name__)

PUBLISHERS = (Role.TEAM_LEAD,)
SYSTEM_ACTOR = "publication_scan"
BATCH_MAX = 500
REASON_MAX = 4000
# Team leads are e-mailed when a result's publication deadline is this many working days away.
NOTICE_WORKING_DAYS = (5, 1)


def _require_publisher(actor, bureau) -> None:
    if not has_role(actor, bureau, *PUBLISHERS):
        raise PermissionDenied


def _refusal(task: InspectionTask) -> DomainError:
    if task.status == InspectionTaskStatus.EXEMPT:
        return DomainError(
            _(
                "The result of %(number)s is exempt from publication (state secrets, national or public "
                "security): it is recorded, not published."
            )
            % {"number": task.number}
        )
    return DomainError(
        _("Only an approved result can be published; %(number)s is %(status)s.")
        % {"number": task.number, "status": task.get_status_display()}
    )


# --- publication ---------------------------------------------------------------------------------


def _publish_locked(*, actor, task: InspectionTask, now) -> tuple[Publication, bool]:
    """Publish a locked task. Returns ``(publication, created)``; an already published task is a no-op."""
    if task.status == InspectionTaskStatus.PUBLISHED:
        return Publication.objects.get(task=task), False
    if task.status != InspectionTaskStatus.RESULT_APPROVED:
        raise _refusal(task)
    result = InspectionResult.objects.get(task=task)
    if result.approved_at is None or result.confidential or Exemption.objects.filter(task=task).exists():
        raise DomainError(
            _("The result of %(number)s is marked confidential: it is recorded, not published.")
            % {"number": task.number}
        )
    due = publication_deadline(result.inspected_on)
    today = timezone.localtime(now).date()
    arrival = CheckIn.objects.filter(task=task).values_list("at", flat=True).first()
    items = task.check_items.order_by("order", "code").values_list("name", flat=True)
    plan_task = task.draw.task
    plan = plan_task.plan
    task_cas(task, InspectionTaskStatus.RESULT_APPROVED, InspectionTaskStatus.PUBLISHED)
    publication = Publication.objects.create(
        task=task,
        draw_id=task.draw_id,
        bureau=task.bureau,
        published_at=now,
        published_by=actor,
        published_by_name=actor_display(actor),
        deadline=due.date,
        deadline_provisional=due.provisional,
        on_time=today <= due.date,
        published_on=today,
        enterprise_name=task.enterprise.name,
        uscc=task.enterprise.uscc,
        tier=task.enterprise.tier,
        bureau_code=task.bureau.code,
        bureau_name=task.bureau.name,
        plan_number=plan.number,
        plan_name=plan.name,
        plan_task_number=f"{plan.number}-{plan_task.seq}",
        plan_task_name=plan_task.name,
        inspection_number=task.number,
        draw_type=DrawType.TARGETED if task.draw.conditions else DrawType.UNTARGETED,
        year=task.draw.year,
        quarter=task.draw.quarter,
        inspected_from=min(timezone.localtime(arrival).date(), result.inspected_on) if arrival else result.inspected_on,
        inspected_on=result.inspected_on,
        items_checked="、".join(items),
        outcome=result.outcome,
    )
    audit_log(
        actor=actor,
        action="publication.published",
        obj=task,
        data={
            "before": {"status": InspectionTaskStatus.RESULT_APPROVED},
            "after": {"status": InspectionTaskStatus.PUBLISHED},
            "publication": publication.pk,
            "outcome": publication.outcome,
            "inspected_on": result.inspected_on,
            "deadline": due.date,
            "deadline_provisional": due.provisional,
            "on_time": publication.on_time,
        },
        state=[publication],
    )
    _keep_on_record(actor=actor, publication=publication, enterprise=task.enterprise)
    return publication, True


def _keep_on_record(*, actor, publication: Publication, enterprise) -> bool:
    """The enterprise's record of this published result, as its public row now stands (see the module's text)."""
    _record, changed = inspection_record_set(
        actor=actor,
        enterprise=enterprise,
        task_id=publication.task_id,
        number=publication.inspection_number,
        inspected_on=publication.inspected_on,
        published_on=publication.published_on,
        clean=publication.outcome in Outcome.clean(),
    )
    return changed


def publication_publish(*, actor, task: InspectionTask) -> Publication:
    """Publish one approved result (a team lead of its bureau). Publishing it again changes nothing."""
    _require_publisher(actor, task.bureau)
    with transaction.atomic():
        locked = locked_task(task, "bureau", "enterprise", "draw__task__plan__bureau")
        publication, created = _publish_locked(actor=actor, task=locked, now=timezone.now())
        if created:
            transaction.on_commit(bump_public_version)
    task.status = locked.status
    return publication


def publication_publish_batch(*, actor, tasks) -> list[Publication]:
    """Publish several approved results of one bureau: all of them or, if one is refused, none.

    Tasks already published are left as they are. One audit entry per task, and one for the batch.
    """
    tasks = list({t.pk: t for t in tasks}.values())
    if not tasks:
        raise DomainError(_("Select at least one result to publish."))
    if len(tasks) > BATCH_MAX:
        raise DomainError(_("Publish at most %(n)s results at a time.") % {"n": BATCH_MAX})
    bureau_ids = {t.bureau_id for t in tasks}
    if len(bureau_ids) != 1:
        raise DomainError(_("A batch holds the results of one bureau."))
    bureau = Bureau.objects.get(pk=bureau_ids.pop())
    _require_publisher(actor, bureau)
    now = timezone.now()
    publications, created = [], []
    with transaction.atomic():
        for task in sorted(tasks, key=lambda t: t.pk):  # lock in one order: no deadlock between batches
            locked = locked_task(task, "bureau", "enterprise", "draw__task__plan__bureau")
            publication, new = _publish_locked(actor=actor, task=locked, now=now)
            publications.append(publication)
            if new:
                created.append(locked.number)
        if created:
            audit_log(
                actor=actor,
                action="publication.batch_published",
                bureau=bureau,
                data={"tasks": created, "count": len(created), "already_published": len(tasks) - len(created)},
                object_repr=_("%(n)s results") % {"n": len(created)},
            )
            transaction.on_commit(bump_public_version)
    return publications


# --- exemptions ----------------------------------------------------------------------------------


def publication_exempt(*, actor, task: InspectionTask, reason: str) -> Exemption:
    """Exempt an approved, unpublished result from publication (state secrets, national or public security).

    The reason is recorded and never published. Exempting it again returns the same record.
    """
    reason = (reason or "").strip()[:REASON_MAX]
    if not reason:
        raise DomainError(_("Give the reason (state secrets, national or public security)."))
    _require_publisher(actor, task.bureau)
    with transaction.atomic():
        locked = locked_task(task, "bureau")  # the exemption names the bureau; nothing else of the task is read
        if locked.status == InspectionTaskStatus.EXEMPT:
            return Exemption.objects.get(task=locked)
        if locked.status == InspectionTaskStatus.PUBLISHED:
            raise DomainError(_("%(number)s has already been published.") % {"number": locked.number})
        if locked.status != InspectionTaskStatus.RESULT_APPROVED:
            raise DomainError(
                _("Only an approved result can be exempted; %(number)s is %(status)s.")
                % {"number": locked.number, "status": locked.get_status_display()}
            )
        task_cas(locked, InspectionTaskStatus.RESULT_APPROVED, InspectionTaskStatus.EXEMPT)
        exemption = Exemption.objects.create(
            task=locked,
            bureau=locked.bureau,
            reason=reason,
            source=ExemptionSource.PUBLICATION,
            decided_by=actor,
            decided_by_name=actor_display(actor),
            decided_at=timezone.now(),
        )
        audit_log(
            actor=actor,
            action="publication.exempted",
            obj=locked,
            data={
                "before": {"status": InspectionTaskStatus.RESULT_APPROVED},
                "after": {"status": InspectionTaskStatus.EXEMPT},
                "reason": reason,
            },
            state=[exemption],
        )
    task.status = locked.status
    return exemption


def exemption_record(*, task: InspectionTask, result: InspectionResult, reason: str) -> Exemption:
    """Record that a result approved as confidential is exempt from publication.

    Called by :func:`inspections.services.result_approve` in the transaction that moves the task to
    EXEMPT, so an exempt task always has its exemption record (the approval's audit entry names it).
    """
    return Exemption.objects.create(
        task=task,
        bureau_id=task.bureau_id,
        reason=result.confidentiality_reason or "—",
        source=ExemptionSource.RESULT_APPROVAL,
        decided_by_id=result.approved_by_id,
        decided_by_name=result.approved_by_name,
        decided_at=result.approved_at,
    )


# --- outcomes changed after publication --------------------------------------------------------------


def publication_follow_outcome(*, actor, task: InspectionTask, outcome: str) -> bool:
    """Give the public row of ``task``'s published result the result's new ``outcome``, if it has one.

    Called inside the transaction that changes the outcome (``inspections.services.result_change_outcome``)
    and by the daily scan for any row left behind; the change is written to the audit trail, and the public
    pages show it once the transaction commits. Returns whether a row changed.
    """
    publication = Publication.objects.select_for_update().filter(task=task).first()
    if publication is None or publication.outcome == outcome:
        return False
    before = publication.outcome
    publication.outcome, publication.outcome_updated_at = outcome, timezone.now()
    publication.save(update_fields=["outcome", "outcome_updated_at"])
    audit_log(
        actor=actor,
        action="publication.outcome_updated",
        obj=task,
        bureau=publication.bureau,
        data={"before": {"outcome": before}, "after": {"outcome": outcome}, "publication": publication.pk},
        state=[publication],
    )
    _keep_on_record(actor=actor, publication=publication, enterprise=task.enterprise)
    transaction.on_commit(bump_public_version)
    return True


def inspection_records_backfill(*, actor: str, bureau=None) -> list[int]:
    """Put on the enterprises' records the published results that are not there, or not as published: those
    published before the record existed (and any row left behind). One transaction per task, the task locked
    and the public row read again inside it; each row written is audited
    (``enterprises.inspection_recorded`` / ``enterprises.inspection_record_changed``); running it again writes
    nothing. ``actor``: the label of whoever runs it (a command). Returns the ids of the tasks written.
    """
    kept = InspectionRecord.objects.values_list("task_id", "clean")
    rows = Publication.objects.order_by("task_id").values_list("task_id", "outcome")
    if bureau is not None:
        kept, rows = kept.filter(enterprise__bureau=bureau), rows.filter(bureau=bureau)
    kept = dict(kept)
    wanted = [task_id for task_id, outcome in rows if kept.get(task_id) != (outcome in Outcome.clean())]
    written = []
    for task_id in wanted:
        with transaction.atomic():
            task = locked_task(InspectionTask(pk=task_id), "enterprise")
            publication = Publication.objects.select_for_update().get(task=task)
            if _keep_on_record(actor=actor, publication=publication, enterprise=task.enterprise):
                written.append(task_id)
    return written


def publication_mark_objection(*, actor, task: InspectionTask, mark: str) -> bool:
    """Set what the public row of ``task`` says of an objection (异议处理中, 经异议更正, or nothing).

    Called inside the transaction of the objection's filing or decision (:mod:`inspections.objections`);
    audited, and shown on the public pages once that transaction commits. Returns whether the row changed.
    """
    publication = Publication.objects.select_for_update().filter(task=task).first()
    if publication is None or publication.objection == mark:
        return False
    before = publication.objection
    publication.objection = mark
    publication.save(update_fields=["objection"])
    audit_log(
        actor=actor,
        action="publication.objection_marked",
        obj=task,
        bureau=publication.bureau,
        data={"before": {"objection": before}, "after": {"objection": mark}, "publication": publication.pk},
        state=[publication],
    )
    transaction.on_commit(bump_public_version)
    return True


def publications_sync_outcomes() -> int:
    """Bring published outcomes up to date with their results (the daily scan's safety net).

    A 发现问题待后续处理 result becomes 未发现问题 when no violation is confirmed (seed 002 (五)); the
    public row follows at once (:func:`publication_follow_outcome`); this finds any row left behind.
    """
    stale = Publication.objects.filter(~Q(outcome=F("task__result__outcome"))).values_list("task_id", flat=True)
    count = 0
    for task_id in list(stale):
        with transaction.atomic():
            task = InspectionTask.objects.get(pk=task_id)
            outcome = InspectionResult.objects.filter(task_id=task_id).values_list("outcome", flat=True)[0]
            count += publication_follow_outcome(actor=SYSTEM_ACTOR, task=task, outcome=outcome)
    return count


# --- the daily scan ------------------------------------------------------------------------------


@dataclass
class ScanReport:
    today: date
    pending: int = 0
    due_soon: int = 0
    overdue: int = 0
    reminders_created: int = 0
    reminders_sent: int = 0
    emails: int = 0
    outcomes_updated: int = 0
    deadline_notices: int = 0
    bureaus: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {**self.__dict__, "today": self.today.isoformat()}


def pending_tasks(bureau=None):
    """Tasks whose publication deadline runs: result recorded (awaiting approval) or approved, not published."""
    tasks = InspectionTask.objects.filter(
        status__in=[InspectionTaskStatus.RESULT_RECORDED, InspectionTaskStatus.RESULT_APPROVED],
        result__isnull=False,
    )
    return tasks.filter(bureau=bureau) if bureau is not None else tasks


def lead_emails(bureau: Bureau) -> list[str]:
    """The addresses of the bureau's active team leads who have not turned the daily summary off."""
    users = (
        get_user_model()
        .objects.filter(memberships__bureau=bureau, memberships__role=Role.TEAM_LEAD, is_active=True)
        .exclude(email="")
        .exclude(pk__in=NotificationOptOut.objects.filter(kind=NotificationKind.PUBLICATION_DIGEST).values("user_id"))
    )
    return sorted(set(users.values_list("email", flat=True)))


def publication_scan(*, today: date | None = None) -> ScanReport:
    """The daily scan (cron or RQ): due, due soon, overdue; reminders; exemptions; outcomes. Safe to run twice."""
    today = today or timezone.localdate()
    report = ScanReport(today=today)
    report.outcomes_updated = publications_sync_outcomes()
    calendar = working_calendar()
    rows = pending_tasks().values_list("pk", "bureau_id", "result__inspected_on")
    wanted: dict[int, list[Reminder]] = {}
    notices: list[list] = []
    for task_id, bureau_id, inspected_on in rows:
        report.pending += 1
        deadline = deadline_for(inspected_on, today, calendar)
        if deadline.state != DeadlineState.OVERDUE and deadline.working_days_left in NOTICE_WORKING_DAYS:
            notices.append([task_id, deadline.working_days_left, deadline.date.isoformat()])
        if deadline.state == DeadlineState.OPEN:
            continue
        kind = ReminderKind.OVERDUE if deadline.state == DeadlineState.OVERDUE else ReminderKind.DUE_SOON
        report.overdue += kind == ReminderKind.OVERDUE
        report.due_soon += kind == ReminderKind.DUE_SOON
        wanted.setdefault(bureau_id, []).append(
            Reminder(task_id=task_id, bureau_id=bureau_id, kind=kind, day=today, deadline=deadline.date)
        )
    for bureau in Bureau.objects.filter(pk__in=wanted).order_by("code"):
        with transaction.atomic():
            before = Reminder.objects.filter(bureau=bureau, day=today).count()
            Reminder.objects.bulk_create(wanted[bureau.pk], ignore_conflicts=True)
            report.reminders_created += Reminder.objects.filter(bureau=bureau, day=today).count() - before
        sent, emailed = _send_reminders(bureau, today)
        if sent:
            report.reminders_sent += sent
            report.emails += emailed
            report.bureaus.append(bureau.code)
    if notices:
        # E-mails to each team lead, once per task, deadline and day count (core.notify): safe to scan twice.
        job_submit(kind="inspections.notify_deadlines", params={"items": sorted(notices)})
        report.deadline_notices = len(notices)
    logger.info("publication scan %s", report.as_dict())
    return report


def _send_reminders(bureau: Bureau, today: date) -> tuple[int, bool]:
    """Send the bureau's unsent reminders of ``today`` in one email to its team leads, then mark them sent.

    Returns ``(reminders marked sent, whether an email went out)``: without a lead's address the
    reminders are recorded (and logged) but no email is sent.

    The rows stay locked while the mail goes out: a concurrent scan skips them; a failed send rolls back
    and the next run sends them.
    """
    with transaction.atomic():
        reminders = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(bureau=bureau, day=today, sent_at__isnull=True)
            .select_related("task__enterprise", "task__draw")
            .order_by("deadline", "task__number")
        )
        if not reminders:
            return 0, False
        recipients = lead_emails(bureau)
        if recipients:
            with translation.override(settings.LANGUAGE_CODE):
                context = {
                    "bureau": bureau,
                    "today": today,
                    "overdue": [r for r in reminders if r.kind == ReminderKind.OVERDUE],
                    "due_soon": [r for r in reminders if r.kind == ReminderKind.DUE_SOON],
                    "url": settings.SITE_URL + reverse("disclosure:dashboard"),
                }
                subject = render_to_string("disclosure/email/reminder_subject.txt", context).strip()
                body = render_to_string("disclosure/email/reminder.txt", context)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        else:
            logger.warning("publication reminders for %s: no team lead has an email address", bureau.code)
        Reminder.objects.filter(pk__in=[r.pk for r in reminders]).update(sent_at=timezone.now(), recipients=recipients)
        audit_log(
            actor=SYSTEM_ACTOR,
            action="publication.reminders_sent",
            bureau=bureau,
            data={
                "day": today,
                "recipients": recipients,
                "overdue": [r.task.number for r in reminders if r.kind == ReminderKind.OVERDUE],
                "due_soon": [r.task.number for r in reminders if r.kind == ReminderKind.DUE_SOON],
            },
            object_repr=_("Publication reminders %(day)s") % {"day": today.isoformat()},
        )
        return len(reminders), bool(recipients)
