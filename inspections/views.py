"""Staff pages of the inspections: my tasks (phone first), the bureau's tasks, a task, its notice, its result.

Who sees a task is decided by :func:`inspections.access.can_view_task` (a task outside the user's
bureaus, or one he is not concerned with, answers 404); what he may do on it by his role and team
membership (403 otherwise). Every change goes through :mod:`inspections.services`.
"""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import versions
from core.access import has_role, role_required, scoped_or_404
from core.confirm import confirm_page, confirmed
from core.enums import Role
from core.errors import DomainError
from core.excel import write_xlsx, xlsx_response
from core.pdf import render_pdf
from core.workdays import working_days_between
from enterprises.models import Enterprise
from sampling.access import can_view_draw_list
from sampling.forms import ReasonForm
from sampling.models import Draw

from . import codes, objections, services, substitutions
from .access import LIST_ROLES, before_inspection, can_view_task, is_team_member, task_queryset, visible_tasks
from .enums import InspectionTaskStatus, ObjectionStatus, Outcome, SubstitutionKind, SubstitutionRequestStatus
from .forms import (
    ApproveForm,
    AttachmentForm,
    ManualCheckInForm,
    NoArrivalForm,
    ObjectionRejectForm,
    ObjectionUpholdForm,
    OffsiteCheckForm,
    OffsiteFilterForm,
    OutcomeChangeForm,
    PaperEvaluationForm,
    ResultForm,
    SubstitutionProposalForm,
    TaskFilterForm,
)
from .models import (
    Attachment,
    CheckIn,
    Evaluation,
    InspectionResult,
    InspectionTask,
    NoArrival,
    Objection,
    ObjectionFile,
    OffsiteCheck,
    PaperScan,
    SubstitutionRequest,
    TaskMember,
)
from .queries import calendar_for, deadline, flagged_q, late_q, offsite_units, suspicion_text, with_card_data
from .tokens import checkin_url, objection_url, qr_svg, token_valid_until

PAGE_SIZE = 50
MY_TASK_ROLES = (Role.INSPECTOR, Role.TEAM_LEAD)
EVALUATION_ROLES = (Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)
FLAGGED_ROLES = (Role.TEAM_LEAD, Role.AUDITOR)
SUBSTITUTION_ROLES = substitutions.PROPOSERS  # team leads only: the administrator may not
OPEN_STATES = [InspectionTaskStatus.ASSIGNED, InspectionTaskStatus.CHECKED_IN, InspectionTaskStatus.RESULT_RECORDED]


def _add_errors(form, exc: DomainError) -> None:
    """Put a service's refusal next to the field it concerns (or above the form)."""
    errors = getattr(exc, "errors", None) or {None: str(exc)}
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)


def _refuse(request, form, exc: DomainError) -> None:
    """A refusal on the task page: field errors next to their fields, the others at the top of the page (the
    form they came from may no longer be shown, e.g. a result another lead approved meanwhile)."""
    errors = getattr(exc, "errors", None) or {None: str(exc)}
    for name, message in errors.items():
        if name in form.fields:
            form.add_error(name, message)
        else:
            messages.error(request, message)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _remember_team(tasks) -> None:
    """Fill :func:`is_team_member`'s cache from the prefetched teams (no query per task)."""
    for task in tasks:
        task.__dict__["_ssj_team_user_ids"] = {m.inspector.user_id for m in task.team if m.inspector_id}


def _rows(request, tasks):
    """(task, deadline) for each task, computed on one calendar load."""
    today = timezone.localdate()
    cal = calendar_for(today)
    return [(task, deadline(task, cal, today)) for task in tasks]


def _log_confidential(request, tasks) -> None:
    """Tasks shown before their inspection to somebody not on their team are written to the audit trail."""
    today = timezone.localdate()
    numbers = [t.number for t in tasks if before_inspection(t, today) and not is_team_member(request.user, t)]
    if numbers:
        services.task_list_record_view(actor=request.user, bureau=request.bureau, numbers=numbers)


# --- lists ------------------------------------------------------------------------------------------


def _my_tasks(request):
    tasks = with_card_data(
        InspectionTask.objects.filter(bureau=request.bureau)
        .assigned_to(request.user)
        .order_by("planned_start", "number")
    )
    return tasks if request.GET.get("done") == "1" else tasks.filter(status__in=OPEN_STATES)


@require_GET
@role_required(*MY_TASK_ROLES)
def my_tasks(request):
    """The inspector's own tasks: open ones first (by planned start), then the finished ones."""
    tasks = _my_tasks(request)
    show_done = request.GET.get("done") == "1"
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    _remember_team(page.object_list)
    context = {"rows": _rows(request, page.object_list), "page": page, "query": _query_without_page(request)}
    context["show_done"] = show_done
    context["xlsx_url"] = reverse("inspections:my-tasks-xlsx") + ("?done=1" if show_done else "")
    return render(request, "inspections/my_tasks.html", context)


