"""Staff pages of the publication (一公开): the dashboard, publishing, exemptions and the reports.

Who may do what (DESIGN §1): team leads publish and exempt; team leads, auditors and administrators
read the dashboard (it lists every result of the bureau awaiting publication, and the exempt ones with
their reasons); every staff role of the bureau may read and download the reports (the plan table is
published anyway, the quarterly statistics are counts). Inspectors do not see the dashboard: they see
only their own assignments. Tasks of another bureau answer 404; every change goes through
:mod:`inspections.publication`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import has_role, role_required, scoped_or_404
from core.confirm import confirm_page, confirmed
from core.enums import Role
from core.errors import DomainError
from core.excel import write_xlsx, xlsx_response
from core.pdf import render_pdf
from inspections import publication as services
from inspections.access import can_view_task
from inspections.deadlines import DUE_SOON_WORKING_DAYS, PUBLICATION_WORKING_DAYS, deadline_for, working_calendar
from inspections.enums import DeadlineState, InspectionTaskStatus
from inspections.models import InspectionTask, Publication

from . import charts, exports, queries, targets
from .forms import BatchForm, ExemptionForm, GsxtExportForm

DASHBOARD_ROLES = (Role.TEAM_LEAD, Role.AUDITOR, Role.ADMIN)
REPORT_ROLES = tuple(Role.staff_roles())
PUBLISHERS = services.PUBLISHERS
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_YEAR = 2000


def _year(request, name="year") -> int:
    today = timezone.localdate()
    try:
        year = int(request.GET.get(name, ""))
    except ValueError:
        return today.year
    return year if FIRST_YEAR <= year <= today.year + 1 else today.year


def _quarter(request, year: int) -> int:
    today = timezone.localdate()
    try:
        quarter = int(request.GET.get("quarter", ""))
    except ValueError:
        quarter = 0
    if 1 <= quarter <= 4:
        return quarter
    return queries.quarter_of(today) if year == today.year else 4


def _attachment(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _task_of_bureau(request, pk) -> InspectionTask:
    """A task of the active bureau that the user may see: 404 for any other, including the user's other bureaus,
    and for a task still before its inspection to anybody but its team, its draw's leads and the auditors
    (DESIGN §3 rule 8: the exemption page names the enterprise)."""
    task = scoped_or_404(InspectionTask.objects.select_related("bureau", "enterprise"), request.user, pk=pk)
    if task.bureau_id != request.bureau.pk or not can_view_task(request.user, task):
        raise Http404
    return task


# --- the dashboard -----------------------------------------------------------------------------------


def _week_labels(buckets) -> list[str]:
    labels = []
    for bucket in buckets:
        if bucket["key"] == "overdue":
            labels.append(_("Overdue"))
        elif bucket["key"] == "later":
            labels.append(_("Later"))
        else:
            labels.append(bucket["start"].strftime("%m-%d"))
    return labels


@require_GET
@role_required(*DASHBOARD_ROLES)
def dashboard(request):
    bureau, today = request.bureau, timezone.localdate()
    year = _year(request)
    calendar = working_calendar()
    rows = queries.pending_rows(bureau, today, calendar)
    sections = [
        (DeadlineState.OVERDUE, _("Overdue"), [r for r in rows if r.deadline.state == DeadlineState.OVERDUE]),
        (DeadlineState.DUE_SOON, _("Due soon"), [r for r in rows if r.deadline.state == DeadlineState.DUE_SOON]),
        (DeadlineState.OPEN, _("Due later"), [r for r in rows if r.deadline.state == DeadlineState.OPEN]),
    ]
    quarter = queries.quarter_of(today) if year == today.year else 4
    quota = queries.quota_by_tier(bureau, year, quarter)
    quota_exceeded = queries.quota_exceeded_draws(bureau, year, quarter)
    weeks = queries.deadline_weeks(rows, today)
    context = {
        "today": today,
        "year": year,
        "quarter": quarter,
        "quota_exceeded": quota_exceeded,
        "sections": sections,
        "pending_count": len(rows),
        "publishable_count": sum(r.can_publish for r in rows),
        "can_publish": has_role(request.user, bureau, *PUBLISHERS),
        "rate": queries.disclosure_rate(bureau, year, today, calendar),
        "coverage": queries.checklist_coverage(bureau, year),
        "targets": targets.seed_targets(bureau, year, quarter, today),
        "quota": quota,
        "weeks": weeks,
        "recent": queries.recent_publications(bureau),
        "exempt": queries.exempt_tasks(bureau, year),
        "publication_days": PUBLICATION_WORKING_DAYS,
        "due_soon_days": DUE_SOON_WORKING_DAYS,
        "quota_chart": charts.quota_chart(
            quota,
            title=_("Quota and drawn per tier, %(year)s Q%(quarter)s") % {"year": year, "quarter": quarter},
            desc=_("For each tier, the quota of the quarter's approved draws beside the number drawn."),
            quota_label=_("Quota to draw"),
            drawn_label=_("Drawn so far"),
        )
        if quota
        else None,
        "weeks_chart": charts.weeks_chart(
            weeks,
            _week_labels(weeks),
            title=_("Results awaiting publication by deadline week"),
            desc=_("The first bar counts overdue results; the others the weeks (from Monday) their deadline falls in."),
        )
        if rows
        else None,
        "week_labels": list(zip(_week_labels(weeks), weeks, strict=True)),
    }
    return render(request, "disclosure/dashboard.html", context)


# --- publishing and exemptions -----------------------------------------------------------------------


def _require_publisher(request) -> None:
    if not has_role(request.user, request.bureau, *PUBLISHERS):
        raise PermissionDenied


@require_POST
def publish(request, pk):
    _require_publisher(request)
    task = _task_of_bureau(request, pk)
    already = task.status == InspectionTaskStatus.PUBLISHED
    if task.status == InspectionTaskStatus.RESULT_APPROVED and not confirmed(request):
        return confirm_page(
            request,
            title=_("Publish the result"),
            subject=_("%(number)s · %(enterprise)s") % {"number": task.number, "enterprise": task.enterprise.name},
            what=_(
                "The result appears on the public site, with the enterprise's name, the inspection date and the "
                "outcome. A published result cannot be withdrawn."
            ),
            cancel_url=reverse("disclosure:dashboard"),
            button=_("Publish"),
        )
    try:
        services.publication_publish(actor=request.user, task=task)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if already:
            messages.info(request, _("%(number)s was already published.") % {"number": task.number})
        else:
            messages.success(request, _("%(number)s is published.") % {"number": task.number})
    return redirect("disclosure:dashboard")


@require_POST
@role_required(*PUBLISHERS)
def publish_batch(request):
    bureau = request.bureau
    candidates = list(
        InspectionTask.objects.filter(
            bureau=bureau, status__in=[InspectionTaskStatus.RESULT_APPROVED, InspectionTaskStatus.PUBLISHED]
        ).values_list("pk", flat=True)
    )
    form = BatchForm(request.POST, task_ids=candidates)
    if not form.is_valid():
        messages.error(request, _("Some of the selected results can no longer be published. Reload the page."))
        return redirect("disclosure:dashboard")
    tasks = list(
        InspectionTask.objects.filter(bureau=bureau, pk__in=form.cleaned_data["task"])
        .select_related("enterprise")
        .order_by("number")
    )
    already = sum(t.status == InspectionTaskStatus.PUBLISHED for t in tasks)
    if already < len(tasks) and not confirmed(request):
        names = [f"{t.number} · {t.enterprise.name}" for t in tasks if t.status != InspectionTaskStatus.PUBLISHED]
        return confirm_page(
            request,
            title=_("Publish the selected results"),
            subject=ngettext("%(n)s result", "%(n)s results", len(names)) % {"n": len(names)},
            what=_(
                "These results appear on the public site, with the enterprises' names, the inspection dates and "
                "the outcomes. A published result cannot be withdrawn."
            ),
            details=[(_("Results"), "\n".join(names))],
            cancel_url=reverse("disclosure:dashboard"),
            button=_("Publish"),
        )
    try:
        publications = services.publication_publish_batch(actor=request.user, tasks=tasks)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(n)s results are published.") % {"n": len(publications) - already})
        if already:
            messages.info(request, _("%(n)s of them were already published.") % {"n": already})
    return redirect("disclosure:dashboard")


@require_http_methods(["GET", "POST"])
def exempt(request, pk):
    """Record that an approved result is not published (state secrets, national or public security)."""
    _require_publisher(request)
    task = _task_of_bureau(request, pk)
    if task.status == InspectionTaskStatus.EXEMPT:
        messages.info(request, _("%(number)s is already exempt from publication.") % {"number": task.number})
        return redirect("disclosure:dashboard")
    form = ExemptionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and task.status == InspectionTaskStatus.RESULT_APPROVED and not confirmed(request):
            return confirm_page(
                request,
                title=_("Exempt from publication"),
                subject=_("%(number)s · %(enterprise)s") % {"number": task.number, "enterprise": task.enterprise.name},
                what=_("The result is never published. The reason is recorded in the audit trail."),
                details=[(_("Reason"), form.cleaned_data["reason"])],
                cancel_url=reverse("disclosure:exempt", args=[task.pk]),
                button=_("Exempt from publication"),
            )
        if form.is_valid():
            try:
                services.publication_exempt(actor=request.user, task=task, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                text = _("%(number)s is exempt from publication; the reason is recorded.")
                messages.success(request, text % {"number": task.number})
                return redirect("disclosure:dashboard")
        status = 400
    result = getattr(task, "result", None)
    can_exempt = task.status == InspectionTaskStatus.RESULT_APPROVED
    context = {"task": task, "result": result, "form": form, "can_exempt": can_exempt}
    return render(request, "disclosure/exempt.html", context, status=status)


# --- reports -----------------------------------------------------------------------------------------


RESULT_HEADER = [
    pgettext_lazy("xlsx", "Task number"),
    pgettext_lazy("xlsx", "Enterprise"),
    pgettext_lazy("xlsx", "USCC"),
    pgettext_lazy("xlsx", "Inspected on"),
    pgettext_lazy("xlsx", "Outcome"),
    pgettext_lazy("xlsx", "Status"),
    pgettext_lazy("xlsx", "Publication deadline"),
    pgettext_lazy("xlsx", "Published on"),
]


# Where a result stands on its way to the public (a result list's words; the task's own status reads otherwise).
RESULT_STATES = {
    InspectionTaskStatus.RESULT_RECORDED: pgettext_lazy("result state", "Awaiting approval"),
    InspectionTaskStatus.RESULT_APPROVED: pgettext_lazy("result state", "Approved, awaiting publication"),
    InspectionTaskStatus.PUBLISHED: pgettext_lazy("result state", "Published"),
    InspectionTaskStatus.EXEMPT: pgettext_lazy("result state", "Exempt from publication"),
}


@require_GET
@role_required(*DASHBOARD_ROLES)
def results_xlsx(request):
    """The results of the year's draws (recorded, approved, published or exempt) as .xlsx, in task order."""
    bureau, today, year = request.bureau, timezone.localdate(), _year(request)
    calendar = working_calendar()
    tasks = (
        InspectionTask.objects.filter(bureau=bureau, draw__year=year, result__isnull=False)
        .select_related("enterprise", "result", "publication")
        .order_by("number", "id")
    )
    rows = []
    for task in tasks:
        publication = getattr(task, "publication", None)  # a missing reverse one-to-one is an AttributeError
        deadline = publication.deadline if publication else deadline_for(task.result.inspected_on, today, calendar).date
        rows.append(
            [
                task.number,
                task.enterprise.name,
                task.enterprise.uscc,
                task.result.inspected_on.isoformat(),
                task.result.get_outcome_display(),
                str(RESULT_STATES.get(task.status, task.get_status_display())),
                deadline.isoformat(),
                publication.published_on.isoformat() if publication else "",
            ]
        )
    data = write_xlsx([str(h) for h in RESULT_HEADER], rows, title=_("Results %(year)s") % {"year": year})
    return xlsx_response(data, f"results-{bureau.code}-{year}.xlsx")


