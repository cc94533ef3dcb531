"""Staff pages of the follow-up: the visits due, a task's follow-up (rectification, visit, case, transfer),
the bureau's settings and the penalty exchange file. Every change goes through :mod:`followup.services`.

A task is seen by whoever sees it in the inspections app (:func:`inspections.access.can_view_task`; 404
otherwise); the visit is recorded by the task's team or a team lead, cases and transfers by team leads,
the settings by the administrator (403 otherwise). Auditors read.
"""

from __future__ import annotations

import calendar as month_calendar
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import versions
from core.access import has_role, require_bureau_role, role_required, scoped_or_404
from core.confirm import confirm_page, confirmed
from core.enums import Role
from core.errors import DomainError
from core.excel import xlsx_response
from enterprises.models import Enterprise
from inspections.access import can_view_task, is_team_member, task_queryset
from inspections.enums import Outcome
from inspections.models import InspectionResult, InspectionTask

from . import credit, exports, services
from .dates import visit_state
from .enums import RectificationStatus
from .forms import (
    CaseCloseForm,
    CaseDecideForm,
    CaseFileForm,
    EvidenceForm,
    PenaltyExportForm,
    PolicyForm,
    TransferCloseForm,
    TransferReceiveForm,
    TransferSendForm,
    VisitForm,
)
from .models import BureauPolicy, Case, FollowUpFile, Rectification, Transfer

PAGE_SIZE = 50
LIST_ROLES = (Role.INSPECTOR, Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)
EXPORT_ROLES = (Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)


def _add_errors(form, exc: DomainError) -> None:
    errors = getattr(exc, "errors", None) or {None: str(exc)}
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)


# --- the visits -----------------------------------------------------------------------------------------


@require_GET
@role_required(*LIST_ROLES)
def visits(request):
    """Open follow-up visits: an inspector sees his teams' from 5 working days before the deadline; leads,
    administrators and auditors see every open one (and the recorded ones with ``?all=1``)."""
    today = timezone.localdate()
    roles = request.roles
    qs = Rectification.objects.for_bureau(request.bureau).select_related("task__enterprise")
    show_all = request.GET.get("all") == "1"
    if roles & {Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR}:
        qs = qs if show_all else qs.open()
    else:
        qs = qs.shown_on(today).for_team_of(request.user)
    page = Paginator(qs.order_by("deadline", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (r, visit_state(r.deadline, r.due_soon_from, today) if r.status == RectificationStatus.OPEN else "")
        for r in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"rows": rows, "page": page, "query": query.urlencode(), "show_all": show_all}
    context["can_see_all"] = bool(roles & {Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR})
    context["can_export"] = bool(roles & set(EXPORT_ROLES))
    context["can_set"] = Role.ADMIN in roles
    return render(request, "followup/visits.html", context)


# --- a task's follow-up ---------------------------------------------------------------------------------


def _task(request, pk) -> InspectionTask:
    task = get_object_or_404(task_queryset(request.user).select_related("bureau", "enterprise"), pk=pk)
    if not can_view_task(request.user, task):
        raise Http404
    return task


def _context(request, task, **forms) -> dict:
    user = request.user
    result = InspectionResult.objects.filter(task=task).first()
    rectification = Rectification.objects.filter(task=task).first()
    case = Case.objects.filter(task=task).first()
    transfer = Transfer.objects.filter(task=task).first()
    is_lead = has_role(user, task.bureau, Role.TEAM_LEAD)
    visitor = is_lead or (has_role(user, task.bureau, Role.INSPECTOR) and is_team_member(user, task))
    approved_problem = result is not None and result.is_approved and result.outcome in Outcome.problems_found()
    today = timezone.localdate()
    context = {
        "task": task,
        "result": result,
        "rectification": rectification,
        "visit_state": visit_state(rectification.deadline, rectification.due_soon_from, today)
        if rectification and rectification.status == RectificationStatus.OPEN
        else "",
        "visit_files": list(rectification.files.all()) if rectification else [],
        "case": case,
        "transfer": transfer,
        "transfer_files": list(transfer.files.all()) if transfer else [],
        "can_visit": visitor and rectification is not None and rectification.status == RectificationStatus.OPEN,
        "can_open_case": is_lead and approved_problem and case is None and transfer is None,
        "can_transfer": is_lead and approved_problem and case is None and transfer is None,
        "is_lead": is_lead,
    }
    defaults = {
        "evidence_form": EvidenceForm,
        "visit_form": lambda: VisitForm(initial={"visited_on": today}),
        "file_form": CaseFileForm,
        "decide_form": CaseDecideForm,
        "close_form": CaseCloseForm,
        "send_form": lambda: TransferSendForm(initial={"transferred_on": today}),
        "receive_form": TransferReceiveForm,
        "transfer_close_form": TransferCloseForm,
        "transfer_file_form": EvidenceForm,
    }
    for name, make in defaults.items():
        context[name] = forms.get(name) or make()
    return context


@require_GET
def task_followup(request, pk):
    task = _task(request, pk)
    return render(request, "followup/task.html", _context(request, task))


def _done(task, anchor: str):
    return redirect(reverse("followup:task", args=[task.pk]) + f"#{anchor}")


def _form_post(request, task, *, form, form_name, call, confirm, success, anchor):
    """Validate ``form``, ask for confirmation, call the service; errors next to their fields (status 400)."""
    if form.is_valid():
        if confirm is not None and not confirmed(request):
            title, what = confirm
            return confirm_page(
                request,
                title=title,
                what=what,
                subject=f"{task.enterprise.name} · {task.number}",
                cancel_url=reverse("followup:task", args=[task.pk]),
            )
        try:
            call(form.cleaned_data)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, success)
            return _done(task, anchor)
    return render(request, "followup/task.html", _context(request, task, **{form_name: form}), status=400)


