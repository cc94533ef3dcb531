"""Pages of the enterprise registry and the checklist.

Reading: every staff role of the bureau. Writing: registry staff and administrators. Objects of a bureau
the user is not granted answer 404; a write by a role that may only read answers 403.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import versions
from core.access import has_role, require_bureau_role, role_required, scoped_or_404
from core.enums import Role
from core.errors import DomainError
from core.excel import write_xlsx, xlsx_response
from core.models import AuditEntry

from . import services, spreadsheet
from .forms import (
    CheckItemForm,
    EnterpriseCreateForm,
    EnterpriseFilterForm,
    EnterpriseForm,
    ImportForm,
    RecordForm,
    RiskRuleForm,
    StatusChangeForm,
)
from .models import CheckItem, Enterprise, RiskRule

READERS = Role.staff_roles()
EDITORS = Role.registry_editors()
PAGE_SIZE = 50
# A later app (inspections) shows an enterprise's past inspections by providing the first template.
PAST_INSPECTIONS_TEMPLATES = ["inspections/_enterprise_past_inspections.html", "enterprises/_past_inspections.html"]


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@role_required(*READERS)
def enterprise_list(request):
    form = EnterpriseFilterForm(request.GET or None, bureau=request.bureau)
    enterprises = form.apply(Enterprise.objects.for_bureau(request.bureau)).select_related("division", "industry")
    page = Paginator(enterprises, PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query_without_page(request)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "filtered": bool(form.is_bound and form.is_valid() and any(form.cleaned_data.values())),
        "can_edit": bool(request.roles & set(EDITORS)),
    }
    return render(request, "enterprises/enterprise_list.html", context)


@require_GET
@role_required(*READERS)
def enterprise_export(request):
    """The list as filtered, as .xlsx in the import's columns (so it can be edited and imported again)."""
    form = EnterpriseFilterForm(request.GET or None, bureau=request.bureau)
    enterprises = (
        form.apply(Enterprise.objects.for_bureau(request.bureau))
        .select_related("division", "industry")
        .order_by("name", "id")
    )
    rows = (spreadsheet.export_row(e) for e in enterprises.iterator(chunk_size=2000))
    data = write_xlsx(spreadsheet.HEADER, rows, title="检查对象名录库")
    stamp = timezone.localdate().strftime("%Y%m%d")
    return xlsx_response(data, f"enterprises-{request.bureau.code}-{stamp}.xlsx")


@require_GET
@role_required(*READERS)
def import_template(request):
    """The import's header row and one example row."""
    data = write_xlsx(spreadsheet.HEADER, [spreadsheet.example_row()], title="检查对象名录库")
    return xlsx_response(data, "enterprise-import-template.xlsx")


def _detail_context(request, enterprise, *, status_form=None, record_form=None) -> dict:
    today = timezone.localdate()
    return {
        "enterprise": enterprise,
        "status_changes": enterprise.status_changes.select_related("recorded_by"),
        "records": enterprise.records.select_related("recorded_by"),
        "risk_weight": services.risk_weights(enterprise.bureau, [enterprise.pk], today).get(enterprise.pk, 1),
        "can_edit": has_role(request.user, enterprise.bureau, *EDITORS),
        "status_form": status_form or _status_form(enterprise, initial={"effective_date": today}),
        "record_form": record_form or RecordForm(initial={"date": today}),
        "past_inspections_templates": PAST_INSPECTIONS_TEMPLATES,
    }


def _status_form(enterprise, data=None, **kwargs) -> StatusChangeForm:
    form = StatusChangeForm(data, **kwargs)
    form.set_version(versions.version(enterprise, versions.model_values(enterprise, services.STATUS_FIELDS)))
    return form


def _get_enterprise(request, pk, roles):
    enterprise = scoped_or_404(
        Enterprise.objects.select_related("bureau", "division", "industry", "industry__parent"), request.user, pk=pk
    )
    require_bureau_role(request.user, enterprise.bureau, *roles)
    return enterprise


@require_GET
def enterprise_detail(request, pk):
    enterprise = _get_enterprise(request, pk, READERS)
    return render(request, "enterprises/enterprise_detail.html", _detail_context(request, enterprise))


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def enterprise_create(request):
    form = EnterpriseCreateForm(request.POST or None, bureau=request.bureau)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(actor=request.user, bureau=request.bureau, **form.service_fields())
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Registered %(name)s.") % {"name": enterprise.name})
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "enterprises/enterprise_form.html", {"form": form, "enterprise": None})