@require_GET
@role_required(*REPORT_ROLES)
def reports(request):
    bureau, today = request.bureau, timezone.localdate()
    year = _year(request)
    quarter = _quarter(request, year)
    calendar = working_calendar()
    context = {
        "year": year,
        "quarter": quarter,
        "quarters": [1, 2, 3, 4],
        "today": today,
        "plan_year": _year(request, "plan_year") if "plan_year" in request.GET else year,
        "stats": queries.quarterly_statistics(bureau, year, quarter, today, calendar),
        "rate": queries.disclosure_rate(bureau, year, today, calendar),
        "coverage": queries.checklist_coverage(bureau, year),
        "targets": targets.seed_targets(bureau, year, quarter, today),
        "can_gsxt": has_role(request.user, bureau, *DASHBOARD_ROLES),
    }
    context["plan_table"] = queries.plan_table(bureau, context["plan_year"])
    return render(request, "disclosure/reports.html", context)


def _report_year(year: int) -> int:
    if not FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise Http404
    return year


@require_GET
@role_required(*REPORT_ROLES)
def plan_table_xlsx(request, year):
    year = _report_year(year)
    table = queries.plan_table(request.bureau, year)
    data = exports.plan_table_xlsx(table, bureau=request.bureau, year=year)
    return _attachment(data, XLSX, f"plan-table-{request.bureau.code}-{year}.xlsx")