def _rectification(request, task) -> Rectification:
    """The task's rectification, for its team (inspectors) or a team lead (403 otherwise)."""
    roles = request.roles if request.bureau == task.bureau else frozenset()
    lead = Role.TEAM_LEAD in roles
    if not (lead or (Role.INSPECTOR in roles and is_team_member(request.user, task))):
        raise PermissionDenied
    return get_object_or_404(Rectification, task=task)


def _files_post(request, task, *, add, form_name: str, anchor: str):
    """Attach the uploaded files with ``add(upload)`` (a service) all at once or none (a visit's evidence, a
    transfer's documents)."""
    form = EvidenceForm(request.POST, request.FILES)

    def call(data):
        with transaction.atomic():
            for upload in data["files"]:
                add(upload)

    return _form_post(
        request, task, form=form, form_name=form_name, call=call, confirm=None, success=_("Attached."), anchor=anchor
    )


@require_POST
def visit_files(request, pk):
    task = _task(request, pk)
    rectification = _rectification(request, task)
    return _files_post(
        request,
        task,
        add=lambda upload: services.visit_file_add(actor=request.user, rectification=rectification, upload=upload),
        form_name="evidence_form",
        anchor="visit",
    )


@require_POST
def visit_record(request, pk):
    task = _task(request, pk)
    rectification = _rectification(request, task)
    form = VisitForm(request.POST)

    def call(data):
        services.visit_record(
            actor=request.user,
            rectification=rectification,
            rectified=data["rectified"] == "yes",
            visited_on=data["visited_on"],
            findings=data["findings"],
        )

    return _form_post(
        request,
        task,
        form=form,
        form_name="visit_form",
        call=call,
        confirm=(
            _("Record the follow-up visit"),
            _("The visit is recorded and shown on the public result; it cannot be changed afterwards."),
        ),
        success=_("The follow-up visit is recorded."),
        anchor="visit",
    )


