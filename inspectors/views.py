"""Pages of the inspector registry and the expert pool.

Reading: every staff role of the bureau. Changing: registry staff and administrators. Objects of a
bureau the user is not granted answer 404; a role that may not change them answers 403.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import versions
from core.access import has_role, require_bureau_role, role_required, scoped_or_404
from core.enums import Role
from core.errors import DomainError
from core.excel import XLSX_CONTENT_TYPE, write_xlsx
from enterprises.models import Industry

from . import services, spreadsheet
from .enums import CertificateStatus, InspectorKind
from .forms import (
    AccountForm,
    ConflictForm,
    ConflictWithdrawForm,
    ExpertFilterForm,
    ExpertForm,
    ImportForm,
    InspectorFilterForm,
    InspectorForm,
    LeaveForm,
    ReactivateForm,
    TransferForm,
)
from .history import history_rows
from .models import Conflict, Expert, Inspector, LeavePeriod
from .queries import enterprise_matches, industry_with_ancestors, industry_with_descendants

READ_ROLES = Role.staff_roles()
EDIT_ROLES = Role.registry_editors()
PAGE_SIZE = 50


def _can_edit(request, bureau) -> bool:
    return has_role(request.user, bureau, *EDIT_ROLES)


def _inspector_for(request, pk, *, edit=False) -> Inspector:
    inspector = scoped_or_404(Inspector.objects.select_related("region", "bureau", "user"), request.user, pk=pk)
    require_bureau_role(request.user, inspector.bureau, *(EDIT_ROLES if edit else READ_ROLES))
    return inspector


def _expert_for(request, pk, *, edit=False) -> Expert:
    expert = scoped_or_404(Expert.objects.select_related("region", "bureau"), request.user, pk=pk)
    require_bureau_role(request.user, expert.bureau, *(EDIT_ROLES if edit else READ_ROLES))
    return expert


def _add_errors(form, exc: DomainError) -> None:
    """Put a service's refusal next to the field it concerns (or above the form)."""
    errors = getattr(exc, "errors", None) or {None: str(exc)}
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _units(bureau) -> list[str]:
    return list(
        Inspector.objects.for_bureau(bureau).exclude(unit="").order_by("unit").values_list("unit", flat=True).distinct()
    )


# --- inspector list and export -------------------------------------------------------------------


def _filtered_inspectors(request):
    bureau, today = request.bureau, timezone.localdate()
    form = InspectorFilterForm(request.GET or None, bureau=bureau, units=_units(bureau))
    inspectors = (
        Inspector.objects.for_bureau(bureau)
        .select_related("region")
        .prefetch_related(
            Prefetch("specialties", queryset=Industry.objects.order_by("code")),
            Prefetch("leave_periods", queryset=LeavePeriod.objects.overlapping(today, today), to_attr="current_leave"),
        )
        .order_by("code")
    )
    if form.is_bound:
        form.is_valid()  # filters that do not validate are ignored; the others apply
        data = form.cleaned_data
        if data.get("q"):
            inspectors = inspectors.search(data["q"])
        if data.get("unit"):
            inspectors = inspectors.filter(unit=data["unit"])
        if data.get("kind"):
            inspectors = inspectors.filter(kind=data["kind"])
        if data.get("active") in ("0", "1"):
            inspectors = inspectors.filter(active=data["active"] == "1")
        if data.get("certificate"):
            inspectors = inspectors.with_certificate_status(data["certificate"], today)
        if data.get("region"):
            inspectors = inspectors.filter(region=data["region"])
        if data.get("specialty"):
            ids = industry_with_descendants(data["specialty"].pk)
            inspectors = inspectors.filter(specialties__in=ids).distinct()
    return inspectors, form


@require_GET
@role_required(*READ_ROLES)
def inspector_list(request):
    inspectors, form = _filtered_inspectors(request)
    page = Paginator(inspectors, PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query_without_page(request)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "today": timezone.localdate(),
        "can_edit": _can_edit(request, request.bureau),
        "export_url": reverse("inspectors:export") + (f"?{query}" if query else ""),
    }
    return render(request, "inspectors/inspector_list.html", context)