def _filtered_tasks(request):
    """The task list's form and the tasks it selects (those the user may see), with what a row shows."""
    bureau, today = request.bureau, timezone.localdate()
    # The draws that have tasks, for the filter's choices: EXISTS, not a join of every task made DISTINCT over
    # the draws' JSON columns (3.8 s for 23,000 tasks); only what the draw's number is made of.
    draws = (
        Draw.objects.filter(bureau=bureau)
        .filter(Exists(InspectionTask.objects.filter(draw=OuterRef("pk"))))
        .select_related("task__plan__bureau")
        .only(
            "year",
            "quarter",
            "seq",
            "task__seq",
            "task__plan__year",
            "task__plan__seq",
            "task__plan__bureau__short_name",
        )
        .order_by("-year", "-quarter", "-id")
    )
    form = TaskFilterForm(request.GET or None, draws=draws)
    tasks = visible_tasks(request.user, bureau, today)
    if form.is_bound:
        form.is_valid()  # filters that do not validate are ignored; the others apply
        data = form.cleaned_data
        if data.get("q"):
            text = data["q"].strip()
            tasks = tasks.filter(
                Q(number__icontains=text) | Q(enterprise__name__icontains=text) | Q(enterprise__uscc=text.upper())
            )
        if data.get("status"):
            tasks = tasks.filter(status=data["status"])
        if data.get("draw"):
            tasks = tasks.filter(draw_id=data["draw"])
        if data.get("late") == "1":
            tasks = tasks.filter(late_q(calendar_for(today), today))
    return form, with_card_data(tasks.order_by("-planned_start", "number"))


@require_GET
@role_required(*LIST_ROLES)
def task_list(request):
    form, tasks = _filtered_tasks(request)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    _remember_team(page.object_list)
    _log_confidential(request, page.object_list)
    query = _query_without_page(request)
    context = {
        "form": form,
        "rows": _rows(request, page.object_list),
        "page": page,
        "query": query,
        "xlsx_url": reverse("inspections:task-list-xlsx") + (f"?{query}" if query else ""),
    }
    return render(request, "inspections/task_list.html", context)


TASK_HEADER = [
    pgettext_lazy("xlsx", "Task number"),
    pgettext_lazy("xlsx", "Enterprise"),
    pgettext_lazy("xlsx", "USCC"),
    pgettext_lazy("xlsx", "Inspection from"),
    pgettext_lazy("xlsx", "Inspection until"),
    pgettext_lazy("xlsx", "Team"),
    pgettext_lazy("xlsx", "Status"),
    pgettext_lazy("xlsx", "Outcome"),
]


def _task_cells(task) -> list:
    result = getattr(task, "result", None)  # a missing reverse one-to-one raises an AttributeError subclass
    team = "、".join(m.inspector.name if m.inspector_id else m.expert.name for m in task.team)
    return [
        task.number,
        task.enterprise.name,
        task.enterprise.uscc,
        task.planned_start.isoformat(),
        task.planned_end.isoformat(),
        team,
        task.get_status_display(),
        result.get_outcome_display() if result else "",
    ]


def _tasks_xlsx(request, tasks, *, title: str, filename: str):
    tasks = list(tasks)
    _remember_team(tasks)
    _log_confidential(request, tasks)
    data = write_xlsx([str(h) for h in TASK_HEADER], (_task_cells(t) for t in tasks), title=title)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return xlsx_response(data, f"{filename}-{request.bureau.code}-{stamp}.xlsx")


@require_GET
@role_required(*LIST_ROLES)
def task_list_xlsx(request):
    """The task list as filtered, every page, as .xlsx (a confidential task's download is recorded, as a view)."""
    _form, tasks = _filtered_tasks(request)
    return _tasks_xlsx(request, tasks, title=_("Inspection tasks"), filename="tasks")


@require_GET
@role_required(*MY_TASK_ROLES)
def my_tasks_xlsx(request):
    """The inspector's own tasks (open ones, or all with ``done=1``), as .xlsx."""
    return _tasks_xlsx(request, _my_tasks(request), title=_("My tasks"), filename="my-tasks")