@require_POST
def case_open(request, pk):
    task = _task(request, pk)
    if not has_role(request.user, task.bureau, *services.CASE_ROLES):
        raise PermissionDenied
    if not confirmed(request):
        return confirm_page(
            request,
            title=_("Open a case"),
            what=_("A case is opened for this result, to be filed with its number."),
            subject=f"{task.enterprise.name} · {task.number}",
            cancel_url=reverse("followup:task", args=[task.pk]),
        )
    try:
        services.case_open(actor=request.user, task=task)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The case is opened."))
    return _done(task, "case")


def _case(request, task) -> Case:
    if not has_role(request.user, task.bureau, *services.CASE_ROLES):
        raise PermissionDenied
    return get_object_or_404(Case, task=task)


@require_POST
def case_file(request, pk):
    task = _task(request, pk)
    case = _case(request, task)
    form = CaseFileForm(request.POST)
    return _form_post(
        request,
        task,
        form=form,
        form_name="file_form",
        call=lambda data: services.case_file(actor=request.user, case=case, **data),
        confirm=(_("File the case"), _("The case is filed (立案) with this number and date.")),
        success=_("The case is filed."),
        anchor="case",
    )


@require_POST
def case_decide(request, pk):
    task = _task(request, pk)
    case = _case(request, task)
    form = CaseDecideForm(request.POST)
    return _form_post(
        request,
        task,
        form=form,
        form_name="decide_form",
        call=lambda data: services.case_decide(actor=request.user, case=case, **data),
        confirm=(
            _("Record the penalty decision"),
            _("The penalty decision is recorded; it goes into the penalty exchange file."),
        ),
        success=_("The penalty decision is recorded."),
        anchor="case",
    )


@require_POST
def case_close(request, pk):
    task = _task(request, pk)
    case = _case(request, task)
    form = CaseCloseForm(request.POST)
    return _form_post(
        request,
        task,
        form=form,
        form_name="close_form",
        call=lambda data: services.case_close(actor=request.user, case=case, **data),
        confirm=(
            _("Close the case"),
            _("The case is closed with this conclusion; a result 发现问题待后续处理 is resolved by it."),
        ),
        success=_("The case is closed."),
        anchor="case",
    )


def _lead_task(request, pk) -> InspectionTask:
    task = _task(request, pk)
    if not has_role(request.user, task.bureau, *services.CASE_ROLES):
        raise PermissionDenied
    return task


@require_POST
def transfer_send(request, pk):
    task = _lead_task(request, pk)
    form = TransferSendForm(request.POST)
    return _form_post(
        request,
        task,
        form=form,
        form_name="send_form",
        call=lambda data: services.transfer_send(actor=request.user, task=task, **data),
        confirm=(_("Transfer the case"), _("The case is recorded as transferred to this department.")),
        success=_("The transfer is recorded."),
        anchor="transfer",
    )


@require_POST
def transfer_files(request, pk):
    task = _lead_task(request, pk)
    transfer = get_object_or_404(Transfer, task=task)
    return _files_post(
        request,
        task,
        add=lambda upload: services.transfer_file_add(actor=request.user, transfer=transfer, upload=upload),
        form_name="transfer_file_form",
        anchor="transfer",
    )


@require_POST
def transfer_receive(request, pk):
    task = _lead_task(request, pk)
    transfer = get_object_or_404(Transfer, task=task)
    form = TransferReceiveForm(request.POST)
    return _form_post(
        request,
        task,
        form=form,
        form_name="receive_form",
        call=lambda data: services.transfer_receive(actor=request.user, transfer=transfer, **data),
        confirm=(_("Record the receipt"), _("The receiving department's receipt is recorded.")),
        success=_("The receipt is recorded."),
        anchor="transfer",
    )


