"""Plans, tasks, quota policies and the draw ceremony. Views are thin: they call services."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date
from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import versions
from core.access import granted_bureau_ids, has_role, role_required, scoped_or_404
from core.confirm import confirm_page, confirmed
from core.enums import Role
from core.errors import DomainError
from core.excel import write_xlsx, xlsx_response
from core.models import AuditEntry
from core.pdf import render_pdf
from core.templatetags.words import stratum_words
from enterprises.enums import EnterpriseStatus
from enterprises.models import Enterprise

from . import draws, plans
from .access import can_view_draw_list, draw_list_is_confidential, own_tasks, sees_whole_list
from .conditions import describe_conditions
from .enums import DrawStatus, ExclusionReason, PlanStatus, QuotaPreset, RefusedStep
from .forms import (
    CeremonyForm,
    DrawCreateForm,
    PlanFilingForm,
    PlanForm,
    PlanTaskForm,
    PresetForm,
    QuotaPolicyForm,
    ReasonForm,
)
from .models import Draw, DrawData, DrawEntry, Plan, PlanTask, QuotaPolicy
from .presets import PRESET_SOURCES, PRESETS
from .quota import applied_rule, exclusion_text, rule_text
from .records import draw_pool, draw_public_record, record_json
from .staffing import CONFLICT, LAST_TEAM, excluded_pairs, pair_counts, pair_reason_text
from .tasks import member_model, task_model

RUNNERS = plans.DRAW_RUNNERS
READERS = (Role.TEAM_LEAD, Role.ADMIN, Role.AUDITOR)
PLAN_READERS = tuple(Role.staff_roles())
RESULT_PAGE = 200
EXCLUSION_PREVIEW = 50
PAIR_PREVIEW = 50


def _year(request) -> int:
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year


# --------------------------------------------------------------------------- plans


@require_GET
@role_required(*PLAN_READERS)
def plan_list(request):
    year = _year(request)
    plans = (
        Plan.objects.filter(bureau=request.bureau, year=year)
        .select_related("bureau")
        .annotate(task_count=Count("tasks"))
        .order_by("seq")
    )
    years = sorted(set(Plan.objects.filter(bureau=request.bureau).values_list("year", flat=True)) | {year})
    return render(
        request,
        "sampling/plan_list.html",
        {"plans": plans, "year": year, "years": years, "can_edit": has_role(request.user, request.bureau, *RUNNERS)},
    )


@role_required(*RUNNERS)
def plan_create(request):
    form = PlanForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        try:
            plan = plans.plan_create(actor=request.user, bureau=request.bureau, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Plan %(number)s created.") % {"number": plan.number})
            return redirect("sampling:plan-detail", pk=plan.pk)
    return render(request, "sampling/plan_form.html", {"form": form})


@require_GET
def plan_detail(request, pk):
    plan = scoped_or_404(Plan.objects.select_related("bureau"), request.user, pk=pk)
    if not has_role(request.user, plan.bureau, *PLAN_READERS):
        raise PermissionDenied
    return _render_plan_detail(request, plan)


def _filing_form(plan, data=None, **kwargs) -> PlanFilingForm:
    form = PlanFilingForm(data, **kwargs)
    form.set_version(versions.version(plan, versions.model_values(plan, plans.FILING_FIELDS)))
    return form


def _render_plan_detail(request, plan, *, filing_form=None, status=200):
    """The plan page; ``filing_form`` is the bound form of a refused filing date (its error next to the field)."""
    tasks = plan.tasks.prefetch_related("check_items").order_by("seq")
    rows = []
    for task in tasks:
        rows.append({"task": task, "conditions": describe_conditions(task.tag_conditions)})
    policy = QuotaPolicy.objects.filter(bureau=plan.bureau, year=plan.year).first()
    return render(
        request,
        "sampling/plan_detail.html",
        {
            "plan": plan,
            "rows": rows,
            "policy": policy,
            "can_edit": has_role(request.user, plan.bureau, *RUNNERS) and plan.status != PlanStatus.CLOSED,
            "next_status": PlanStatus.transitions()[plan.status],
            "PlanStatus": PlanStatus,
            "can_file": has_role(request.user, plan.bureau, *RUNNERS),
            "filing_form": filing_form or _filing_form(plan, initial={"filed_on": plan.filed_on}),
        },
        status=status,
    )


@require_POST
def plan_filing(request, pk):
    """Record (or correct) the day the plan was filed with the higher authority."""
    plan = scoped_or_404(Plan.objects.select_related("bureau"), request.user, pk=pk)
    if not has_role(request.user, plan.bureau, *RUNNERS):
        raise PermissionDenied
    form = _filing_form(plan, request.POST)
    if form.is_valid():
        try:
            plans.plan_record_filing(
                actor=request.user, plan=plan, filed_on=form.cleaned_data["filed_on"], version=form.submitted_version
            )
        except versions.EditConflict as exc:
            versions.refuse(form, exc)
        except DomainError as exc:
            for name, message in (getattr(exc, "errors", None) or {None: str(exc)}).items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(
                request,
                _("Plan %(number)s: filed with the higher authority on %(date)s.")
                % {"number": plan.number, "date": form.cleaned_data["filed_on"].isoformat()},
            )
            return redirect(reverse("sampling:plan-detail", args=[plan.pk]) + "#filing")
    return _render_plan_detail(request, plan, filing_form=form, status=409 if form.conflict else 400)


@require_POST
def plan_status(request, pk):
    plan = scoped_or_404(Plan.objects.select_related("bureau"), request.user, pk=pk)
    try:
        plans.plan_set_status(actor=request.user, plan=plan, status=request.POST.get("status", ""))
    except (DomainError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Plan %(number)s updated.") % {"number": plan.number})
    return redirect("sampling:plan-detail", pk=plan.pk)


# --------------------------------------------------------------------------- tasks


def _task_form_view(request, plan, task=None):
    if not has_role(request.user, plan.bureau, *RUNNERS):
        raise PermissionDenied
    form = PlanTaskForm(request.POST or None, instance=task, bureau=plan.bureau)
    if task is not None:
        form.set_version(plans.plan_task_version(task))
    if request.method == "POST" and form.is_valid():
        try:
            if task is None:
                task = plans.plan_task_create(
                    actor=request.user,
                    plan=plan,
                    check_items=form.cleaned_data["check_items"],
                    **form.service_fields(),
                )
                messages.success(request, _("Task added."))
            else:
                task = plans.plan_task_update(
                    actor=request.user,
                    task=task,
                    check_items=form.cleaned_data["check_items"],
                    version=form.submitted_version,
                    **form.service_fields(),
                )
                messages.success(request, _("Task saved."))
        except versions.EditConflict as exc:
            versions.refuse(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("sampling:task-detail", pk=task.pk)
    context = {"form": form, "plan": plan, "task": task}
    return render(request, "sampling/task_form.html", context, status=versions.status(form))


def task_create(request, pk):
    plan = scoped_or_404(Plan.objects.select_related("bureau"), request.user, pk=pk)
    return _task_form_view(request, plan)


def task_edit(request, pk):
    task = get_object_or_404(
        PlanTask.objects.select_related("plan__bureau").filter(plan__bureau__in=_granted(request)), pk=pk
    )
    return _task_form_view(request, task.plan, task)


def _granted(request):
    return granted_bureau_ids(request.user)


def _task_or_404(request, pk) -> PlanTask:
    return get_object_or_404(
        PlanTask.objects.select_related("plan__bureau").filter(plan__bureau_id__in=_granted(request)), pk=pk
    )


@require_GET
def task_detail(request, pk):
    task = _task_or_404(request, pk)
    if not has_role(request.user, task.plan.bureau, *PLAN_READERS):
        raise PermissionDenied
    return _render_task_detail(request, task)


def _render_task_detail(request, task, *, form=None, status=200):
    """The plan task's page; ``form`` is the bound draw form of a refused request (errors next to its fields)."""
    draws = task.draws.select_related("bureau", "task__plan__bureau").order_by("quarter", "seq")
    can_draw = has_role(request.user, task.plan.bureau, *RUNNERS)
    return render(
        request,
        "sampling/task_detail.html",
        {
            "task": task,
            "plan": task.plan,
            "conditions": describe_conditions(task.tag_conditions),
            "check_items": task.check_items.all(),
            "draws": draws,
            "can_draw": can_draw and task.plan.status == PlanStatus.ACTIVE,
            "can_see_draws": has_role(request.user, task.plan.bureau, *READERS),
            "form": form or DrawCreateForm(initial={"quarter": (timezone.localdate().month - 1) // 3 + 1}),
        },
        status=status,
    )


@require_POST
def draw_create(request, pk):
    task = _task_or_404(request, pk)
    if not has_role(request.user, task.plan.bureau, *RUNNERS):
        raise PermissionDenied
    form = DrawCreateForm(request.POST)
    if form.is_valid():
        try:
            draw = draws.draw_create(actor=request.user, task=task, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The pool is frozen. Publish its hashes, then hold the ceremony."))
            return redirect("sampling:draw-detail", pk=draw.pk)
    return _render_task_detail(request, task, form=form, status=400)


# --------------------------------------------------------------------------- quota policy


def policy(request):
    if not has_role(request.user, request.bureau, *READERS):
        raise PermissionDenied
    year = _year(request)
    current = QuotaPolicy.objects.filter(bureau=request.bureau, year=year).first()
    can_edit = has_role(request.user, request.bureau, *RUNNERS)
    preset_form = PresetForm(initial={"preset": current.preset if current else QuotaPreset.JIANAN})
    form = QuotaPolicyForm(instance=current) if current else None
    if form is not None:
        form.set_version(plans.quota_policy_version(current))
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "preset":
                preset_form = PresetForm(request.POST)
                if preset_form.is_valid():
                    plans.quota_policy_apply_preset(
                        actor=request.user, bureau=request.bureau, year=year, preset=preset_form.cleaned_data["preset"]
                    )
                    messages.success(request, _("Preset applied to %(year)s.") % {"year": year})
                    return redirect(f"{reverse('sampling:policy')}?year={year}")
            elif action == "update" and current is not None:
                form = QuotaPolicyForm(request.POST, instance=QuotaPolicy.objects.get(pk=current.pk))
                if form.is_valid():
                    plans.quota_policy_update(
                        actor=request.user,
                        policy=current,
                        version=form.submitted_version,
                        **{name: form.cleaned_data[name] for name in QuotaPolicyForm.Meta.fields},
                    )
                    messages.success(request, _("Quota policy saved."))
                    return redirect(f"{reverse('sampling:policy')}?year={year}")
        except versions.EditConflict as exc:
            versions.refuse(form, exc)
        except DomainError as exc:
            messages.error(request, str(exc))
    presets = [
        {"key": key, "label": QuotaPreset(key).label, "source": PRESET_SOURCES[key], "values": values}
        for key, values in PRESETS.items()
    ]
    return render(
        request,
        "sampling/policy.html",
        {
            "year": year,
            "policy": current,
            "form": form,
            "preset_form": preset_form,
            "presets": presets,
            "can_edit": can_edit,
        },
        status=versions.status(form),
    )


# --------------------------------------------------------------------------- draws


@require_GET
@role_required(*READERS)
def draw_list(request):
    year = _year(request)
    draws = (
        Draw.objects.filter(bureau=request.bureau, year=year)
        .select_related("bureau", "task__plan__bureau")
        .order_by("-created_at", "-id")
    )
    status = request.GET.get("status", "")
    if status not in DrawStatus.values:
        status = ""
    if status:
        draws = draws.filter(status=status)
    page = Paginator(draws, 50).get_page(request.GET.get("page"))
    query = urlencode({"year": year, **({"status": status} if status else {})})
    context = {"page": page, "year": year, "status": status, "statuses": DrawStatus.choices, "query": query}
    return render(request, "sampling/draw_list.html", context)


def _draw(request, pk) -> Draw:
    return scoped_or_404(Draw.objects.select_related("bureau", "task__plan__bureau"), request.user, pk=pk)


def _visible_draw(request, pk) -> tuple[Draw, bool]:
    """The draw and whether its list may be shown; 404 for anyone who may see neither."""
    draw = _draw(request, pk)
    if draw.status in DrawStatus.with_result():
        if not can_view_draw_list(request.user, draw):
            raise Http404
        return draw, True
    if not has_role(request.user, draw.bureau, *READERS):
        raise Http404
    return draw, False


def _quota_rows(draw: Draw) -> list[dict]:
    """The quotas with their rules as sentences; a tier's already-inspected stratum takes the remainder."""
    tier_total = Counter()
    for quota in draw.quotas:
        tier_total[quota["tier"]] += quota["quota"]
    rows = []
    for quota in draw.quotas:
        applied = applied_rule(quota["rules"])
        if quota["part"] == "covered":
            text = _("The rest of the tier's quota of %(total)s once the not-yet-inspected are drawn") % {
                "total": tier_total[quota["tier"]]
            }
            rows.append({**quota, "rule_text": text, "other_rules": []})
            continue
        rows.append(
            {
                **quota,
                "rule_text": rule_text(applied),
                "other_rules": [rule_text(r) for r in quota["rules"] if r is not applied],
            }
        )
    return rows


def _status_labels() -> dict:
    return {value: str(label) for value, label in EnterpriseStatus.choices}


def _staffing_rows(draw: Draw, data, *, pairs_shown: int | None = None, pairs_total: int | None = None) -> dict:
    """The inspector pool, the unavailable and the excluded pairs (the first ``pairs_shown``, default 50);
    ``data`` is the :class:`DrawData` or the page's :func:`_page_data` (which gives ``pairs_total``)."""
    staffing = data.staffing
    limit = PAIR_PREVIEW if pairs_shown is None else pairs_shown
    pairs = [
        {**pair, "reason_text": "；".join(pair_reason_text(r) for r in pair["reasons"])}
        for pair in excluded_pairs(data.inspectors, staffing, bureau_id=draw.bureau_id, limit=limit)
    ]
    counts = pair_counts(staffing)
    total = len(data.inspectors["exclusions"]) if pairs_total is None else pairs_total
    return {
        "pool": [(code, staffing["names"].get(code, "")) for code in data.inspectors["pool"]],
        "unavailable": staffing["unavailable"],
        "pairs": pairs,
        "pairs_total": total,
        "pairs_more": total - len(pairs),
        "cap_rule": staffing["cap_rule"],
        "conflicts": counts[CONFLICT],
        "last_team": counts[LAST_TEAM],
    }


DRAW_PAGE_CACHE_SECONDS = 24 * 3600


def _page_data(draw: Draw) -> SimpleNamespace:
    """What the draw page shows of its :class:`DrawData`: the exclusions' counts by reason and the first
    :data:`EXCLUSION_PREVIEW`, the inspector pool with the first :data:`PAIR_PREVIEW` excluded pairs, the
    staffing and the teams of the result.

    A province draw's data is megabytes of JSON (decoding it was most of the page's 2 s), and it does not change
    once the draw has been run (created with the draw, its result written once by the ceremony), so this
    summary is kept in the cache under the draw, its pool's hash and the time it was run.
    """
    executed = draw.executed_at.isoformat() if draw.executed_at else "-"
    key = f"ssj:draw-page:{draw.pk}:{draw.pool_hash}:{executed}"
    found = cache.get(key)
    if found is None:
        data = DrawData.objects.defer("pool_json", "member_ids").get(draw=draw)
        found = {
            "exclusions": data.exclusions[:EXCLUSION_PREVIEW],
            "exclusion_total": len(data.exclusions),
            "exclusion_reasons": dict(Counter(e["reason"] for e in data.exclusions)),
            "inspectors": {**data.inspectors, "exclusions": data.inspectors["exclusions"][:PAIR_PREVIEW]},
            "pairs_total": len(data.inspectors["exclusions"]),
            "staffing": data.staffing,
            "result": {"teams": data.result["teams"]} if data.result else None,
        }
        cache.set(key, found, DRAW_PAGE_CACHE_SECONDS)
    return SimpleNamespace(**found)


def _list_scope(request, draw: Draw) -> dict[int, int] | None:
    """None when the user sees the whole list; else {task id: enterprise id} of his own tasks, the only rows
    an inspector sees of a draw whose list is still confidential."""
    return None if sees_whole_list(request.user, draw) else own_tasks(request.user, draw)


def _result_rows(
    draw: Draw, data, page_number, per_page: int | None = None, *, only: set[int] | None = None
) -> tuple[object, list[dict]]:
    """The drawn enterprises in the recorded order with their teams (a page of :data:`RESULT_PAGE`, or
    ``per_page``); with ``only``, just those enterprises (an inspector's own tasks).

    A row is ``{"stratum", "position", "enterprise": (name, uscc), "team": [(code, name)], "task"}``, its task
    (of an approved draw) ``(pk, number, status, status_label, member_list)`` and each member ``(active,
    inspector: (pk, code, name) | None, expert: (name,) | None)`` as :class:`~types.SimpleNamespace`: plain
    values read by four queries (the paginator's count among them; no model instances), and nothing else, so
    that :func:`_rows_html` can key the rendered rows on exactly what they show.
    """
    per_page = per_page or RESULT_PAGE
    entries = DrawEntry.objects.filter(draw=draw, selected=True)
    if only is not None:
        entries = entries.filter(enterprise_id__in=only)
    # The recorded order: the strata as in the draw's quotas (99 after them), then the position in the stratum
    # (unique per draw and stratum). Ordered and cut into pages by the database, which also gives the page's
    # enterprises to the queries of its tasks and members (no list of ids sent back).
    rank = Case(
        *(When(stratum=q["label"], then=Value(i)) for i, q in enumerate(draw.quotas)),
        default=Value(99),
        output_field=IntegerField(),
    )
    ordered = entries.annotate(rank=rank).order_by("rank", "position", "stratum")
    page = Paginator(
        ordered.values_list("stratum", "position", "enterprise_id", "enterprise__name", "enterprise__uscc"), per_page
    ).get_page(page_number)
    tasks = {}
    if draw.status == DrawStatus.APPROVED and page.object_list:
        on_page = ordered.values("enterprise_id")[page.start_index() - 1 : page.end_index()]
        model = task_model()
        labels = {value: str(label) for value, label in model._meta.get_field("status").flatchoices}
        by_pk = {}
        for pk, enterprise_id, number, status in model.objects.filter(draw=draw, enterprise_id__in=on_page).values_list(
            "pk", "enterprise_id", "number", "status"
        ):
            by_pk[pk] = tasks[enterprise_id] = SimpleNamespace(
                pk=pk, number=number, status=status, status_label=labels.get(status, status), member_list=[]
            )
        members = (
            member_model()
            .objects.filter(task__draw=draw, task__enterprise_id__in=on_page)
            .order_by("task_id", "position", "id")
            .values_list("task_id", "active", "inspector_id", "inspector__code", "inspector__name", "expert__name")
        )
        for task_id, active, inspector_id, code, name, expert_name in members:
            by_pk[task_id].member_list.append(
                SimpleNamespace(
                    active=active,
                    inspector=SimpleNamespace(pk=inspector_id, code=code, name=name) if inspector_id else None,
                    expert=SimpleNamespace(name=expert_name) if inspector_id is None else None,
                )
            )
    names = data.staffing["names"]
    rows = []
    for stratum, position, enterprise_id, name, uscc in page:
        rows.append(
            {
                "stratum": stratum,
                "position": position,
                "enterprise": SimpleNamespace(name=name, uscc=uscc),
                "team": [(code, names.get(code, "")) for code in data.result["teams"][uscc]],
                "task": tasks.get(enterprise_id),
            }
        )
    return page, rows


def _open_proposals(draw: Draw, rows: list[dict]) -> dict[int, SimpleNamespace]:
    """{task id: the open substitution proposal} of the rows' tasks, awaiting a second team lead (one query), as
    plain values: ``(pk, kind, kind_label, inspector: (code, name) | None, reason_label, note, proposed_by_id,
    proposed_by_name, proposed_at)``."""
    task_ids = {row["task"].pk for row in rows if row["task"] is not None}
    if not task_ids:
        return {}
    model = draw.substitution_requests.model  # the inspections app's, reached through the draw
    kinds = {value: str(label) for value, label in model._meta.get_field("kind").flatchoices}
    reasons = {value: str(label) for value, label in model._meta.get_field("reason_code").flatchoices}
    # The draw's open proposals are few: read them all rather than send the page's task ids.
    found = draw.substitution_requests.filter(status="proposed").values_list(
        "pk",
        "task_id",
        "kind",
        "inspector_id",
        "inspector__code",
        "inspector__name",
        "reason_code",
        "note",
        "proposed_by_id",
        "proposed_by_name",
        "proposed_at",
    )
    proposals = {}
    for pk, task_id, kind, inspector_id, code, name, reason, note, by_id, by_name, at in found.order_by("id"):
        if task_id not in task_ids:
            continue
        proposals[task_id] = SimpleNamespace(
            pk=pk,
            kind=kind,
            kind_label=kinds.get(kind, kind),
            inspector=SimpleNamespace(code=code, name=name) if inspector_id else None,
            reason_label=reasons.get(reason, reason),
            note=note,
            proposed_by_id=by_id,
            proposed_by_name=by_name,
            proposed_at=at,
        )
    return proposals


# The draw page's costly parts, rendered once per content (issue 19 item 3): the drawn list's rows with their
# proposal forms, and the excluded enterprises and inspector pool (a province draw: 344 inspectors, 50 + 50 rows).
ROWS_TEMPLATES = ("sampling/_draw_rows.html", "inspections/_substitution_controls.html")
POPULATION_TEMPLATES = ("sampling/_draw_population.html", "sampling/_tier.html")
FRAGMENT_CACHE_SECONDS = 6 * 3600
# Bump when a fragment's HTML changes through code rather than through its templates (a tag, a form's choices).
FRAGMENT_FORMAT = 1
# Stands in a cached fragment for the request's CSRF token; data cannot produce it (autoescaped: "<" is "&lt;").
CSRF_MARK = "<ssj-csrf-token>"
_template_digests: dict[tuple, str] = {}


def _plain(value):
    """JSON for the values a fragment's context may hold besides JSON's own: namespaces and dates. Anything
    else (a model, a lazy translation) raises TypeError: it would not be keyed by its content."""
    if isinstance(value, SimpleNamespace):
        return vars(value)
    if isinstance(value, date):  # datetimes too, with their offset
        return value.isoformat()
    raise TypeError(f"not a plain value in a cached fragment: {type(value).__name__}")


def _templates_digest(names: tuple[str, ...]) -> str:
    """The SHA-256 of the templates as this process has them (a deploy that changes them changes the keys)."""
    found = _template_digests.get(names)
    if found is None:
        digest = hashlib.sha256(str(FRAGMENT_FORMAT).encode())
        for name in names:
            digest.update(get_template(name).template.source.encode())
        found = _template_digests[names] = digest.hexdigest()
    return found


def _cached_fragment(request, templates: tuple[str, ...], context: dict) -> str:
    """``templates[0]`` rendered with ``context`` (and no request), once per content: kept in the cache under
    the digest of the context, the language, time zone and URL prefix, and the templates (``templates``: the
    fragment's and those it includes).

    ``context`` holds plain values only (:func:`_plain`: strings, numbers, lists, dicts, namespaces, dates), so
    the key is made of everything the fragment shows: whatever changes what it shows — a task's status, a
    proposal, a team, an enterprise's or an inspector's name — changes the key. There is nothing to
    invalidate and nothing stale to serve. The fragment holds nothing but what its context says: who may see
    it is decided before. Its forms carry :data:`CSRF_MARK`, replaced here by the request's token.
    """
    state = json.dumps(
        [
            _templates_digest(templates),
            get_language(),
            timezone.get_current_timezone_name(),
            get_script_prefix(),
            context,
        ],
        default=_plain,
        ensure_ascii=False,
    )
    key = f"ssj:fragment:{hashlib.sha256(state.encode()).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = render_to_string(templates[0], {**context, "csrf_token": mark_safe(CSRF_MARK)})  # noqa: S308
        cache.set(key, html, FRAGMENT_CACHE_SECONDS)
    if CSRF_MARK in html:  # a form in it: the request's token, as the template's csrf_token would give
        html = html.replace(CSRF_MARK, get_token(request))
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, escaped there


def _rows_html(request, draw: Draw, rows: list[dict], proposals: dict, *, can_propose: bool) -> str:
    """The <tr> rows of the drawn list (:func:`_cached_fragment`): the rows' and their open proposals' plain
    values (:func:`_result_rows`, :func:`_open_proposals`), whether the draw is approved (the task column),
    whether the user may propose substitutions, and the user when a proposal is on the page (its proposer may
    only withdraw it)."""
    context = {
        "approved": draw.status == DrawStatus.APPROVED,
        "rows": rows,
        "proposals": proposals,
        "can_propose": can_propose,
        "viewer_id": request.user.pk if proposals else None,
    }
    return _cached_fragment(request, ROWS_TEMPLATES, context)


def _population_html(request, draw: Draw, context: dict) -> str:
    """The sections "excluded enterprises" and "inspectors" (:func:`_cached_fragment`)."""
    fragment = {
        "draw": SimpleNamespace(
            pk=draw.pk,
            excluded_count=draw.excluded_count,
            team_size=draw.team_size,
            max_per_inspector=draw.max_per_inspector,
        ),
        **{name: context[name] for name in ("exclusion_counts", "exclusion_preview", "exclusion_more", "staffing")},
    }
    return _cached_fragment(request, POPULATION_TEMPLATES, fragment)


def _can_run(request, draw) -> bool:
    return has_role(request.user, draw.bureau, *RUNNERS)


@require_GET
def draw_detail(request, pk):
    draw, with_list = _visible_draw(request, pk)
    return _render_draw_detail(request, draw, with_list)


def _render_draw_detail(request, draw, with_list, *, ceremony_form=None, status=200):
    """The draw page; ``ceremony_form`` is the bound form of a refused ceremony (its errors next to its fields)."""
    data = _page_data(draw)
    status_labels = _status_labels()
    context = {
        "draw": draw,
        "task": draw.task,
        "plan": draw.task.plan,
        "quota_rows": _quota_rows(draw),
        "total_quota": sum(q["quota"] for q in draw.quotas if q["in_record"]),
        "conditions": describe_conditions(draw.conditions),
        "exclusion_counts": [(str(ExclusionReason(r).label), n) for r, n in sorted(data.exclusion_reasons.items())],
        "exclusion_preview": [{**e, "text": exclusion_text(e, status_labels)} for e in data.exclusions],
        "exclusion_more": max(0, data.exclusion_total - EXCLUSION_PREVIEW),
        "staffing": _staffing_rows(draw, data, pairs_total=data.pairs_total),
        "DrawStatus": DrawStatus,
        "can_run": _can_run(request, draw),
        # Substitutions are proposed and approved by team leads only (two of them; never the administrator).
        "can_propose": has_role(request.user, draw.bureau, Role.TEAM_LEAD),
        "is_runner": request.user.pk in draw.runners(),
        "can_approve": has_role(request.user, draw.bureau, Role.TEAM_LEAD) and request.user.pk not in draw.runners(),
        "with_list": with_list,
        "confidential": with_list and draw_list_is_confidential(draw),
        "ceremony_form": ceremony_form or CeremonyForm(),
        "reason_form": ReasonForm(),
        "failed_attempts": _failed_attempts(draw),
    }
    context["population_html"] = _population_html(request, draw, context)
    if with_list:
        draws.draw_record_view(actor=request.user, draw=draw, what="page")
        scope = _list_scope(request, draw)
        only = None if scope is None else set(scope.values())
        page, rows = _result_rows(draw, data, request.GET.get("page"), only=only)
        proposals = _open_proposals(draw, rows) if draw.status == DrawStatus.APPROVED else {}
        rows_html = _rows_html(request, draw, rows, proposals, can_propose=context["can_propose"])
        substitutions = draw.substitutions.select_related(
            "task", "new_task", "old_enterprise", "new_enterprise", "old_inspector", "new_inspector"
        )
        changes = list(draw.changes.all())
        if scope is not None:
            substitutions = substitutions.filter(Q(task_id__in=scope) | Q(new_task_id__in=scope))
            own = set(Enterprise.objects.filter(pk__in=scope.values()).values_list("uscc", flat=True))
            changes = [change for change in changes if change.uscc in own]
        context.update(
            page=page,
            rows=rows,
            rows_html=rows_html,
            substitutions=substitutions,
            changes=changes,
            own_rows_only=scope is not None,
        )
        context["refusals"] = _refusals(draw, None if scope is None else own)
    elif draw.status == DrawStatus.CREATED:  # a refused ceremony, seen by the readers of a draw not yet held
        context["refusals"] = _refusals(draw, None)
    return render(request, "sampling/draw_detail.html", context, status=status)


REFUSAL_ACTIONS = (draws.STEP_REFUSED, "inspections.step_refused")


def _refusals(draw: Draw, own: set[str] | None) -> list[dict]:
    """The draw's 拒绝记录: its ceremony or approval, or a check-in or result entry of one of its tasks, refused
    because an inspector may not take part (1 query); only the enterprises of ``own`` (USCCs) if given."""
    steps = dict(RefusedStep.choices)
    found = []
    for entry in AuditEntry.objects.filter(
        action__in=REFUSAL_ACTIONS, bureau_id=draw.bureau_id, data__draw=draw.pk
    ).order_by("id"):
        data = entry.data
        if own is not None and data.get("enterprise") not in own:
            continue
        found.append(
            {
                "at": entry.created_at,
                "step": steps.get(data.get("step"), data.get("step")),
                "task": entry.object_repr if entry.object_type != "sampling.draw" else "",
                "inspector": f"{data.get('inspector', '')} {data.get('inspector_name', '')}".strip(),
                "enterprise": data.get("enterprise_name", ""),
                "uscc": data.get("enterprise", ""),
                "rule": data.get("rule", ""),
                "actor": entry.actor_name,
            }
        )
    return found


def _failed_attempts(draw: Draw) -> int:
    if draw.status != DrawStatus.CREATED:
        return 0
    return AuditEntry.objects.filter(
        action="draw.execute_failed", object_type="sampling.draw", object_id=str(draw.pk)
    ).count()


@require_GET
def draw_exclusions(request, pk):
    draw = _draw(request, pk)
    if not has_role(request.user, draw.bureau, *READERS):
        raise Http404
    exclusions = DrawData.objects.values_list("exclusions", flat=True).get(draw=draw)
    reason = request.GET.get("reason", "")
    if reason:
        exclusions = [e for e in exclusions if e["reason"] == reason]
    page = Paginator(exclusions, 100).get_page(request.GET.get("page"))
    labels = _status_labels()
    rows = [{**e, "text": exclusion_text(e, labels)} for e in page]
    return render(
        request,
        "sampling/draw_exclusions.html",
        {
            "draw": draw,
            "page": page,
            "rows": rows,
            "reason": reason,
            "reasons": ExclusionReason.choices,
            "query": f"reason={reason}" if reason else "",
        },
    )


@require_GET
def draw_pool_json(request, pk):
    draw = _draw(request, pk)
    if not has_role(request.user, draw.bureau, *READERS):
        raise Http404
    response = HttpResponse(record_json(draw_pool(draw)), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="draw-{draw.pk}-pool.json"'
    return response


@require_POST
def draw_execute(request, pk):
    draw = _draw(request, pk)
    if not _can_run(request, draw):
        raise PermissionDenied
    form = CeremonyForm(request.POST)
    if not form.is_valid():
        if draw.status != DrawStatus.CREATED:  # no ceremony form on the page any more: say why
            text = _("This draw has already been run or closed (%(status)s).") % {"status": draw.get_status_display()}
            messages.error(request, text)
            return redirect("sampling:draw-detail", pk=draw.pk)
        draw, with_list = _visible_draw(request, pk)
        return _render_draw_detail(request, draw, with_list, ceremony_form=form, status=400)
    try:
        draws.draw_execute(actor=request.user, draw=draw, **form.cleaned_data)
    except DomainError as exc:
        draw, with_list = _visible_draw(request, pk)
        if draw.status == DrawStatus.CREATED:  # the form is still there: the refusal above it, the input kept
            form.add_error(None, str(exc))
            return _render_draw_detail(request, draw, with_list, ceremony_form=form, status=400)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Drawn. Another team lead must now approve or reject the list."))
    return redirect("sampling:draw-detail", pk=draw.pk)


def _transition(request, draw, call, success):
    try:
        call()
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("sampling:draw-detail", pk=draw.pk)


@require_POST
def draw_approve(request, pk):
    draw = _draw(request, pk)
    if not has_role(request.user, draw.bureau, Role.TEAM_LEAD):
        raise PermissionDenied
    # Ask first when the approval can happen; otherwise the service's refusal (or no-op) is the answer.
    if not confirmed(request) and draw.status == DrawStatus.DRAWN and request.user.pk not in draw.runners():
        return confirm_page(
            request,
            title=_("Approve the draw"),
            subject=_("Draw %(number)s: %(task)s") % {"number": draw.number, "task": draw.task.name},
            what=_(
                "Approving locks the list of drawn enterprises and their teams and creates the inspection tasks. "
                "The list cannot be changed afterwards, except by a recorded substitution."
            ),
            details=[(_("Drawn enterprises"), draw.selected_count)],
            cancel_url=reverse("sampling:draw-detail", args=[draw.pk]),
            button=_("Approve and lock"),
        )
    return _transition(
        request,
        draw,
        lambda: draws.draw_approve(actor=request.user, draw=draw),
        _("Approved: the list is locked and the inspection tasks are created."),
    )


@require_POST
def draw_reject(request, pk):
    draw = _draw(request, pk)
    reason = ReasonForm(request.POST)
    text = reason.cleaned_data["reason"] if reason.is_valid() else ""
    return _transition(
        request,
        draw,
        lambda: draws.draw_reject(actor=request.user, draw=draw, reason=text),
        _("Rejected. The draw stays on record; a new draw will have a new seed."),
    )


@require_POST
def draw_cancel(request, pk):
    draw = _draw(request, pk)
    reason = ReasonForm(request.POST)
    text = reason.cleaned_data["reason"] if reason.is_valid() else ""
    return _transition(
        request, draw, lambda: draws.draw_cancel(actor=request.user, draw=draw, reason=text), _("Draw cancelled.")
    )


def _record_or_404(request, pk) -> Draw:
    draw = _draw(request, pk)
    if not draw.seed or not can_view_draw_list(request.user, draw):
        raise Http404
    return draw


@require_GET
def draw_record_json(request, pk):
    draw = _record_or_404(request, pk)
    if not sees_whole_list(request.user, draw):
        raise Http404  # the record is the whole list: not for an inspector while it is confidential
    draws.draw_record_view(actor=request.user, draw=draw, what="json")
    response = HttpResponse(record_json(draw_public_record(draw)), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="draw-{draw.pk}-record.json"'
    return response


DRAW_LIST_HEADER = [
    pgettext_lazy("xlsx", "Stratum"),
    pgettext_lazy("xlsx", "Position"),
    pgettext_lazy("xlsx", "Enterprise"),
    pgettext_lazy("xlsx", "USCC"),
    pgettext_lazy("xlsx", "Inspection task"),
    pgettext_lazy("xlsx", "Team"),
]


@require_GET
def draw_list_xlsx(request, pk):
    """The drawn list of an approved draw as .xlsx, to those allowed to see it (the rule of the PDF record:
    an inspector sees only his own rows while the list is confidential); every download is recorded."""
    draw = _record_or_404(request, pk)
    if draw.status != DrawStatus.APPROVED:
        raise Http404
    data = DrawData.objects.defer("pool_json", "member_ids").get(draw=draw)
    draws.draw_record_view(actor=request.user, draw=draw, what="xlsx")
    scope = _list_scope(request, draw)
    only = None if scope is None else set(scope.values())
    _page, rows = _result_rows(draw, data, 1, per_page=max(1, draw.selected_count), only=only)
    cells = [
        [
            stratum_words(row["stratum"]),
            row["position"],
            row["enterprise"].name,
            row["enterprise"].uscc,
            row["task"].number if row["task"] else "",
            "、".join(f"{code} {name}".strip() for code, name in row["team"]),
        ]
        for row in rows
    ]
    header = [str(h) for h in DRAW_LIST_HEADER]
    return xlsx_response(write_xlsx(header, cells, title=draw.number), f"draw-{draw.pk}-list.xlsx")


@require_GET
def draw_record_pdf(request, pk):
    draw = _record_or_404(request, pk)
    data = DrawData.objects.defer("pool_json", "member_ids").get(draw=draw)
    draws.draw_record_view(actor=request.user, draw=draw, what="pdf")
    scope = _list_scope(request, draw)
    only = None if scope is None else set(scope.values())
    _page, rows = _result_rows(draw, data, 1, per_page=max(1, draw.selected_count), only=only)
    context = {
        "draw": draw,
        "task": draw.task,
        "plan": draw.task.plan,
        "quota_rows": _quota_rows(draw),
        "total_quota": sum(q["quota"] for q in draw.quotas if q["in_record"]),
        "conditions": describe_conditions(draw.conditions),
        "exclusion_counts": [
            (ExclusionReason(r).label, n) for r, n in sorted(Counter(e["reason"] for e in data.exclusions).items())
        ],
        "staffing": _staffing_rows(draw, data, pairs_shown=0),
        "rows": rows,
        "own_rows_only": scope is not None,
        "printed_at": timezone.localtime(),
    }
    pdf = render_pdf("sampling/draw_record_pdf.html", context, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="draw-{draw.pk}-record.pdf"'
    return response
