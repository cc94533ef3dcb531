"""The public site (一公开): published results, plans and tasks, the checklist, draw records and open data.

No account is needed: every view is ``@login_not_required`` and reads through
:mod:`disclosure.public_queries`, which only ever reaches published, non-confidential data.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.audit import published_anchors
from core.files import ranged_file_response
from core.models import Bureau
from core.public_cache import cached
from enterprises.enums import CreditRating, Tier
from enterprises.models import RiskRule
from enterprises.services import risk_rule_history
from followup.enums import rectification_label
from inspections.enums import Outcome, gsxt_legend, outcome_legend
from sampling.conditions import describe_conditions
from sampling.records import record_json

from . import opendata
from . import public_queries as pq
from .exports import CHUNK, OPEN_DATA_COLUMNS, OPEN_DATA_FIELDS, csv_lines, json_chunks, open_data_xlsx
from .middleware import public_page
from .queries import TIER_OBJECTS

FILTERED_MAX_ROWS = 10_000  # a filtered download beyond this points to the whole prebuilt files
REPLAY_SHOWN_MAX = 2000
# The published text of the draw algorithms, the one source of sampling/algorithm.py and static/js/draw-replay.js.
ALGORITHM_TEXT = Path(settings.BASE_DIR) / "docs" / "draw-algorithm.md"
# The browser replay refuses a larger record (a province's is about 15 MB).
BROWSER_REPLAY_MAX_BYTES = 64 * 1024 * 1024
EXPORT_ORDER = ("published_at", "id")


def _labelled(rows: list[dict]) -> list[dict]:
    """Rows of the results list with the names of their outcome and tier (new dicts: the cached ones stay)."""
    outcomes, tiers = dict(Outcome.choices), dict(Tier.choices)
    return [
        {
            **r,
            "outcome_label": outcomes.get(r["outcome"], ""),
            "tier_label": tiers.get(r["tier"], ""),
            "rectification_label": rectification_label(r.get("rectification")),
        }
        for r in rows
    ]


def _query_prefix(query: dict) -> str:
    """``k=v&`` for each search parameter (values quoted as the ``urlencode`` filter does), to put before more."""
    return "".join(f"{key}={quote(str(value), safe='/')}&" for key, value in query.items())


def _form_context(params: pq.SearchParams) -> dict:
    return {
        "params": params,
        "years": pq.result_years(),
        "bureaus": pq.public_bureaus(),
        "tiers": Tier.choices,
        "outcomes": Outcome.choices,
        "quarters": [1, 2, 3, 4],
    }


def _bureau_param(request) -> str:
    code = (request.GET.get("bureau") or "").strip()
    return code if code in pq.bureau_codes() else ""


def _year_param(request, years: list[int]) -> int | None:
    year = pq.parse_int(request.GET.get("year"), 2000, 2100)
    return year if year in years else None


def _page_seconds() -> int:
    return pq.SEARCH_CACHE_SECONDS  # read at each request: the benchmark turns the page cache off with it


@login_not_required
@require_GET
def language(request):
    """Switch the public site's language and go back: a link, so that the public pages hold no form token
    (they are the same for every visitor and can be kept whole, ``disclosure.middleware``)."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("public:home")
    response = HttpResponseRedirect(next_url)
    code = request.GET.get("to", "")
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@login_not_required
@require_GET
@public_page(_page_seconds)
def home(request):
    return render(
        request,
        "disclosure/public/home.html",
        {
            **_form_context(pq.SearchParams()),
            "recent": _labelled(pq.recent_results()),
            "total": pq.published_total(),
        },
    )


@login_not_required
@require_GET
@public_page(_page_seconds)
def results(request):
    """The search: whole pages are kept per URL and language until the next publication
    (``disclosure.middleware``); a page that is not kept runs its one query (``pq.search_page``)."""
    params = pq.parse_params(request.GET)
    page = pq.search_page(params, request.GET.get("after") or None)
    return render(
        request,
        "disclosure/public/results.html",
        {
            **_form_context(params),
            "page": {**page, "rows": _labelled(page["rows"])},
            "query_prefix": _query_prefix(params.as_query()),
            "outcome_legend": outcome_legend(),
        },
    )


@login_not_required
@require_GET
@public_page(_page_seconds)
def result_detail(request, pk):
    publication = pq.publication(pk)
    if publication is None:
        raise Http404
    return render(request, "disclosure/public/result_detail.html", {"p": publication})


@login_not_required
@require_GET
@public_page(_page_seconds)
def enterprise(request, uscc):
    history = pq.enterprise_history(uscc.upper())
    if not history:
        raise Http404
    latest = max(history, key=lambda p: (p.published_on, p.id))
    return render(
        request,
        "disclosure/public/enterprise.html",
        {"history": history, "name": latest.enterprise_name, "uscc": latest.uscc},
    )