def _export_row(inspector: Inspector, today) -> list:
    kinds = dict(InspectorKind.choices)
    return [
        inspector.code,
        inspector.name,
        str(kinds.get(inspector.kind, inspector.kind)),
        inspector.unit,
        inspector.phone,
        inspector.certificate_number,
        inspector.certificate_valid_from,
        inspector.certificate_valid_until,
        "、".join(industry.code for industry in inspector.specialties.all()),
        inspector.specialty_note,
        inspector.region.name if inspector.region_id else "",
        _("Active") if inspector.active else _("Transferred / inactive"),
        inspector.inactive_since,
        inspector.inactive_reason,
        str(CertificateStatus(inspector.certificate_status(today)).label),
    ]


@require_GET
@role_required(*READ_ROLES)
def inspector_export(request):
    """The filtered list as .xlsx (every page), in the import's columns plus read-only status columns."""
    inspectors, _form = _filtered_inspectors(request)
    today = timezone.localdate()
    data = write_xlsx(
        spreadsheet.export_titles(),
        (_export_row(inspector, today) for inspector in inspectors.iterator(chunk_size=2000)),
        title=_("Inspectors"),
    )
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="inspectors-{today:%Y%m%d}.xlsx"'
    return response


# --- one inspector -------------------------------------------------------------------------------


def _render_detail(request, inspector, *, forms=None, status=200):
    forms = forms or {}
    context = {
        "inspector": inspector,
        "today": timezone.localdate(),
        "certificate_status": inspector.certificate_status(timezone.localdate()),
        "specialties": inspector.specialties.order_by("code"),
        "leave_periods": inspector.leave_periods.order_by("-start"),
        "conflicts": inspector.conflicts.select_related("enterprise").order_by("enterprise__name"),
        "history": history_rows(inspector),
        "can_edit": _can_edit(request, inspector.bureau),
        "leave_form": forms.get("leave") or LeaveForm(),
        "conflict_form": forms.get("conflict") or ConflictForm(),
        "transfer_form": forms.get("transfer") or TransferForm(initial={"on": timezone.localdate()}),
        "reactivate_form": forms.get("reactivate") or ReactivateForm(),
        "account_form": forms.get("account") or _account_form(request, inspector),
    }
    return render(request, "inspectors/inspector_detail.html", context, status=status)


def _account_form(request, inspector) -> AccountForm:
    form = AccountForm(initial={"user": inspector.user_id}, bureau=inspector.bureau)
    if _can_edit(request, inspector.bureau):
        form.set_version(services.inspector_account_version(inspector))
    return form


@require_GET
def inspector_detail(request, pk):
    return _render_detail(request, _inspector_for(request, pk))


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
def inspector_create(request):
    form = InspectorForm(request.POST or None, bureau=request.bureau)
    if request.method == "POST" and form.is_valid():
        try:
            inspector = services.inspector_create(actor=request.user, bureau=request.bureau, **form.cleaned_data)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Inspector %(inspector)s added.") % {"inspector": inspector})
            return redirect("inspectors:detail", pk=inspector.pk)
    context = {"form": form, "units": _units(request.bureau), "inspector": None}
    return render(request, "inspectors/inspector_form.html", context)


@require_http_methods(["GET", "POST"])
def inspector_edit(request, pk):
    inspector = _inspector_for(request, pk, edit=True)
    if request.method == "POST":
        form = InspectorForm(request.POST, bureau=inspector.bureau)
        if form.is_valid():
            try:
                services.inspector_update(
                    actor=request.user, inspector=inspector, version=form.submitted_version, **form.cleaned_data
                )
            except versions.EditConflict as exc:
                versions.refuse(form, exc)
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("inspectors:detail", pk=inspector.pk)
    else:
        form = InspectorForm(initial=InspectorForm.initial_for(inspector), bureau=inspector.bureau)
        form.set_version(services.inspector_version(inspector))
    context = {"form": form, "units": _units(inspector.bureau), "inspector": inspector}
    return render(request, "inspectors/inspector_form.html", context, status=versions.status(form))