@require_POST
def transfer_close(request, pk):
    task = _lead_task(request, pk)
    transfer = get_object_or_404(Transfer, task=task)
    form = TransferCloseForm(request.POST)
    return _form_post(
        request,
        task,
        form=form,
        form_name="transfer_close_form",
        call=lambda data: services.transfer_close(actor=request.user, transfer=transfer, **data),
        confirm=(
            _("Record the conclusion"),
            _("The department's conclusion is recorded; a result 发现问题待后续处理 is resolved by it."),
        ),
        success=_("The conclusion is recorded."),
        anchor="transfer",
    )


@require_GET
def file_download(request, pk, file_pk):
    task = _task(request, pk)
    item = get_object_or_404(FollowUpFile, pk=file_pk)
    owner_task = item.rectification.task_id if item.rectification_id else item.transfer.task_id
    if owner_task != task.pk:
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=item.original_name, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the bureau's settings ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def policy(request):
    current = BureauPolicy.objects.filter(bureau=request.bureau).first()
    initial = {
        "rectification_working_days": services.rectification_working_days(request.bureau),
        "authority_uscc": current.authority_uscc if current else "",
    }
    form = PolicyForm(request.POST or None, initial=initial)
    form.set_version(services.policy_version(request.bureau))
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(
                actor=request.user, bureau=request.bureau, version=form.submitted_version, **form.cleaned_data
            )
        except versions.EditConflict as exc:
            versions.refuse(form, exc)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The settings are saved."))
            return redirect("followup:policy")
    status = versions.status(form) if form.conflict else (400 if request.method == "POST" else 200)
    return render(request, "followup/policy.html", {"form": form, "policy": current}, status=status)


# --- the penalty exchange file --------------------------------------------------------------------------


def _range(data) -> tuple[date, date]:
    if data.get("year") and data.get("quarter"):
        year, quarter = data["year"], data["quarter"]
        last_month = quarter * 3
        return date(year, last_month - 2, 1), date(year, last_month, month_calendar.monthrange(year, last_month)[1])
    return data["date_from"], data["date_to"]


@require_GET
@role_required(*EXPORT_ROLES)
def penalties(request):
    """The form; with its fields filled, the file of the penalties decided in the quarter or the range."""
    if "format" not in request.GET:
        return render(request, "followup/penalties.html", {"form": PenaltyExportForm(initial={"format": "xlsx"})})
    form = PenaltyExportForm(request.GET)
    if not form.is_valid():
        return render(request, "followup/penalties.html", {"form": form}, status=400)
    start, end = _range(form.cleaned_data)
    name = f"penalties-{request.bureau.code}-{start:%Y%m%d}-{end:%Y%m%d}"
    if form.cleaned_data["format"] == "csv":
        response = HttpResponse(
            exports.penalties_csv(request.bureau, start, end), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        response = HttpResponse(
            exports.penalties_xlsx(request.bureau, start, end),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# --- the enterprise's credit record (issue 16) ------------------------------------------------------------


@require_GET
def credit_record(request, pk):
    """One enterprise's results, visits, cases, transfers and records, newest first, and its risk weight
    term by term. Staff of the enterprise's bureau (404 for another bureau)."""
    enterprise = scoped_or_404(Enterprise.objects.select_related("bureau"), request.user, pk=pk)
    require_bureau_role(request.user, enterprise.bureau, *Role.staff_roles())
    today = timezone.localdate()
    context = {
        "enterprise": enterprise,
        "entries": credit.entries(enterprise),
        "weight": credit.weight_of(enterprise, today),
    }
    return render(request, "followup/credit_record.html", context)


@require_GET
@role_required(*Role.staff_roles())
def abnormal(request):
    """Enterprises whose published result is 通过登记的住所（经营场所）无法联系: suggested for the 经营异常名录,
    as a page and (``?format=xlsx``) a file for the market regulator."""
    if request.GET.get("format") == "xlsx":
        return xlsx_response(credit.abnormal_xlsx(request.bureau), f"abnormal-{request.bureau.code}.xlsx")
    page = Paginator(credit.unreachable(request.bureau), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "followup/abnormal.html", {"page": page})