@login_not_required
@require_GET
def plans(request):
    years = pq.plan_years()
    year = _year_param(request, years)
    bureau = _bureau_param(request)
    return render(
        request,
        "disclosure/public/plans.html",
        {
            "plans": pq.public_plans(year=year, bureau=bureau),
            "years": years,
            "year": year,
            "bureau": bureau,
            "bureaus": pq.public_bureaus(),
        },
    )


def _task_rows(tasks) -> list[dict]:
    return [
        {
            "task": task,
            "objects": "、".join(TIER_OBJECTS[t] for t in ("special", "key", "general") if t in task.tiers),
            "conditions": describe_conditions(task.tag_conditions),
        }
        for task in tasks
    ]


@login_not_required
@require_GET
def plan_detail(request, pk):
    plan = pq.public_plan(pk)
    if plan is None:
        raise Http404
    return render(
        request, "disclosure/public/plan_detail.html", {"plan": plan, "rows": _task_rows(pq.plan_tasks(plan))}
    )


@login_not_required
@require_GET
def task_detail(request, pk):
    task = pq.public_task(pk)
    if task is None:
        raise Http404
    draws = list(pq.public_draws().filter(task=task).order_by("-year", "-quarter", "-seq"))
    for draw in draws:
        draw.record_public = pq.record_is_public(draw)
    return render(
        request,
        "disclosure/public/task_detail.html",
        {"task": task, "plan": task.plan, "row": _task_rows([task])[0], "draws": draws},
    )


@login_not_required
@require_GET
def checklist(request):
    bureau = _bureau_param(request)
    return render(
        request,
        "disclosure/public/checklist.html",
        {"items": pq.checklist(bureau), "bureau": bureau, "bureaus": pq.public_bureaus()},
    )


@login_not_required
@require_GET
@public_page(_page_seconds)
def draws(request):
    years = pq.draw_years()
    year = _year_param(request, years)
    bureau = _bureau_param(request)
    page = Paginator(pq.draw_list(year=year, bureau=bureau), 50).get_page(request.GET.get("page"))
    for draw in page:
        draw.record_public = pq.record_is_public(draw)
    query = "&".join(f"{k}={v}" for k, v in (("year", year or ""), ("bureau", bureau)) if v)
    return render(
        request,
        "disclosure/public/draws.html",
        {"page": page, "years": years, "year": year, "bureau": bureau, "bureaus": pq.public_bureaus(), "query": query},
    )


def _public_draw_or_404(pk):
    draw = pq.public_draw(pk)
    if draw is None:
        raise Http404
    return draw


@login_not_required
@require_GET
@public_page(_page_seconds)
def draw_detail(request, pk):
    draw = _public_draw_or_404(pk)
    public = pq.record_is_public(draw)
    context = {
        "draw": draw,
        "task": draw.task,
        "plan": draw.task.plan,
        "record_public": public,
        "rejected": draw.rejected,
        "quotas": [q for q in draw.quotas if q.get("in_record", True)],
    }
    if public:
        context["page"], context["rows"] = pq.draw_enterprises(draw, request.GET.get("page"))
        context["changes"] = list(draw.changes.all())
        context["substitutions"] = pq.draw_substitutions(draw)
        context["replay_messages"] = browser_replay_messages()
        context["replay_max_bytes"] = BROWSER_REPLAY_MAX_BYTES
    return render(request, "disclosure/public/draw_detail.html", context)


def browser_replay_messages() -> dict[str, str]:
    """The texts static/js/draw-replay.js shows, translated ({name} placeholders are filled in by the script)."""
    return {
        "downloading": _("Downloading the published record and the bureau's stored result…"),
        "replaying": _("Replaying the draw in this browser…"),
        "progress": _("{done} of {total} hashes computed"),
        "finished": _("Replayed in this browser in {seconds} s."),
        "passed": _(
            "Verification passed: replayed in this browser, every stratum's selected list, reserve and teams "
            "equal what the bureau published."
        ),
        "failed": _("Verification failed: the replay differs from what the bureau published, in the strata marked ✘."),
        "stratum_ok": _("{selected} selected, {reserve} in reserve and {teams} teams, all equal."),
        "stratum_differs_here": _("differs:"),
        "selected_differs": _("selected list, position {position}: replayed {replayed}, published {published}"),
        "reserve_differs": _("reserve, position {position}: replayed {replayed}, published {published}"),
        "team_differs": _("team of {enterprise}: replayed {replayed}, published {published}"),
        "stratum_differs": _("stratum: replayed {replayed}, published {published}"),
        "algorithm_differs": _("algorithm: the record says {replayed}, the published result {published}"),
        "download_failed": _("The record could not be downloaded (HTTP {status}). No verdict was given."),
        "oversized": _("The record is larger than {max} bytes: it is not replayed here. No verdict was given."),
        "malformed_json": _(
            "The downloaded record is not valid JSON (it may be truncated or damaged). No verdict was given."
        ),
        "malformed": _("The record is malformed and cannot be replayed: {detail}. No verdict was given."),
        "unknown_algorithm": _(
            "The record names the algorithm {name}, which this page does not know (it replays {known}). "
            "No verdict was given."
        ),
        "error": _("The replay stopped with an error: {detail}. No verdict was given."),
        "judge": _(
            "This browser's own SHA-256 (Web Crypto) disagrees with the replay's hash function: {detail}. "
            "No verdict was given."
        ),
    }