@require_POST
def inspector_transfer(request, pk):
    """Transfer (inactive, with date and reason) or, with action=reactivate, bring back."""
    inspector = _inspector_for(request, pk, edit=True)
    if request.POST.get("action") == "reactivate":
        form = ReactivateForm(request.POST)
        if form.is_valid():
            services.inspector_reactivate(actor=request.user, inspector=inspector, **form.cleaned_data)
            messages.success(request, _("%(inspector)s is active again.") % {"inspector": inspector})
            return redirect("inspectors:detail", pk=inspector.pk)
        return _render_detail(request, inspector, forms={"reactivate": form})
    form = TransferForm(request.POST)
    if form.is_valid():
        try:
            services.inspector_transfer(actor=request.user, inspector=inspector, **form.cleaned_data)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(inspector)s is recorded as transferred.") % {"inspector": inspector})
            return redirect("inspectors:detail", pk=inspector.pk)
    return _render_detail(request, inspector, forms={"transfer": form})


@require_POST
def inspector_account(request, pk):
    """Link the inspector to his login account (or unlink it)."""
    inspector = _inspector_for(request, pk, edit=True)
    form = AccountForm(request.POST, bureau=inspector.bureau)
    if form.is_valid():
        try:
            services.inspector_link_account(
                actor=request.user, inspector=inspector, user=form.cleaned_data["user"], version=form.submitted_version
            )
        except versions.EditConflict as exc:
            versions.refuse(form, exc)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("inspectors:detail", pk=inspector.pk)
    return _render_detail(request, inspector, forms={"account": form}, status=versions.status(form))


@require_POST
def leave_add(request, pk):
    inspector = _inspector_for(request, pk, edit=True)
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            services.leave_add(actor=request.user, inspector=inspector, **form.cleaned_data)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Leave period recorded."))
            return redirect(reverse("inspectors:detail", args=[inspector.pk]) + "#leave")
    return _render_detail(request, inspector, forms={"leave": form})


@require_POST
def leave_remove(request, pk, leave_pk):
    inspector = _inspector_for(request, pk, edit=True)
    leave = get_object_or_404(LeavePeriod.objects.select_related("inspector"), pk=leave_pk, inspector=inspector)
    services.leave_remove(actor=request.user, leave=leave)
    messages.success(request, _("Leave period removed."))
    return redirect(reverse("inspectors:detail", args=[inspector.pk]) + "#leave")


@require_POST
def conflict_add(request, pk):
    inspector = _inspector_for(request, pk, edit=True)
    form = ConflictForm(request.POST)
    if form.is_valid():
        matches = enterprise_matches(inspector.bureau, form.cleaned_data["enterprise"])
        if len(matches) == 1:
            try:
                services.conflict_declare(
                    actor=request.user, inspector=inspector, enterprise=matches[0], reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(inspector)s is recused from %(enterprise)s.")
                    % {
                        "inspector": inspector,
                        "enterprise": matches[0].name,
                    },
                )
                return redirect(reverse("inspectors:detail", args=[inspector.pk]) + "#conflicts")
        elif not matches:
            form.add_error("enterprise", _("No enterprise in this bureau's registry has this code or name."))
        else:
            form.add_error(
                "enterprise",
                _("Several enterprises match: %(names)s. Type more of the name, or the code.")
                % {"names": "、".join(enterprise.name for enterprise in matches)},
            )
    return _render_detail(request, inspector, forms={"conflict": form})


@require_POST
def conflict_remove(request, pk, conflict_pk):
    inspector = _inspector_for(request, pk, edit=True)
    conflict = get_object_or_404(
        Conflict.objects.select_related("inspector", "enterprise"), pk=conflict_pk, inspector=inspector
    )
    form = ConflictWithdrawForm(request.POST)
    if form.is_valid():
        services.conflict_withdraw(actor=request.user, conflict=conflict, reason=form.cleaned_data["reason"])
        messages.success(
            request, _("The recusal from %(enterprise)s is withdrawn.") % {"enterprise": conflict.enterprise}
        )
    else:
        messages.error(request, _("Give the reason for withdrawing the recusal."))
    return redirect(reverse("inspectors:detail", args=[inspector.pk]) + "#conflicts")


