"""The permission matrix: every URL of the URLconf, how to fill it in each state, and the observed statuses."""

from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.models import AuditEntry
from disclosure import opendata
from inspections.tokens import make_objection_token, make_token

from .world import ROLES

# Areas outside the matrix: third-party staff areas (own tests) and the authentication plumbing.
OUTSIDE = {"login", "logout", "set_language", "healthz", "favicon"}
OUTSIDE_PREFIXES = ("admin/", "django-rq/")

DRAW_STATES = ("draft", "pending", "locked")
TASK_STATES = ("locked", "inspected", "published")
RESULT_STATES = ("inspected", "published")
NO_STATE = ("-",)


def url_names():
    """Every named route of the URLconf as 'namespace:name' (outside the excluded areas)."""

    def walk(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = ":".join(filter(None, [namespace, entry.namespace]))
                yield from walk(entry, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if route.startswith(OUTSIDE_PREFIXES):
                    continue
                yield ":".join(filter(None, [namespace, entry.name])) if entry.name else route

    return sorted(set(walk(get_resolver(), "", "")) - OUTSIDE)


def _open_data_built(world, state):
    """No parameter; the open-data files built first: a whole download redirects to its file."""
    opendata.build()
    return {}


def _open_data_file(world, state):
    """The whole CSV file of the open data, built first (a worker builds it after each change)."""
    opendata.build()
    return {"name": "results.csv"}


def _attachment(world, state):
    return world.tasks[state].result.attachments.order_by("pk").first()


# kind -> (states, kwargs(world, state))
KINDS = {
    "none": (NO_STATE, lambda w, s: {}),
    "enterprise": (NO_STATE, lambda w, s: {"pk": w.objects["enterprise"].pk}),
    "inspector": (NO_STATE, lambda w, s: {"pk": w.objects["inspector"].pk}),
    "check_item": (NO_STATE, lambda w, s: {"pk": w.objects["check_item"].pk}),
    "expert": (NO_STATE, lambda w, s: {"pk": w.objects["expert"].pk}),
    "leave": (NO_STATE, lambda w, s: {"pk": w.objects["inspector"].pk, "leave_pk": w.objects["leave"].pk}),
    "conflict": (
        NO_STATE,
        lambda w, s: {"pk": w.objects["inspector"].pk, "conflict_pk": w.objects["conflict"].pk},
    ),
    "plan": (NO_STATE, lambda w, s: {"pk": w.objects["plan"].pk}),
    "plan_task": (NO_STATE, lambda w, s: {"pk": w.objects["plan_task"].pk}),
    "job": (NO_STATE, lambda w, s: {"pk": w.objects["job"].pk}),
    "draw": (DRAW_STATES, lambda w, s: {"pk": w.draws[s].pk}),
    "task": (TASK_STATES, lambda w, s: {"pk": w.tasks[s].pk}),
    "attachment": (RESULT_STATES, lambda w, s: {"pk": w.tasks[s].pk, "attachment_pk": _attachment(w, s).pk}),
    "scan": (TASK_STATES, lambda w, s: {"pk": w.tasks[s].pk, "scan_pk": w.tasks[s].paper_scans.get().pk}),
    "token": (TASK_STATES, lambda w, s: {"token": make_token(w.tasks[s])}),
    "objection_token": (TASK_STATES, lambda w, s: {"token": make_objection_token(w.tasks[s])}),
    "objection": (NO_STATE, lambda w, s: {"pk": w.objects["objection"].pk}),
    "objection_file": (
        NO_STATE,
        lambda w, s: {"pk": w.objects["objection"].pk, "file_pk": w.objects["objection_file"].pk},
    ),
    "publication": (("published",), lambda w, s: {"pk": w.tasks[s].publication.pk}),
    "uscc": (TASK_STATES, lambda w, s: {"uscc": w.tasks[s].enterprise.uscc}),
    "year": (NO_STATE, lambda w, s: {"year": 2026}),
    "quarter": (NO_STATE, lambda w, s: {"year": 2026, "quarter": 1}),
    "open_data_file": (NO_STATE, _open_data_file),
    "open_data_built": (NO_STATE, _open_data_built),
    "followup_file": (("inspected",), lambda w, s: {"pk": w.tasks[s].pk, "file_pk": w.objects["followup_file"].pk}),
}


def kind_of(name: str) -> str:
    """Which object a route needs, from its name and parameters."""
    explicit = {
        "enterprises:checklist-edit": "check_item",
        "enterprises:checklist-deactivate": "check_item",
        "enterprises:checklist-reactivate": "check_item",
        "inspectors:expert-edit": "expert",
        "inspectors:expert-deactivate": "expert",
        "inspectors:leave-remove": "leave",
        "inspectors:conflict-remove": "conflict",
        "sampling:plan-detail": "plan",
        "enterprises:checklist-detail": "check_item",
        "sampling:plan-status": "plan",
        "sampling:plan-filing": "plan",
        "inspections:offsite-record": "enterprise",
        "sampling:task-create": "plan",
        "sampling:task-detail": "plan_task",
        "sampling:task-edit": "plan_task",
        "sampling:draw-create": "plan_task",
        "inspections:substitute-enterprise": "task",
        "inspections:substitute-inspector": "task",
        "core:job-detail": "job",
        "inspections:attachment-download": "attachment",
        "inspections:attachment-remove": "attachment",
        "inspections:scan-download": "scan",
        "disclosure:plan-table-pdf": "year",
        "disclosure:plan-table-xlsx": "year",
        "disclosure:quarterly-xlsx": "quarter",
        "inspections:objection-detail": "objection",
        "inspections:objection-uphold": "objection",
        "inspections:objection-reject": "objection",
        "inspections:objection-file": "objection_file",
        "public:result-detail": "publication",
        "public:enterprise": "uscc",
        "public:open-data-file": "open_data_file",
        "public:results-csv": "open_data_built",
        "public:results-json": "open_data_built",
        "public:results-xlsx": "open_data_built",
        "public:plan-detail": "plan",
        "public:task-detail": "plan_task",
        "followup:file": "followup_file",
        "followup:credit-record": "enterprise",
    }
    if name in explicit:
        return explicit[name]
    namespace = name.split(":", maxsplit=1)[0]
    params = route_params(name)
    if not params:
        return "none"
    by_namespace = {
        "enterprises": "enterprise",
        "inspectors": "inspector",
        "sampling": "draw",
        "inspections": "task",
        "followup": "task",
        "checkin": "token",
        "objection": "objection_token",
        "disclosure": "task",
        "public": "draw",
    }
    return by_namespace.get(namespace, "unknown")


def route_params(name: str) -> list[str]:
    resolver = get_resolver()
    namespace, _, url_name = name.rpartition(":")
    if namespace:
        for ns in namespace.split(":"):
            resolver = resolver.namespace_dict[ns][1]
    possibilities = resolver.reverse_dict.getlist(url_name)
    if not possibilities:
        return []
    return list(possibilities[0][0][0][1])


def client_for(world, user) -> Client:
    """One logged-in client per persona, kept on the world (logging in costs a session row each time)."""
    clients = world.__dict__.setdefault("_clients", {})
    key = user.pk if user is not None else None
    if key not in clients:
        clients[key] = Client(raise_request_exception=False)
        if user is not None:
            clients[key].force_login(user)
    return clients[key]


def request(world, user, method: str, url: str) -> tuple[int, bool]:
    """(status, wrote) of one request, run in a transaction that is rolled back afterwards.

    A redirect to the login page is written as 401. ``wrote`` says whether the audit trail grew. A POST
    carries ``confirm=1``, the confirmed step of the actions that ask first (``core.confirm``), so the
    matrix sees what the action does; their confirmation pages are tested with each action.
    """
    client = client_for(world, user)
    with transaction.atomic():
        before = AuditEntry.objects.count()
        response = client.post(url, {"confirm": "1"}) if method == "post" else getattr(client, method)(url)
        status = response.status_code
        if status == 302 and response["Location"].startswith("/login/"):
            status = 401
        wrote = AuditEntry.objects.count() != before
        transaction.set_rollback(True)
    return status, wrote


def observe(world, name: str, state: str) -> dict:
    """{role: (GET status, POST status, POST wrote to the audit trail)} for ``name`` in ``state``."""
    _states, kwargs = KINDS[kind_of(name)]
    url = reverse(name, kwargs=kwargs(world, state))
    seen = {}
    for role in ROLES:
        user = world.assigned.get(state) if role == "assigned" else world.users[role]
        if role == "assigned" and user is None:
            user = world.assigned["locked"]
        get_status, _ = request(world, user, "get", url)
        post_status, wrote = request(world, user, "post", url)
        seen[role] = (get_status, post_status, wrote)
    return seen


def row(seen: dict) -> str:
    """The cells of one line: ``GET/POST``, the POST marked ``*`` when it wrote to the audit trail."""
    return " ".join(f"{seen[r][0]}/{seen[r][1]}{'*' if seen[r][2] else ''}" for r in ROLES)