@login_not_required
@require_GET
@public_page(_page_seconds)
def draw_algorithm(request):
    """The published text of the draw algorithms (docs/draw-algorithm.md), readable without the source code."""
    return render(
        request, "disclosure/public/draw_algorithm.html", {"text": ALGORITHM_TEXT.read_text(encoding="utf-8")}
    )


def _record_draw_or_404(pk):
    draw = _public_draw_or_404(pk)
    if not pq.record_is_public(draw):
        raise Http404
    return draw


@login_not_required
@require_GET
def draw_record(request, pk):
    draw = _record_draw_or_404(pk)
    response = HttpResponse(record_json(pq.draw_record(draw)), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="draw-{draw.pk}-record.json"'
    return response


@login_not_required
@require_GET
def draw_result(request, pk):
    """What the bureau stored at the ceremony: the selected list and reserve of each stratum, and the teams."""
    draw = _record_draw_or_404(pk)
    response = HttpResponse(
        json.dumps(pq.draw_result(draw), ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="draw-{draw.pk}-result.json"'
    return response


@login_not_required
@require_GET
def draw_verify(request, pk):
    draw = _record_draw_or_404(pk)
    verification = pq.verify_draw(draw)
    replay = verification["replay"]
    return render(
        request,
        "disclosure/public/draw_verify.html",
        {
            "draw": draw,
            "verification": verification,
            # The whole output only where it is small: a province's reserve holds every enterprise of the pool.
            "replay_json": json.dumps(replay, ensure_ascii=False, indent=1)
            if replay and verification["size"] <= REPLAY_SHOWN_MAX
            else "",
            "strata": replay["strata"] if replay else [],
        },
    )


# --- open data --------------------------------------------------------------------------------------------


@login_not_required
@require_GET
@public_page(_page_seconds)
def open_data(request):
    params = pq.parse_params(request.GET)
    opendata.ensure_fresh()
    manifest = opendata.read_manifest()
    return render(
        request,
        "disclosure/public/open_data.html",
        {
            **_form_context(params),
            "columns": OPEN_DATA_COLUMNS,
            "query": params.as_query(),
            "gsxt_legend": gsxt_legend(),
            "filtered_max": FILTERED_MAX_ROWS,
            "file_groups": _file_groups(manifest),
            "built_at": manifest.get("built_at"),
            "stale": opendata.is_stale(),
        },
    )


def _group_label(group: str) -> str:
    parts = group.split("-")[1:]  # results[-YEAR[-qN]]
    if not parts:
        return _("All years")
    if len(parts) == 1:
        return _("%(year)s") % {"year": parts[0]}
    return _("%(year)s Q%(quarter)s") % {"year": parts[0], "quarter": parts[1][1:]}


def _file_groups(manifest: dict) -> list[dict]:
    """The manifest's files by group: the whole first, then years (newest first), each followed by its quarters."""
    groups: dict[str, dict] = {}
    for name, entry in manifest.get("files", {}).items():
        group = groups.setdefault(
            entry["group"],
            {"name": entry["group"], "label": _group_label(entry["group"]), "rows": entry["rows"], "files": []},
        )
        group["files"].append({"name": name, "format": opendata.file_format(name), **entry})

    def order(group):
        parts = group["name"].split("-")[1:]
        return (0, 0, 0) if not parts else (1, -int(parts[0]), int(parts[1][1:]) if len(parts) > 1 else 0)

    for group in groups.values():
        group["files"].sort(key=lambda f: opendata.FORMATS.index(f["format"]))
    return sorted(groups.values(), key=order)


def _prebuilt(params: pq.SearchParams) -> str | None:
    """The prebuilt group that holds exactly the rows of ``params`` (none, a year, or a year and a quarter)."""
    if params.q or params.tier or params.outcome or params.bureau or (params.quarter and not params.year):
        return None
    if not params.year:
        return "results"
    return f"results-{params.year}" + (f"-q{params.quarter}" if params.quarter else "")


def _filtered_download(request, ext: str):
    """``(answer, params, rows)``: for a filter that is one of the prebuilt groups, ``answer`` redirects to its
    file; for more than :data:`FILTERED_MAX_ROWS` rows, it is a page pointing to the whole files; otherwise it
    is None and the caller streams ``rows`` from the database."""
    params = pq.parse_params(request.GET)
    rows = _export_rows(params)
    opendata.ensure_fresh()
    group = _prebuilt(params)
    if group is not None:
        name = f"{group}.{ext}"
        if name in opendata.read_manifest()["files"]:
            return HttpResponseRedirect(reverse("public:open-data-file", args=[name])), params, rows
    if rows[: FILTERED_MAX_ROWS + 1].count() > FILTERED_MAX_ROWS:
        context = {
            "query": params.as_query(),
            "filtered_max": FILTERED_MAX_ROWS,
            "file_groups": _file_groups(opendata.read_manifest()),
        }
        return render(request, "disclosure/public/too_many.html", context, status=400), params, rows
    return None, params, rows


def _export_rows(params: pq.SearchParams):
    return pq.filtered_results(params).order_by(*EXPORT_ORDER).values_list(*OPEN_DATA_FIELDS)


def _filename(params: pq.SearchParams, ext: str) -> str:
    parts = ["results", params.bureau, str(params.year or ""), f"q{params.quarter}" if params.quarter else ""]
    return "-".join(p for p in parts if p) + f".{ext}"


@login_not_required
@require_GET
def results_csv(request):
    answer, params, rows = _filtered_download(request, "csv")
    if answer is not None:
        return answer
    response = StreamingHttpResponse(csv_lines(rows.iterator(chunk_size=CHUNK)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(params, "csv")}"'
    return response


@login_not_required
@require_GET
def results_json(request):
    answer, params, rows = _filtered_download(request, "json")
    if answer is not None:
        return answer
    meta = {
        "title": "双随机抽查结果公示",
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "filters": params.as_query(),
        "licence": opendata.LICENCE,
    }
    response = StreamingHttpResponse(
        json_chunks(rows.iterator(chunk_size=CHUNK), meta=meta),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(params, "json")}"'
    return response


@login_not_required
@require_GET
def results_xlsx(request):
    answer, params, rows = _filtered_download(request, "xlsx")
    if answer is not None:
        return answer
    key = "xlsx:" + pq.search_key(params, "")
    data = cached(key, lambda: open_data_xlsx(rows.iterator(chunk_size=CHUNK)), 3600)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{_filename(params, "xlsx")}"'
    return response


@login_not_required
@require_http_methods(["GET", "HEAD"])
def open_data_file(request, name):
    """A prebuilt open-data file, with ETag (its SHA-256), Last-Modified, 304s and one byte range (206/416).

    With ``OPEN_DATA_ACCEL_PREFIX`` set, nginx sends the file (``X-Accel-Redirect`` to an ``internal``
    location aliased to OPEN_DATA_ROOT, docs/deployment.md) and this view only names it.
    """
    opendata.ensure_fresh()
    entry = opendata.read_manifest()["files"].get(name)
    path = opendata.root() / name
    if entry is None or not path.is_file():
        raise Http404(_("No such open-data file."))
    ext = opendata.file_format(name)
    if settings.OPEN_DATA_ACCEL_PREFIX:
        response = HttpResponse(content_type=opendata.CONTENT_TYPES[ext])
        response["X-Accel-Redirect"] = settings.OPEN_DATA_ACCEL_PREFIX.rstrip("/") + "/" + name
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return ranged_file_response(
        request,
        path,
        etag=f'"{entry["sha256"]}"',
        content_type=opendata.CONTENT_TYPES[ext],
        filename=name,
    )


@login_not_required
@require_GET
def audit_anchors(request):
    """The audit chain's daily heads, one JSON line each (the format of the operator's anchor file): anyone
    may keep them and later run ``manage.py verify_audit --anchors FILE`` against a copy of the database."""
    lines = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in published_anchors())
    response = HttpResponse(lines, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
@require_GET
def risk_rule(request):
    """Each bureau's risk weight rule of the draws that use it (``enterprises.services.risk_weights``), in
    words, with the numbers the code uses, since when it is in force and its changes (three queries)."""
    bureaus = list(Bureau.objects.order_by("code"))
    rows = {rule.bureau_id: rule for rule in RiskRule.objects.filter(bureau__in=bureaus)}
    history = risk_rule_history(bureaus)
    rules = []
    for bureau in bureaus:
        rule = rows.get(bureau.pk) or RiskRule(bureau=bureau)
        credit = [(CreditRating(rating).label, term) for rating, term in rule.credit_terms.items()]
        rules.append({"bureau": bureau, "rule": rule, "credit": credit, "history": history.get(bureau.pk, [])})
    return render(request, "disclosure/public/risk_rule.html", {"rules": rules})