@require_GET
@role_required(*EVALUATION_ROLES)
def evaluation_list(request):
    evaluations = (
        Evaluation.objects.filter(task__bureau=request.bureau)
        .select_related("task__enterprise", "task__result")
        .order_by("-at", "-id")
    )
    rating = request.GET.get("rating", "")
    if rating in {"1", "2", "3", "4", "5"}:
        evaluations = evaluations.filter(rating=int(rating))
    summary = Evaluation.objects.filter(task__bureau=request.bureau).aggregate(average=Avg("rating"), count=Count("id"))
    page = Paginator(evaluations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": _query_without_page(request), "summary": summary, "rating": rating}
    return render(request, "inspections/evaluation_list.html", context)


@require_GET
@role_required(*FLAGGED_ROLES)
def flagged_list(request):
    """Tasks whose arrival confirmation or rating came from an address, browser or session seen for a member of
    the team (DESIGN §3 rule 16): for the bureau's team leads and auditors to look into."""
    tasks = with_card_data(
        visible_tasks(request.user, request.bureau).filter(flagged_q()).order_by("-planned_start", "-number")
    )
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    _remember_team(page.object_list)
    _log_confidential(request, page.object_list)
    rows = []
    for task in page.object_list:
        checkin, evaluation = getattr(task, "checkin", None), getattr(task, "evaluation", None)
        reasons = []
        if checkin is not None and checkin.suspicions:
            reasons.append((_("Arrival confirmation"), checkin.at, suspicion_text(checkin.suspicions)))
        if evaluation is not None and evaluation.suspicions:
            reasons.append((_("Rating"), evaluation.at, suspicion_text(evaluation.suspicions)))
        rows.append((task, reasons))
    context = {"rows": rows, "page": page, "query": _query_without_page(request)}
    return render(request, "inspections/flagged_list.html", context)


# --- one task ---------------------------------------------------------------------------------------


def _task_for(request, pk, *, log_as: str | None = "page") -> InspectionTask:
    """The task if the user may see it (404 otherwise); a confidential view is written to the audit trail."""
    task = get_object_or_404(
        task_queryset(request.user).select_related("bureau", "draw__task__plan__bureau", "enterprise"), pk=pk
    )
    if not can_view_task(request.user, task):
        raise Http404
    if log_as and before_inspection(task) and not is_team_member(request.user, task):
        services.task_record_view(actor=request.user, task=task, what=log_as)
    return task


def _result_of(task):
    return InspectionResult.objects.filter(task=task).select_related("recorded_by", "approved_by").first()


def _can_see_qr(request, task) -> bool:
    """The QR code is the enterprise's key to confirm arrival: only the team and the bureau's leads see it."""
    if task.status == InspectionTaskStatus.CANCELLED:
        return False
    return is_team_member(request.user, task) or has_role(request.user, task.bureau, Role.TEAM_LEAD)


def _detail_context(request, task, **forms) -> dict:
    user = request.user
    result = _result_of(task)
    is_member = is_team_member(user, task)
    is_lead = has_role(user, task.bureau, Role.TEAM_LEAD)
    approved = result is not None and result.is_approved
    team = list(
        TaskMember.objects.filter(task=task, active=True).select_related("inspector", "expert").order_by("position")
    )
    context = {
        "task": task,
        "team": team,
        "items": list(task.check_items.order_by("order", "code")),
        "checkin": CheckIn.objects.filter(task=task).select_related("scan").first(),
        "result": result,
        "findings": list(result.findings.select_related("check_item")) if result else [],
        "attachments": list(result.attachments.current().order_by("uploaded_at", "id")) if result else [],
        "outcome_changes": list(result.outcome_changes.all()) if result else [],
        "is_member": is_member,
        "is_lead": is_lead,
        "can_record": is_member
        and task.status in (InspectionTaskStatus.CHECKED_IN, InspectionTaskStatus.RESULT_RECORDED)
        and hasattr(task, "checkin")
        and not approved,
        "can_record_no_arrival": is_member and task.status == InspectionTaskStatus.ASSIGNED,
        "no_arrival": NoArrival.objects.filter(result=result).first() if result else None,
        "can_attach": is_member and result is not None and not approved,
        "can_approve": is_lead and not is_member and task.status == InspectionTaskStatus.RESULT_RECORDED,
        "can_checkin_manual": (is_lead or is_member)
        and task.status == InspectionTaskStatus.ASSIGNED
        and codes.channel_for(task.enterprise) is None,
        "can_change_outcome": (is_lead or is_member) and approved and result.follow_up_open,
        "can_see_evaluation": has_role(user, task.bureau, *EVALUATION_ROLES),
        "show_qr": _can_see_qr(request, task),
        "deadline": deadline(task, calendar_for(timezone.localdate()), timezone.localdate()),
    }
    if context["show_qr"]:
        url = checkin_url(task)
        context.update(checkin_url=url, qr=qr_svg(url), token_valid_until=token_valid_until(task))
    if context["checkin"] is not None and context["checkin"].suspicions:
        context["checkin_shared"] = suspicion_text(context["checkin"].suspicions)
    if context["can_see_evaluation"]:
        context["evaluation"] = Evaluation.objects.filter(task=task).select_related("scan").first()
        if context["evaluation"] is not None and context["evaluation"].suspicions:
            context["evaluation_shared"] = suspicion_text(context["evaluation"].suspicions)
        context["can_evaluate_paper"] = (
            is_lead
            and not is_member
            and context["evaluation"] is None
            and task.status in services.APPROVED_STATES
            and codes.channel_for(task.enterprise) is None
        )
        if context["can_evaluate_paper"]:
            context["evaluation_form"] = forms.get("evaluation_form") or PaperEvaluationForm()
    context["approve_form"] = forms.get("approve_form") or _approve_form(task, result, context["can_approve"])
    context["checkin_form"] = forms.get("checkin_form") or ManualCheckInForm(
        initial={"at": timezone.localtime().replace(second=0, microsecond=0)}
    )
    context["outcome_form"] = forms.get("outcome_form") or OutcomeChangeForm()
    if context["can_record_no_arrival"]:
        context["no_arrival_form"] = forms.get("no_arrival_form") or NoArrivalForm(
            team=team,
            initial={
                "attempted_at": timezone.localtime().replace(second=0, microsecond=0),
                "place": task.enterprise.address,
                "members": [m.pk for m in team if m.inspector_id],
            },
        )
    context["attachment_form"] = forms.get("attachment_form") or AttachmentForm()
    return context


def _approve_form(task, result, can_approve: bool) -> ApproveForm:
    """The approval form, with the version of the result shown (only a lead who may approve needs it)."""
    if result is None:
        return ApproveForm()
    form = ApproveForm(
        initial={"confidential": result.confidential, "confidentiality_reason": result.confidentiality_reason}
    )
    if can_approve:
        form.set_version(services.result_version(task))
    return form


def _remember_holder(request, task) -> None:
    """A team member holding the task's QR code: where from, so a confirmation from there is flagged."""
    if task.status == InspectionTaskStatus.ASSIGNED and is_team_member(request.user, task):
        codes.sighting_record(task=task, user=request.user, marks=codes.client_marks(request))


@require_GET
def task_detail(request, pk):
    task = _task_for(request, pk)
    _remember_holder(request, task)
    return render(request, "inspections/task_detail.html", _detail_context(request, task))


@require_GET
def notice_pdf(request, pk):
    """The inspection notice (行政检查通知书), a Chinese legal document, as a PDF with the check-in QR code."""
    task = _task_for(request, pk, log_as=None)
    if not _can_see_qr(request, task):
        raise PermissionDenied
    _remember_holder(request, task)
    team = list(
        TaskMember.objects.filter(task=task, active=True).select_related("inspector", "expert").order_by("position")
    )
    url, objection_link = checkin_url(task), objection_url(task)
    context = {
        "task": task,
        "team": team,
        "items": list(task.check_items.order_by("order", "code")),
        "checkin_url": url,
        "qr": qr_svg(url, scale=3),
        "objection_url": objection_link,
        "objection_qr": qr_svg(objection_link, scale=3),
        "token_valid_until": token_valid_until(task),
        "issued_on": timezone.localdate(),
    }
    with translation.override("zh-hans"):
        data = render_pdf("inspections/notice_pdf.html", context, request=request)
    services.notice_record_issued(actor=request.user, task=task)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{task.number}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
def result_form(request, pk):
    task = _task_for(request, pk, log_as=None)
    if not is_team_member(request.user, task):
        raise PermissionDenied
    result = _result_of(task)
    if result is not None and result.is_approved:
        messages.info(request, _("The result has been approved and can no longer be changed."))
        return redirect("inspections:task-detail", pk=task.pk)
    if task.status not in (InspectionTaskStatus.CHECKED_IN, InspectionTaskStatus.RESULT_RECORDED):
        messages.error(request, _("The arrival at the enterprise has not been confirmed yet (scan the QR code)."))
        return redirect("inspections:task-detail", pk=task.pk)
    items = list(task.check_items.order_by("order", "code"))
    initial = ResultForm.initial_from(result, items) or {
        "inspected_on": timezone.localtime(task.checkin.at).date() if getattr(task, "checkin", None) else None,
        "joint_units": task.joint_units,
    }
    if request.method == "POST":
        form = ResultForm(request.POST, request.FILES, items=items, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    result, changed = services.result_record(
                        actor=request.user,
                        task=task,
                        outcome=data["outcome"],
                        inspected_on=data["inspected_on"],
                        findings=form.findings(),
                        summary=data["summary"],
                        joint_units=data["joint_units"],
                        confidential=data["confidential"],
                        confidentiality_reason=data["confidentiality_reason"],
                        version=form.submitted_version,
                    )
                    added = [
                        services.attachment_add(actor=request.user, result=result, upload=f) for f in data["files"]
                    ]
            except versions.EditConflict as exc:
                versions.refuse(form, exc)
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                if changed or any(created for _a, created in added):
                    messages.success(request, _("The result is saved. A team lead will approve it."))
                else:
                    messages.info(request, _("Nothing changed."))
                if result.late:
                    messages.warning(
                        request,
                        _("Recorded after the deadline of %(date)s: the result is flagged late.")
                        % {"date": result.due_date.isoformat()},
                    )
                return redirect("inspections:task-detail", pk=task.pk)
    else:
        form = ResultForm(items=items, initial=initial)
        form.set_version(services.result_version(task))
    context = {"task": task, "form": form, "result": result}
    return render(request, "inspections/result_form.html", context, status=versions.status(form))


def _confirm_approval(request, task, confidential: bool, reason: str):
    if confidential:
        what = _(
            "The result is approved as confidential: the task becomes exempt from publication and the result is "
            "never published. The reason is recorded."
        )
        details = [(_("Reason for confidentiality"), reason)]
    else:
        what = _("The result is approved for publication: it can no longer be edited, and it will be published.")
        details = []
    return confirm_page(
        request,
        title=_("Approve the result"),
        subject=_("%(number)s · %(enterprise)s") % {"number": task.number, "enterprise": task.enterprise.name},
        what=what,
        details=details,
        cancel_url=reverse("inspections:task-detail", args=[task.pk]),
        button=_("Approve"),
    )


@require_POST
def result_approve(request, pk):
    task = _task_for(request, pk, log_as=None)
    if not has_role(request.user, task.bureau, Role.TEAM_LEAD):
        raise PermissionDenied
    result = get_object_or_404(InspectionResult, task=task)
    form = ApproveForm(request.POST)
    if form.is_valid():
        confidential = form.cleaned_data["confidential"]
        reason = form.cleaned_data["confidentiality_reason"].strip()
        approvable = (
            task.status == InspectionTaskStatus.RESULT_RECORDED
            and result.approved_at is None
            and not is_team_member(request.user, task)
            and (reason or not confidential)
        )
        if approvable and not confirmed(request):
            return _confirm_approval(request, task, confidential, reason)
        try:
            result = services.result_approve(
                actor=request.user,
                result=result,
                confidential=form.cleaned_data["confidential"],
                confidentiality_reason=form.cleaned_data["confidentiality_reason"],
                version=form.submitted_version,
            )
        except versions.EditConflict as exc:
            items = task.check_items.order_by("order", "code")
            versions.refuse(form, exc, described_by=ResultForm(items=items))
        except DomainError as exc:
            _refuse(request, form, exc)
        else:
            if result.confidential:
                messages.success(request, _("Approved. The result is confidential: it will not be published."))
            else:
                messages.success(request, _("Approved for publication."))
            return redirect("inspections:task-detail", pk=task.pk)
    status = 409 if form.conflict else 400
    return render(
        request, "inspections/task_detail.html", _detail_context(request, task, approve_form=form), status=status
    )


@require_POST
def checkin_manual(request, pk):
    """The arrival at an enterprise without a registered contact, from the paper record it signed (its scan)."""
    task = _task_for(request, pk, log_as=None)
    if not (is_team_member(request.user, task) or has_role(request.user, task.bureau, Role.TEAM_LEAD)):
        raise PermissionDenied
    form = ManualCheckInForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _checkin, created = services.checkin_record_manual(
                actor=request.user,
                task=task,
                at=data["at"],
                received_by=data["received_by"],
                scan=data["scan"],
                reason=data["reason"],
            )
        except DomainError as exc:
            _refuse(request, form, exc)
        else:
            if created:
                messages.success(request, _("The arrival is recorded from the signed paper record."))
            else:
                messages.info(request, _("The arrival had already been recorded."))
            return redirect(reverse("inspections:task-detail", args=[task.pk]) + "#checkin")
    return render(
        request, "inspections/task_detail.html", _detail_context(request, task, checkin_form=form), status=400
    )


@require_POST
def evaluation_paper(request, pk):
    """The rating of an enterprise without a registered contact, from the paper form it signed (its scan)."""
    task = _task_for(request, pk, log_as=None)
    if not has_role(request.user, task.bureau, Role.TEAM_LEAD):
        raise PermissionDenied
    form = PaperEvaluationForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _evaluation, created = services.evaluation_record_paper(
                actor=request.user, task=task, rating=data["rating"], comment=data["comment"], scan=data["scan"]
            )
        except DomainError as exc:
            _refuse(request, form, exc)
        else:
            if created:
                messages.success(request, _("The rating is recorded from the signed paper form."))
            else:
                messages.info(request, _("The enterprise's rating had already been recorded."))
            return redirect(reverse("inspections:task-detail", args=[task.pk]) + "#evaluation")
    return render(
        request, "inspections/task_detail.html", _detail_context(request, task, evaluation_form=form), status=400
    )


@require_GET
def scan_download(request, pk, scan_pk):
    """The scan of a signed paper record, to whoever of the bureau's staff may see the task, as a download."""
    task = _task_for(request, pk, log_as="scan")
    paper = get_object_or_404(PaperScan, pk=scan_pk, task=task)
    try:
        handle = paper.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=paper.original_name, content_type=paper.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def outcome_change(request, pk):
    task = _task_for(request, pk, log_as=None)
    if not (has_role(request.user, task.bureau, Role.TEAM_LEAD) or is_team_member(request.user, task)):
        raise PermissionDenied
    result = get_object_or_404(InspectionResult, task=task)
    form = OutcomeChangeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.result_change_outcome(
                actor=request.user,
                result=result,
                new_outcome=data["new_outcome"],
                reason=data["reason"],
                case_number=data["case_number"],
            )
        except DomainError as exc:
            _refuse(request, form, exc)
        else:
            messages.success(request, _("The follow-up is recorded."))
            return redirect("inspections:task-detail", pk=task.pk)
    return render(
        request, "inspections/task_detail.html", _detail_context(request, task, outcome_form=form), status=400
    )


@require_POST
def no_arrival(request, pk):
    """未能入企检查: a team member records 不配合检查情节严重 or 无法联系 without a check-in, with evidence."""
    task = _task_for(request, pk, log_as=None)
    if not is_team_member(request.user, task):
        raise PermissionDenied
    team = list(TaskMember.objects.filter(task=task, active=True).select_related("inspector").order_by("position"))
    form = NoArrivalForm(request.POST, request.FILES, team=team)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _result, created = services.result_record_without_arrival(
                actor=request.user,
                task=task,
                outcome=data["outcome"],
                attempted_at=data["attempted_at"],
                place=data["place"],
                members=data["members"],
                witness=data["witness"],
                summary=data["summary"],
                files=data["files"],
            )
        except DomainError as exc:
            _refuse(request, form, exc)
        else:
            if created:
                messages.success(request, _("The result without arrival is saved. A team lead will approve it."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("inspections:task-detail", pk=task.pk)
    return render(
        request, "inspections/task_detail.html", _detail_context(request, task, no_arrival_form=form), status=400
    )


# --- attachments ------------------------------------------------------------------------------------


@require_POST
def attachment_add(request, pk):
    task = _task_for(request, pk, log_as=None)
    if not is_team_member(request.user, task):
        raise PermissionDenied
    result = get_object_or_404(InspectionResult, task=task)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                for upload in form.cleaned_data["files"]:
                    services.attachment_add(actor=request.user, result=result, upload=upload)
        except DomainError as exc:
            _refuse(request, form, exc)
        else:
            messages.success(request, _("Attached."))
            return redirect(reverse("inspections:task-detail", args=[task.pk]) + "#attachments")
    return render(
        request, "inspections/task_detail.html", _detail_context(request, task, attachment_form=form), status=400
    )


@require_POST
def attachment_remove(request, pk, attachment_pk):
    task = _task_for(request, pk, log_as=None)
    if not is_team_member(request.user, task):
        raise PermissionDenied
    attachment = get_object_or_404(Attachment.objects.current(), pk=attachment_pk, result__task=task)
    try:
        services.attachment_remove(actor=request.user, attachment=attachment)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Removed."))
    return redirect(reverse("inspections:task-detail", args=[task.pk]) + "#attachments")


@require_GET
def attachment_download(request, pk, attachment_pk):
    """Evidence is served only through this view, to whoever may see the task, always as a download."""
    task = _task_for(request, pk, log_as="attachment")
    attachment = get_object_or_404(Attachment.objects.current(), pk=attachment_pk, result__task=task)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- substitutions (the draw page posts here): one team lead proposes, another approves ------------------


def _inspection_task(request, pk) -> InspectionTask:
    return scoped_or_404(
        InspectionTask.objects.select_related("bureau", "draw__bureau", "draw__task__plan__bureau", "enterprise"),
        request.user,
        pk=pk,
    )


def _lead_task(request, pk) -> InspectionTask:
    """The task of a substitution: other bureaus 404, anybody but a team lead 403 (the admin included), a lead
    who may not see the draw's list (still confidential) 404."""
    task = _inspection_task(request, pk)
    if not has_role(request.user, task.bureau, *SUBSTITUTION_ROLES):
        raise PermissionDenied
    if not can_view_draw_list(request.user, task.draw):
        raise Http404
    return task


def _confirm_substitution(request, task, *, title, what, details):
    return confirm_page(
        request,
        title=title,
        subject=_("%(number)s · %(enterprise)s") % {"number": task.number, "enterprise": task.enterprise.name},
        what=what,
        details=details,
        cancel_url=reverse("sampling:draw-detail", args=[task.draw_id]),
        button=title,
    )


def _confirm_substitution_approval(request, task, proposal: SubstitutionRequest):
    """What approving the proposal will do, before it is done (it cannot be undone)."""
    reason = proposal.get_reason_code_display() + (f"：{proposal.note}" if proposal.note else "")
    if proposal.kind == SubstitutionKind.INSPECTOR:
        return _confirm_substitution(
            request,
            task,
            title=_("Replace the inspector"),
            what=_(
                "The inspector leaves the team and the next eligible inspector of the pool takes his place. "
                "The substitution is recorded and cannot be undone."
            ),
            details=[
                (_("Inspector to replace"), f"{proposal.inspector.code} {proposal.inspector.name}"),
                (_("Reason"), reason),
            ],
        )
    return _confirm_substitution(
        request,
        task,
        title=_("Replace the enterprise"),
        what=_(
            "The task is cancelled and the next enterprise of the reserve, in drawn order, takes its place "
            "with a new task. The substitution is recorded and cannot be undone."
        ),
        details=[(_("Enterprise"), task.enterprise.name), (_("Reason"), reason)],
    )


def _draw_transition(request, draw_id, call, success):
    try:
        call()
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("sampling:draw-detail", pk=draw_id)


def _propose(request, pk, kind):
    task = _lead_task(request, pk)
    form = SubstitutionProposalForm(request.POST, task=task, kind=kind)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("sampling:draw-detail", pk=task.draw_id)
    data = form.cleaned_data
    return _draw_transition(
        request,
        task.draw_id,
        lambda: substitutions.substitution_propose(
            actor=request.user,
            task=task,
            kind=kind,
            reason_code=data["reason_code"],
            note=data["note"],
            inspector=data.get("inspector"),
        ),
        _("Substitution proposed. Another team lead must approve it before it is made."),
    )


@require_POST
def substitute_enterprise(request, pk):
    """Propose to replace the task's enterprise (made only once a second team lead approves)."""
    return _propose(request, pk, SubstitutionKind.ENTERPRISE)


@require_POST
def substitute_inspector(request, pk):
    """Propose to replace an inspector of the task's team (made only once a second team lead approves)."""
    return _propose(request, pk, SubstitutionKind.INSPECTOR)


def _open_request(request, task) -> SubstitutionRequest:
    """The proposal the form was shown for (its id is posted): it must be this task's."""
    try:
        request_id = int(request.POST.get("request", ""))
    except ValueError as exc:
        raise Http404 from exc
    return get_object_or_404(SubstitutionRequest, pk=request_id, task=task)


@require_POST
def substitution_approve(request, pk):
    task = _lead_task(request, pk)
    proposal = _open_request(request, task)
    awaiting = proposal.status == SubstitutionRequestStatus.PROPOSED and task.status == InspectionTaskStatus.ASSIGNED
    if awaiting and proposal.proposed_by_id != request.user.pk and not confirmed(request):
        return _confirm_substitution_approval(request, task, proposal)
    return _draw_transition(
        request,
        task.draw_id,
        lambda: substitutions.substitution_approve(actor=request.user, request=proposal),
        _("Substitution approved and made."),
    )


@require_POST
def substitution_reject(request, pk):
    task = _lead_task(request, pk)
    proposal = _open_request(request, task)
    form = ReasonForm(request.POST)
    text = form.cleaned_data["reason"] if form.is_valid() else ""
    return _draw_transition(
        request,
        task.draw_id,
        lambda: substitutions.substitution_reject(actor=request.user, request=proposal, reason=text),
        _("Substitution rejected."),
    )


# --- off-site checks of positive-list units (非现场检查, seed 004) -----------------------------------------

OFFSITE_READERS = (Role.TEAM_LEAD, Role.INSPECTOR, Role.ADMIN, Role.AUDITOR)
OFFSITE_RECORDERS = (Role.TEAM_LEAD, Role.INSPECTOR)  # as services.offsite_check_record allows


def _quarter_of(day) -> int:
    return (day.month - 1) // 3 + 1


@require_GET
@role_required(*OFFSITE_READERS)
def offsite_list(request):
    """The bureau's positive-list units and whether each has its off-site check of the chosen quarter (target 100 %)."""
    today = timezone.localdate()
    form = OffsiteFilterForm(request.GET or None)
    year, quarter, state = today.year, _quarter_of(today), ""
    if form.is_bound and form.is_valid():
        year, quarter, state = form.cleaned_data["year"], form.cleaned_data["quarter"], form.cleaned_data["state"]
    elif not form.is_bound:
        form = OffsiteFilterForm(initial={"year": year, "quarter": quarter, "state": ""})
    units = offsite_units(request.bureau)
    checks = OffsiteCheck.objects.filter(bureau=request.bureau, year=year, quarter=quarter)
    total = units.count()
    covered = checks.filter(enterprise__in=units).count()
    shown = units.annotate(checked=Exists(checks.filter(enterprise=OuterRef("pk"))))
    if state == "missing":
        shown = shown.filter(checked=False)
    elif state == "done":
        shown = shown.filter(checked=True)
    page = Paginator(shown.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    found = {c.enterprise_id: c for c in checks.filter(enterprise__in=[u.pk for u in page.object_list])}
    rows = [(unit, found.get(unit.pk)) for unit in page.object_list]
    context = {
        "form": form,
        "year": year,
        "quarter": quarter,
        "rows": rows,
        "page": page,
        "query": _query_without_page(request),
        "covered": covered,
        "total": total,
        "missing": total - covered,
        "coverage": None if not total else (Decimal(100) * covered / total).quantize(Decimal("0.1")),
        "can_record": has_role(request.user, request.bureau, *OFFSITE_RECORDERS),
    }
    return render(request, "inspections/offsite_list.html", context)


@require_http_methods(["GET", "POST"])
def offsite_record(request, pk):
    """Record the off-site check of one positive-list unit (the quarter is that of the day checked)."""
    enterprise = scoped_or_404(Enterprise.objects.select_related("bureau"), request.user, pk=pk)
    if not has_role(request.user, enterprise.bureau, *OFFSITE_RECORDERS):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = OffsiteCheckForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                check, created = services.offsite_check_record(
                    actor=request.user,
                    enterprise=enterprise,
                    checked_on=data["checked_on"],
                    method=data["method"],
                    notes=data["notes"],
                )
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                if created:
                    messages.success(
                        request,
                        _("Off-site check of %(name)s recorded for %(year)s Q%(q)s.")
                        % {"name": enterprise.name, "year": check.year, "q": check.quarter},
                    )
                else:
                    messages.info(request, _("This off-site check had already been recorded."))
                url = reverse("inspections:offsite") + f"?year={check.year}&quarter={check.quarter}"
                return redirect(f"{url}#unit-{enterprise.pk}")
        status = 400
    else:
        form = OffsiteCheckForm(initial={"checked_on": timezone.localdate()})
    history = OffsiteCheck.objects.filter(enterprise=enterprise).order_by("-year", "-quarter")[:8]
    context = {"enterprise": enterprise, "form": form, "history": history}
    return render(request, "inspections/offsite_form.html", context, status=status)


# --- objections of the enterprises (异议) --------------------------------------------------------------

OBJECTION_ROLES = (Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)


@require_GET
@role_required(*OBJECTION_ROLES)
def objection_list(request):
    """The queue: open objections first by their decision's due date (10 working days after filing)."""
    status = request.GET.get("status", ObjectionStatus.OPEN)
    if status not in (*ObjectionStatus.values, "all"):
        status = ObjectionStatus.OPEN
    rows = Objection.objects.for_bureau(request.bureau).select_related("task__enterprise").order_by("due_on", "id")
    if status != "all":
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    calendar, today = calendar_for(today=timezone.localdate()), timezone.localdate()
    for objection in page.object_list:
        objection.overdue = objection.status == ObjectionStatus.OPEN and today > objection.due_on
        objection.days_left = working_days_between(today, objection.due_on, calendar)
    context = {
        "page": page,
        "query": _query_without_page(request),
        "status": status,
        "statuses": ObjectionStatus.choices,
    }
    return render(request, "inspections/objection_list.html", context)


def _objection_for(request, pk) -> Objection:
    """An objection of the active bureau (another bureau's answers 404) to a reader of the queue (403 otherwise)."""
    objection = get_object_or_404(
        Objection.objects.filter(task__bureau=request.bureau).select_related(
            "task__bureau", "task__enterprise", "task__publication"
        ),
        pk=pk,
    )
    if not has_role(request.user, objection.task.bureau, *OBJECTION_ROLES):
        raise PermissionDenied
    return objection


def _objection_context(request, objection, *, uphold_form=None, reject_form=None) -> dict:
    task = objection.task
    return {
        "objection": objection,
        "task": task,
        "files": list(objection.files.all()),
        "publication": getattr(task, "publication", None),
        "can_decide": objection.status == ObjectionStatus.OPEN
        and has_role(request.user, task.bureau, *objections.DECIDERS)
        and not is_team_member(request.user, task),
        "uphold_form": uphold_form or ObjectionUpholdForm(),
        "reject_form": reject_form or ObjectionRejectForm(),
        "overdue": objection.status == ObjectionStatus.OPEN and timezone.localdate() > objection.due_on,
    }


@require_GET
def objection_detail(request, pk):
    objection = _objection_for(request, pk)
    return render(request, "inspections/objection_detail.html", _objection_context(request, objection))


def _objection_subject(objection) -> str:
    return _("%(number)s · %(enterprise)s") % {
        "number": objection.task.number,
        "enterprise": objection.task.enterprise.name,
    }


@require_POST
def objection_uphold(request, pk):
    objection = _objection_for(request, pk)
    if not has_role(request.user, objection.task.bureau, *objections.DECIDERS):
        raise PermissionDenied
    form = ObjectionUpholdForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if not confirmed(request):
            return confirm_page(
                request,
                title=_("Uphold the objection"),
                subject=_objection_subject(objection),
                what=_(
                    "The result is corrected: its recorded and published outcome become the one chosen, and the "
                    "public row says 经异议更正. This cannot be undone."
                ),
                details=[
                    (_("Outcome objected to"), objection.get_old_outcome_display()),
                    (_("Corrected outcome"), dict(Outcome.choices).get(data["outcome"], "")),
                    (_("Reasons for the decision"), data["reason"]),
                ],
                cancel_url=reverse("inspections:objection-detail", args=[objection.pk]),
                button=_("Uphold"),
            )
        try:
            objections.objection_uphold(
                actor=request.user, objection=objection, outcome=data["outcome"], reason=data["reason"]
            )
        except DomainError as exc:
            _refuse(request, form, exc)
        else:
            messages.success(request, _("The objection is upheld and the result corrected."))
            return redirect("inspections:objection-detail", pk=objection.pk)
    context = _objection_context(request, objection, uphold_form=form)
    return render(request, "inspections/objection_detail.html", context, status=400)


@require_POST
def objection_reject(request, pk):
    objection = _objection_for(request, pk)
    if not has_role(request.user, objection.task.bureau, *objections.DECIDERS):
        raise PermissionDenied
    form = ObjectionRejectForm(request.POST)
    if form.is_valid():
        if not confirmed(request):
            return confirm_page(
                request,
                title=_("Reject the objection"),
                subject=_objection_subject(objection),
                what=_(
                    "The result stands. The enterprise sees the reasons on its objection page. This cannot be undone."
                ),
                details=[(_("Reasons for the rejection"), form.cleaned_data["reason"])],
                cancel_url=reverse("inspections:objection-detail", args=[objection.pk]),
                button=_("Reject"),
            )
        try:
            objections.objection_reject(actor=request.user, objection=objection, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            _refuse(request, form, exc)
        else:
            messages.success(request, _("The objection is rejected."))
            return redirect("inspections:objection-detail", pk=objection.pk)
    context = _objection_context(request, objection, reject_form=form)
    return render(request, "inspections/objection_detail.html", context, status=400)


@require_GET
def objection_file_download(request, pk, file_pk):
    """A file of an objection, as a download, to the bureau's leads, administrators and auditors."""
    objection = _objection_for(request, pk)
    upload = get_object_or_404(ObjectionFile, pk=file_pk, objection=objection)
    try:
        handle = upload.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=upload.original_name, content_type=upload.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