# --- import --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
def inspector_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.inspector_import_start(
                actor=request.user, bureau=request.bureau, upload=form.cleaned_data["file"]
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
        else:
            if outcome.job is not None:
                return redirect("core:job-detail", pk=outcome.job.pk)
            result = outcome.result
            if result.ok:
                messages.success(request, result.summary)
                return redirect("inspectors:list")
    context = {"form": form, "result": result, "columns": spreadsheet.IMPORT_COLUMNS}
    return render(request, "inspectors/inspector_import.html", context)


@require_GET
@role_required(*READ_ROLES)
def import_template(request):
    data = write_xlsx(spreadsheet.template_titles(), [], title=_("Inspectors"))
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="inspectors-template.xlsx"'
    return response


# --- expert pool ---------------------------------------------------------------------------------


@require_GET
@role_required(*READ_ROLES)
def expert_list(request):
    form = ExpertFilterForm(request.GET or None, bureau=request.bureau)
    experts = (
        Expert.objects.for_bureau(request.bureau)
        .select_related("region")
        .prefetch_related(Prefetch("industries", queryset=Industry.objects.order_by("code")))
        .order_by("name", "id")
    )
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
        if data.get("q"):
            experts = experts.filter(Q(name__icontains=data["q"]) | Q(organisation__icontains=data["q"]))
        if data.get("kind"):
            experts = experts.filter(kind=data["kind"])
        if data.get("region"):
            experts = experts.filter(region=data["region"])
        if data.get("industry"):
            experts = experts.filter(industries__in=industry_with_ancestors(data["industry"].pk)).distinct()
        if data.get("active") in ("0", "1"):
            experts = experts.filter(active=data["active"] == "1")
    page = Paginator(experts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "can_edit": _can_edit(request, request.bureau),
    }
    return render(request, "inspectors/expert_list.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*EDIT_ROLES)
def expert_create(request):
    form = ExpertForm(request.POST or None, bureau=request.bureau)
    if request.method == "POST" and form.is_valid():
        try:
            expert = services.expert_create(actor=request.user, bureau=request.bureau, **form.cleaned_data)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Expert %(expert)s added.") % {"expert": expert})
            return redirect("inspectors:expert-list")
    return render(request, "inspectors/expert_form.html", {"form": form, "expert": None})


@require_http_methods(["GET", "POST"])
def expert_edit(request, pk):
    expert = _expert_for(request, pk, edit=True)
    if request.method == "POST":
        form = ExpertForm(request.POST, bureau=expert.bureau)
        if form.is_valid():
            try:
                services.expert_update(
                    actor=request.user, expert=expert, version=form.submitted_version, **form.cleaned_data
                )
            except versions.EditConflict as exc:
                versions.refuse(form, exc)
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("inspectors:expert-list")
    else:
        form = ExpertForm(initial=ExpertForm.initial_for(expert), bureau=expert.bureau)
        form.set_version(services.expert_version(expert))
    context = {"form": form, "expert": expert, "history": history_rows(expert)}
    return render(request, "inspectors/expert_form.html", context, status=versions.status(form))


@require_POST
def expert_deactivate(request, pk):
    """Take the expert out of the pool, or with action=reactivate put him back."""
    expert = _expert_for(request, pk, edit=True)
    if request.POST.get("action") == "reactivate":
        services.expert_reactivate(actor=request.user, expert=expert)
        messages.success(request, _("%(expert)s is back in the pool.") % {"expert": expert})
    else:
        services.expert_deactivate(actor=request.user, expert=expert)
        messages.success(request, _("%(expert)s is no longer in the pool.") % {"expert": expert})
    return redirect("inspectors:expert-edit", pk=expert.pk)