@require_http_methods(["GET", "POST"])
def enterprise_edit(request, pk):
    enterprise = _get_enterprise(request, pk, EDITORS)
    form = EnterpriseForm(request.POST or None, instance=enterprise, bureau=enterprise.bureau)
    form.set_version(versions.version(enterprise, versions.model_values(enterprise, services.EDITABLE_FIELDS)))
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update(
                actor=request.user, enterprise=enterprise, version=form.submitted_version, **form.service_fields()
            )
        except versions.EditConflict as exc:
            versions.refuse(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("enterprises:detail", pk=enterprise.pk)
    # The form wrote the typed values onto the instance; show the stored name in the heading.
    enterprise.refresh_from_db(fields=["name"])
    context = {"form": form, "enterprise": enterprise}
    return render(request, "enterprises/enterprise_form.html", context, status=versions.status(form))


@require_POST
def enterprise_status(request, pk):
    enterprise = _get_enterprise(request, pk, EDITORS)
    form = _status_form(enterprise, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            change = services.enterprise_change_status(
                actor=request.user,
                enterprise=enterprise,
                status=data["status"],
                effective_date=data["effective_date"],
                reason=data["reason"],
                version=form.submitted_version,
            )
        except versions.EditConflict as exc:
            versions.refuse(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            if change is None:
                messages.info(
                    request, _("The status was already %(status)s.") % {"status": enterprise.get_status_display()}
                )
            else:
                messages.success(
                    request, _("Status changed to %(status)s.") % {"status": change.get_new_status_display()}
                )
            return redirect("enterprises:detail", pk=enterprise.pk)
    context = _detail_context(request, enterprise, status_form=form)
    return render(
        request, "enterprises/enterprise_detail.html", context, status=versions.status(form) if form.conflict else 400
    )


@require_POST
def record_add(request, pk):
    enterprise = _get_enterprise(request, pk, EDITORS)
    form = RecordForm(request.POST)
    if form.is_valid():
        try:
            services.enterprise_record_add(actor=request.user, enterprise=enterprise, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Record added."))
            return redirect("enterprises:detail", pk=enterprise.pk)
    context = _detail_context(request, enterprise, record_form=form)
    return render(request, "enterprises/enterprise_detail.html", context, status=400)


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def enterprise_import(request):
    """Upload → checked and imported at once (small files) or by a background job with progress (large ones)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.enterprise_import_start(
                actor=request.user, bureau=request.bureau, upload=form.cleaned_data["file"]
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
        else:
            if outcome.job is not None:
                return redirect("core:job-detail", pk=outcome.job.pk)
            result = outcome.result
            if result.ok:
                messages.success(request, result.summary())
                return redirect("enterprises:list")
    context = {
        "form": form,
        "result": result,
        "errors_shown": result.errors[: services.ERRORS_SHOWN] if result else [],
        "columns": spreadsheet.COLUMNS,
        "inline_max": settings.IMPORT_INLINE_MAX_ROWS,
        "max_mb": round(settings.IMPORT_MAX_BYTES / 1048576, 1),
    }
    return render(request, "enterprises/enterprise_import.html", context, status=400 if result else 200)


# --- Checklist ---------------------------------------------------------------------------------------


@require_GET
@role_required(*READERS)
def checklist(request):
    items = CheckItem.objects.filter(bureau=request.bureau).order_by("-active", "order", "code")
    return render(
        request,
        "enterprises/checklist.html",
        {"items": items, "can_edit": bool(request.roles & set(EDITORS))},
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def checklist_create(request):
    form = CheckItemForm(request.POST or None, bureau=request.bureau)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.checkitem_create(actor=request.user, bureau=request.bureau, **form.service_fields())
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Added %(item)s to the checklist.") % {"item": item})
            return redirect("enterprises:checklist-detail", pk=item.pk)
    return render(request, "enterprises/checklist_form.html", {"form": form, "item": None})


CHECKITEM_ACTIONS = {
    "enterprises.checkitem_created": gettext_lazy("Added to the checklist"),
    "enterprises.checkitem_updated": gettext_lazy("Changed"),
    "enterprises.checkitem_deactivated": gettext_lazy("Withdrawn from the checklist"),
    "enterprises.checkitem_reactivated": gettext_lazy("Put back on the checklist"),
}
CHECKITEM_HISTORY_LIMIT = 100


def _checkitem_value(value) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value in (None, ""):
        return "—"
    return str(value)


def _checkitem_history(item) -> list[dict]:
    """The item's audit entries, newest first, as (field label, before, after) lines."""
    entries = AuditEntry.objects.filter(object_type=CheckItem._meta.label_lower, object_id=str(item.pk)).order_by(
        "-id"
    )[:CHECKITEM_HISTORY_LIMIT]
    history = []
    for entry in entries:
        before, after = entry.data.get("before") or {}, entry.data.get("after") or {}
        names = [name for name in services.CHECKITEM_FIELDS if name in after or name in before]
        if entry.action == "enterprises.checkitem_created":
            before = {}
        changes = []
        if entry.action == "enterprises.checkitem_updated":
            for name in names:
                model_field = CheckItem._meta.get_field(name)
                changes.append(
                    {
                        "label": model_field.verbose_name,
                        "before": _checkitem_value(before.get(name)),
                        "after": _checkitem_value(after.get(name)),
                    }
                )
        history.append(
            {
                "entry": entry,
                "label": CHECKITEM_ACTIONS.get(entry.action, entry.action),
                "changes": changes,
            }
        )
    return history


@require_GET
def checklist_detail(request, pk):
    item = scoped_or_404(CheckItem.objects.select_related("bureau"), request.user, pk=pk)
    require_bureau_role(request.user, item.bureau, *READERS)
    context = {
        "item": item,
        "history": _checkitem_history(item),
        "can_edit": has_role(request.user, item.bureau, *EDITORS),
    }
    return render(request, "enterprises/checklist_detail.html", context)


def _get_item(request, pk):
    item = scoped_or_404(CheckItem.objects.select_related("bureau"), request.user, pk=pk)
    require_bureau_role(request.user, item.bureau, *EDITORS)
    return item


@require_http_methods(["GET", "POST"])
def checklist_edit(request, pk):
    item = _get_item(request, pk)
    form = CheckItemForm(request.POST or None, instance=item, bureau=item.bureau)
    form.set_version(versions.version(item, versions.model_values(item, services.CHECKITEM_FIELDS)))
    if request.method == "POST" and form.is_valid():
        try:
            services.checkitem_update(
                actor=request.user, item=item, version=form.submitted_version, **form.service_fields()
            )
        except versions.EditConflict as exc:
            versions.refuse(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("enterprises:checklist-detail", pk=item.pk)
    item.refresh_from_db()
    context = {"form": form, "item": item}
    return render(request, "enterprises/checklist_form.html", context, status=versions.status(form))


@require_POST
def checklist_deactivate(request, pk):
    item = _get_item(request, pk)
    services.checkitem_deactivate(actor=request.user, item=item)
    messages.success(request, _("%(item)s was withdrawn from the checklist.") % {"item": item})
    return redirect("enterprises:checklist-detail", pk=item.pk)


@require_POST
def checklist_reactivate(request, pk):
    item = _get_item(request, pk)
    services.checkitem_reactivate(actor=request.user, item=item)
    messages.success(request, _("%(item)s is back on the checklist.") % {"item": item})
    return redirect("enterprises:checklist-detail", pk=item.pk)


# ---------------------------------------------------------------------------------------------------
# The bureau's risk weight rule (issue 16 item 3)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def risk_rule(request):
    """The administrator edits the bureau's published risk weight rule (a stale form is refused, 409)."""
    rule = RiskRule.of(request.bureau)
    form = RiskRuleForm(request.POST or None, initial=rule.values())
    form.set_version(services.risk_rule_version(request.bureau))
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_rule_update(
                actor=request.user, bureau=request.bureau, version=form.submitted_version, **form.cleaned_data
            )
        except versions.EditConflict as exc:
            versions.refuse(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The rule is saved: draws prepared from now on apply it."))
            return redirect("enterprises:risk-rule")
    context = {
        "form": form,
        "rule": rule,
        "history": services.risk_rule_history([request.bureau]).get(request.bureau.pk, []),
    }
    status = versions.status(form) if form.conflict else (400 if request.method == "POST" else 200)
    return render(request, "enterprises/risk_rule.html", context, status=status)