@require_GET
@role_required(*REPORT_ROLES)
def plan_table_pdf(request, year):
    year = _report_year(year)
    context = {
        "bureau": request.bureau,
        "year": year,
        "title": exports.plan_table_title(request.bureau, year),
        "header": exports.PLAN_TABLE_HEADER,
        "table": queries.plan_table(request.bureau, year),
        "printed_on": timezone.localdate(),
    }
    with translation.override("zh-hans"):
        data = render_pdf("disclosure/plan_table_pdf.html", context, request=request)
    return _attachment(data, "application/pdf", f"plan-table-{request.bureau.code}-{year}.pdf")


@require_GET
@role_required(*REPORT_ROLES)
def quarterly_xlsx(request, year, quarter):
    year = _report_year(year)
    if not 1 <= quarter <= 4:
        raise Http404
    today = timezone.localdate()
    stats = queries.quarterly_statistics(request.bureau, year, quarter, today, working_calendar())
    stats["targets"] = targets.seed_targets(request.bureau, year, quarter, today)
    data = exports.quarterly_xlsx(stats, bureau=request.bureau, year=year, quarter=quarter, today=today)
    return _attachment(data, XLSX, f"quarterly-{request.bureau.code}-{year}Q{quarter}.xlsx")


@require_GET
@role_required(*DASHBOARD_ROLES)
def gsxt_export(request):
    """The published results of a quarter or a date range in the layout of GSXT's 双随机 result import, as
    .xlsx or CSV, to upload by hand (nothing is sent over a network)."""
    form = GsxtExportForm(request.GET or None)
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        rows = (
            Publication.objects.for_bureau(request.bureau)
            .filter(published_on__gte=start, published_on__lte=end)
            .order_by("published_on", "inspection_number")
            .values_list(*exports.GSXT_FIELDS)
        )
        name = f"gsxt-{request.bureau.code}-{start:%Y%m%d}-{end:%Y%m%d}"
        if form.cleaned_data["format"] == "csv":
            return _attachment(exports.gsxt_csv(rows).encode("utf-8"), "text/csv; charset=utf-8", f"{name}.csv")
        return _attachment(exports.gsxt_xlsx(rows), XLSX, f"{name}.xlsx")
    status = 400 if form.is_bound else 200
    return render(request, "disclosure/gsxt.html", {"form": form, "columns": exports.GSXT_HEADER}, status=status)
