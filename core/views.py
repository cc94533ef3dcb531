from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import notify, services, versions
from .access import SESSION_KEY, granted_bureau_ids, role_required, scoped_or_404
from .enums import NotificationKind, Role
from .errors import DomainError
from .forms import AuditFilterForm, CalendarDayForm, CalendarYearForm, NotificationPreferencesForm
from .models import AuditEntry, CalendarDay, CalendarYear, Job, NotificationOptOut, NotificationSent
from .todo import todo_items


@require_GET
def home(request):
    return render(request, "core/home.html", {"roles": sorted(request.roles), "todo": todo_items(request)})


@require_POST
def bureau_switch(request):
    try:
        bureau_id = int(request.POST.get("bureau", ""))
    except ValueError:
        bureau_id = None
    if bureau_id in granted_bureau_ids(request.user):
        request.session[SESSION_KEY] = bureau_id
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)


@require_GET
@role_required(Role.AUDITOR, Role.ADMIN)
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.filter(
        Q(bureau_id__in=granted_bureau_ids(request.user)) | Q(bureau__isnull=True)
    ).order_by("-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            entries = entries.filter(action__startswith=data["action"])
        if data["actor"]:
            entries = entries.filter(actor_name__icontains=data["actor"])
        if data["object_id"]:
            entries = entries.filter(Q(object_id=data["object_id"]) | Q(object_repr__icontains=data["object_id"]))
        if data["date_from"]:
            entries = entries.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(created_at__date__lte=data["date_to"])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/audit_list.html", {"form": form, "page": page, "query": query.urlencode()})


def calendar(request):
    year = _int(request.GET.get("year"), timezone.localdate().year)
    if not 1900 <= year <= 2100:  # year=0 or 10000 cannot be a date: show this year instead
        year = timezone.localdate().year
    is_admin = Role.ADMIN in request.roles
    day_form = _day_form(request.GET.get("edit"))
    year_form = CalendarYearForm(initial={"year": year})
    if request.method == "POST":
        if not is_admin:
            return HttpResponse(status=403)
        action = request.POST.get("action")
        try:
            if action == "set":
                day_form = CalendarDayForm(request.POST)
                if day_form.is_valid():
                    d = day_form.cleaned_data
                    services.calendar_day_set(
                        actor=request.user,
                        day=d["date"],
                        kind=d["kind"],
                        name=d["name"],
                        version=day_form.submitted_version,
                    )
                    messages.success(request, _("Saved %(day)s.") % {"day": d["date"]})
                    return redirect(f"{request.path}?year={d['date'].year}")
            elif action == "remove":
                day = date.fromisoformat(request.POST.get("date", ""))
                services.calendar_day_remove(actor=request.user, day=day)
                messages.success(request, _("Removed %(day)s.") % {"day": day})
                return redirect(f"{request.path}?year={day.year}")
            elif action == "year":
                year_form = CalendarYearForm(request.POST)
                if year_form.is_valid():
                    d = year_form.cleaned_data
                    services.calendar_year_mark_loaded(actor=request.user, year=d["year"], source=d["source"])
                    messages.success(request, _("Year %(year)s marked as loaded.") % {"year": d["year"]})
                    return redirect(f"{request.path}?year={d['year']}")
        except versions.EditConflict as exc:
            versions.refuse(day_form, exc)
        except (DomainError, ValueError) as exc:
            messages.error(request, str(exc))
    context = {
        "year": year,
        "year_info": CalendarYear.objects.filter(year=year).first(),
        "days": CalendarDay.objects.filter(date__year=year),
        "years": CalendarYear.objects.order_by("-year").values_list("year", flat=True),
        "is_admin": is_admin,
        "day_form": day_form,
        "year_form": year_form,
    }
    return render(request, "core/calendar.html", context, status=versions.status(day_form))


def _day_form(edit: str | None) -> CalendarDayForm:
    """The form to add a day, or with ``?edit=<date>`` to change that day's entry (filled in from it)."""
    try:
        day = date.fromisoformat(edit or "")
    except ValueError:
        day = None
    row = CalendarDay.objects.filter(date=day).first() if day is not None else None
    form = CalendarDayForm(initial={"date": row.date, "kind": row.kind, "name": row.name} if row else None)
    form.set_version(services.calendar_day_version(row.date if row else None))
    return form


@login_not_required
@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


FAVICON = settings.BASE_DIR / "static" / "favicon.ico"


@login_not_required
@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: answer it (the same icon as the static one)."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800"
    return response


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@require_GET
def job_detail(request, pk):
    """A background job's status; htmx polls it (returns the partial) until it is finished."""
    job = scoped_or_404(Job.objects.all(), request.user, pk=pk)
    template = "core/_job_status.html" if request.headers.get("HX-Request") else "core/job_detail.html"
    return render(request, template, {"job": job})


def notification_preferences(request):
    """The user's own choice of e-mails (every kind on by default), and the last e-mails sent to him."""
    off = set(NotificationOptOut.objects.filter(user=request.user).values_list("kind", flat=True))
    form = NotificationPreferencesForm(initial={"kinds": [kind for kind in NotificationKind.values if kind not in off]})
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST)
        if form.is_valid():
            notify.notification_preferences_set(actor=request.user, enabled=form.cleaned_data["kinds"])
            messages.success(request, _("Your e-mail preferences are saved."))
            return redirect("core:notifications")
    elif request.method != "GET":
        return HttpResponse(status=405)
    recent = NotificationSent.objects.filter(user=request.user).order_by("-sent_at")[:10]
    return render(request, "core/notifications.html", {"form": form, "recent": recent})
