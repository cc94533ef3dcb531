#!/usr/bin/env python3
"""Benchmark: the busiest day — the public site, the staff pages and a web import, beside /healthz.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ssj_bench_load REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/bench_load.py [--results 20000] [--staff 30] [--clients 50,200] [--duration 20]
        [--import-rows 20000] [--workers 4] [--threads 8] [--port 8131] [--profile [--idle]] [--timing]
        [--warmup 15] [--keep-alive] [--phases public,staff,import]

Migrates the database and seeds it with the existing seeding code: a bureau "province" (``seed_demo
--province``, ``--province`` enterprises) whose draws of 2024 Q1 to 2026 Q3 end in ``--results`` published
results (bench/public_data.py), ``--staff`` inspector accounts on the teams of the last draw's tasks (part
of them checked in, so that their result forms can be posted) and one registry-staff account for the
import. The open-data files are built before the server starts if the published rows changed since their
last build (``manage.py build_open_data``), and the build the seeding's publications queued is dropped; the
RQ worker starts first and runs the jobs the seeding left (notices of the draws and teams) before anything
is measured. Otherwise both would run during the first phases: in the RQ worker's CPU, and the build, by
the manifest's new stamp, would make every page kept so far unreachable in the middle of a phase.

Then it starts the production setup of docs/deployment.md on loopback: gunicorn ``--workers 4 --threads 8``
with production settings (``SSJ_ENV=production``, DEBUG off, a random SECRET_KEY, the cache and queue on
REDIS_URL, ``X-Forwarded-Proto: https`` on every request as nginx sets it; bench/settings.py), and one RQ
worker with the scheduler at the priority the systemd unit gives it (``nice -n 10``, ``--worker-nice``).

The load generator is this process: closed-loop clients with no think time on one asyncio event loop (a
few tens of microseconds of CPU a request; its own CPU is printed for each phase). Each request comes on a
new connection (``Connection: close``), as nginx proxies to gunicorn in docs/deployment.md, so that each is
taken by whichever worker process is free; ``--keep-alive`` keeps one connection a client instead, which
ties each client to the worker that accepted it (some workers then have more clients than threads while
another idles). Each phase is preceded by /healthz alone at the same number of clients on the same server,
and every figure is printed beside it (the machine is shared: read the ratios).

Every phase is measured as the first would be: a warm-up (``--warmup`` seconds of the public mix at the first
``--clients`` figure, with URLs of its own, not measured) first loads the server's templates, translations,
database pools and PostgreSQL's buffers; each public phase then starts with a new public version (as after a
publication: no page kept before answers) and takes URLs no other phase asks (``PublicUrls``). Phases:

* ``public`` at each of ``--clients``: the public mix — home, results searches with varied queries, next
  pages (keyset cursors of real rows), enterprise histories, result details (these four miss the page cache
  on every request: each URL is asked once in the run), draw lists and draw pages (built once in the phase,
  then kept), the open-data page and files.
* ``staff`` at ``--staff`` clients: each client logs in (and again every 8 rounds), then to-do, my tasks,
  a task, its result form, and posts that form (the summary changed, so every post writes).
* ``import``: the public mix at the first ``--clients`` figure, first alone, then while a registry-staff
  account uploads a ``--import-rows``-row .xlsx through /enterprises/import/ (the job runs in the RQ
  worker; the phase lasts until the job is done), then alone again. Target: the public site keeps ≥ 80 %
  of its throughput (the mean of the two runs alone). The import starts once the jobs queued by the phases
  before it have run; the run during it takes four phases' share of URLs (it lasts longer) and a new public
  version every ``--duration`` seconds, so that its popular pages are built as often as in a run alone.

``--profile`` runs py-spy on the gunicorn workers during the first public phase and prints where the
worker threads spent their time (idle threads excluded, unless ``--idle``): by view, and the heaviest
functions. ``--timing`` has each request of the server write its time by part (bench/timing.py: the thread's
CPU, the waits for Redis, PostgreSQL and the pool, and the rest: ready but not running) and prints the means
of each phase by kind of page, beside what the client waited, and how many requests each worker served.

Targets (issue 19): public mix at 50 clients ≥ 50 % of /healthz's req/s and p95 ≤ 4× /healthz's p95; at 200
clients no errors and no lower throughput than at 50; during the import ≥ 80 % of the public throughput.
"""

import argparse
import asyncio
import html.parser
import os
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
    sys.exit("DATABASE_URL and REDIS_URL are required (a PostgreSQL database and a Redis DB of their own)")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.bench_public import search_urls, server_env, start_server  # noqa: E402 - sets Django up
from bench.public_data import ensure_published  # noqa: E402
from core import public_cache  # noqa: E402
from core.enums import JobStatus, Role  # noqa: E402
from core.models import Bureau, Job, Membership  # noqa: E402
from disclosure import opendata  # noqa: E402
from disclosure.public_queries import DRAW_PAGE_SIZE, encode_cursor  # noqa: E402
from inspections.enums import CheckInMethod, InspectionTaskStatus  # noqa: E402
from inspections.models import CheckIn, InspectionTask, Publication, TaskMember  # noqa: E402
from inspectors.models import Inspector  # noqa: E402
from sampling.models import Draw  # noqa: E402

PASSWORD = "bench-load-horse-battery"
HEADERS = {"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans"}
TASKS_CHECKED_IN = 4  # per staff account: result forms that can be posted
RELOGIN_EVERY = 8
# The public mix: label -> percent of the requests.
PUBLIC_MIX = {
    "home": 10,
    "search": 30,
    "search, next page": 10,
    "enterprise history": 15,
    "result detail": 8,
    "draw list": 5,
    "draw page": 10,
    "open-data page": 6,
    "open-data file": 6,
}


# --- data -----------------------------------------------------------------------------------------------


def prepare_staff(bureau: Bureau, count: int) -> list[dict]:
    """``count`` inspector accounts on the teams of assigned tasks, each with TASKS_CHECKED_IN tasks checked in."""
    user_model = get_user_model()
    probe = user_model(username="probe")
    probe.set_password(PASSWORD)
    hashed = probe.password
    open_statuses = (
        InspectionTaskStatus.ASSIGNED,
        InspectionTaskStatus.CHECKED_IN,
        InspectionTaskStatus.RESULT_RECORDED,
    )
    per_inspector = defaultdict(list)
    for inspector_id, task_id in (
        TaskMember.objects.filter(
            task__bureau=bureau, task__status__in=open_statuses, active=True, inspector__isnull=False
        )
        .order_by("task_id")
        .values_list("inspector_id", "task_id")
    ):
        per_inspector[inspector_id].append(task_id)
    chosen = sorted(per_inspector, key=lambda i: (-len(per_inspector[i]), i))[:count]
    if len(chosen) < count:
        sys.exit(f"only {len(chosen)} inspectors are on open tasks' teams; raise --results or --province")
    staff = []
    now = timezone.now()
    with transaction.atomic():
        for n, inspector_id in enumerate(chosen, 1):
            inspector = Inspector.objects.get(pk=inspector_id)
            if inspector.user_id:
                user = inspector.user
            else:
                user = user_model.objects.create(username=f"bench-staff-{n:02d}", first_name=inspector.name)
                inspector.user = user
                inspector.save(update_fields=["user"])
            user.password, user.is_active = hashed, True
            user.save(update_fields=["password", "is_active"])
            Membership.objects.get_or_create(user=user, bureau=bureau, role=Role.INSPECTOR)
            tasks = per_inspector[inspector_id][:TASKS_CHECKED_IN]
            to_check_in = list(
                InspectionTask.objects.filter(pk__in=tasks, status=InspectionTaskStatus.ASSIGNED).values_list(
                    "pk", "enterprise__contact_name"
                )
            )
            CheckIn.objects.bulk_create(
                [
                    CheckIn(
                        task_id=pk,
                        at=now - timedelta(hours=2),
                        method=CheckInMethod.QR,
                        confirmed_by_name=c or "企业负责人",
                    )
                    for pk, c in to_check_in
                ]
            )
            InspectionTask.objects.filter(pk__in=[pk for pk, _ in to_check_in]).update(
                status=InspectionTaskStatus.CHECKED_IN
            )
            staff.append({"username": user.username, "tasks": tasks})
        importer, _ = user_model.objects.get_or_create(username="bench-load-importer")
        importer.password, importer.is_active = hashed, True
        importer.save(update_fields=["password", "is_active"])
        Membership.objects.get_or_create(user=importer, bureau=bureau, role=Role.REGISTRY_STAFF)
    from axes.models import AccessAttempt  # noqa: PLC0415

    AccessAttempt.objects.all().delete()
    return staff


class PublicUrls:
    """Paths of the public mix, drawn from the published rows: each phase takes URLs of its own.

    The long tail — searches, next pages, enterprise histories, result details — is dealt out in turns from
    one shuffled list of distinct URLs per kind, so every phase gets the same kinds of URL in the same
    proportions and none asks a URL another phase asked: each of them misses the page cache (a phase that
    runs out starts its list again, and ``repeats`` counts those requests, printed with the phase). The few
    popular pages (home, the draw lists, the draw pages, the open-data page) and the files are the same for
    every phase; each phase starts with a new public version (:func:`new_public_version`), so they are built
    once in every phase, as after a publication.
    """

    def __init__(self, *, shares: dict[str, int], searches: int, seed: int = 19):
        """``shares``: each phase's share of the URLs, by name (the phase during the import lasts until the job
        is done: several times a phase alone)."""
        rng = random.Random(seed)
        phases = len(shares)
        slots = sum(shares.values())
        owner = [n for n, share in enumerate(shares.values()) for _ in range(share)]  # slot -> phase
        self.names = list(shares)
        rows = list(Publication.objects.order_by("id").values_list("id", "uscc", "published_at", "year"))
        self.rng = rng
        self.phases = phases

        def deal(paths: list[str]) -> list[list[str]]:
            paths = list(dict.fromkeys(paths))  # distinct, in order
            rng.shuffle(paths)
            dealt = [[] for _ in range(phases)]
            for n, path in enumerate(paths):
                dealt[owner[n % slots]].append(path)
            return dealt

        self.tail = {
            "result detail": deal([f"/public/results/{pk}/" for pk, _, _, _ in rows]),
            "enterprise history": deal([f"/public/enterprises/{uscc}/" for _, uscc, _, _ in rows]),
            "search, next page": deal(
                [
                    "/public/results/?"
                    + urlencode({**({"year": year} if rng.random() < 0.5 else {}), "after": encode_cursor(at, pk)})
                    for pk, _, at, year in rows
                ]
            ),
        }
        # Searches: drawn from every published row (name, USCC), as many as --searches a phase if the kinds of
        # query allow (a few kinds have few distinct URLs: two characters of a name, an industry word).
        names = list(Publication.objects.order_by("id").values_list("enterprise_name", "uscc"))
        self.tail["search"] = deal([path for _, path in search_urls(searches * slots, seed=1000, sample=names)])
        draws = list(Draw.objects.filter(status="approved").values_list("pk", "selected_count"))
        self.draw_pages = [
            f"/public/draws/{pk}/" + (f"?page={page}" if page > 1 else "")
            for pk, selected in draws
            for page in range(1, max(1, -(-selected // DRAW_PAGE_SIZE)) + 1)
        ]
        self.draw_lists = ["/public/draws/", "/public/draws/?page=2", "/public/draws/?year=2025", "/public/plans/"]
        files = sorted(p.name for p in Path(settings.OPEN_DATA_ROOT).glob("results*") if p.suffix in (".gz", ".xlsx"))
        self.files = [f"/public/data/files/{name}" for name in files if "-q" in name or name.endswith(".csv.gz")]
        self.used: set[str] = set()
        self.current: dict[str, list[str]] = {}
        self.index: Counter = Counter()
        self.repeats = 0

    def sizes(self) -> str:
        return ", ".join(f"{label} {len(sets[0])}" for label, sets in self.tail.items())

    def next_phase(self, name: str) -> None:
        """Take the URLs dealt to the phase ``name`` (once)."""
        if name in self.used:
            raise RuntimeError(f"the URLs of the phase {name!r} were taken already")
        self.used.add(name)
        self.current = {label: sets[self.names.index(name)] for label, sets in self.tail.items()}
        self.index = Counter()
        self.repeats = 0

    def pick(self) -> tuple[str, str]:
        label = self.rng.choices(list(PUBLIC_MIX), list(PUBLIC_MIX.values()))[0]
        if label in self.current:
            paths, n = self.current[label], self.index[label]
            self.index[label] += 1
            if n >= len(paths):
                self.repeats += 1
            return label, paths[n % len(paths)]
        if label == "home":
            return label, "/public/"
        if label == "open-data page":
            return label, "/public/data/"
        source = {"draw list": self.draw_lists, "draw page": self.draw_pages, "open-data file": self.files}[label]
        return label, self.rng.choice(source)


def new_public_version() -> None:
    """Make every page kept so far unreachable, as a publication does (``core.public_cache``), but without
    the open-data rebuild a publication queues: no published row changed, so the files stay as they are."""
    try:
        cache.incr(public_cache.VERSION_KEY)
    except ValueError:
        cache.set(public_cache.VERSION_KEY, time.time_ns() // 1000, None)


# --- HTTP client ----------------------------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.times = defaultdict(list)
        self.errors = Counter()
        self.started = self.ended = 0.0
        self.epoch = (0.0, 0.0)  # time.time() at the start and end (to match the server's --timing lines)
        self.label_of: dict[str, str] = {}
        self.repeats = 0

    def add(self, label: str, seconds: float, ok: bool, path: str = "") -> None:
        self.times[label].append(seconds)
        self.label_of[path] = label
        if not ok:
            self.errors[label] += 1

    def all_times(self) -> list[float]:
        return [t for times in self.times.values() for t in times]


class Client:
    """One HTTP/1.1 client with the cookies the server set: a new connection for every request (``Connection:
    close``), as nginx proxies to gunicorn in docs/deployment.md, or one kept alive (``--keep-alive``)."""

    def __init__(self, host: str, port: int, keep_alive: bool = False):
        self.host, self.port = host, port
        self.keep_alive = keep_alive
        self.reader = self.writer = None
        self.cookies: dict[str, str] = {}

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=2**20)
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            all_headers = {**HEADERS, **(headers or {})}
            if not self.keep_alive:
                all_headers["Connection"] = "close"
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if body or method == "POST":
                all_headers["Content-Length"] = str(len(body))
            lines += [f"{k}: {v}" for k, v in all_headers.items()]
            try:
                self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await self.writer.drain()
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
                continue  # a kept-alive connection the server closed meanwhile
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            status = int(status_line.split()[1])
            response_headers = defaultdict(list)
            for line in header_lines:
                if ":" in line:
                    name, value = line.split(":", 1)
                    response_headers[name.strip().lower()].append(value.strip())
            if "chunked" in ",".join(response_headers.get("transfer-encoding", [])):
                data = bytearray()
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    data += await self.reader.readexactly(size + 2)
                    if size == 0:
                        break
                data = bytes(data)
            elif "content-length" in response_headers:
                data = await self.reader.readexactly(int(response_headers["content-length"][0]))
            else:
                data = await self.reader.read()
                await self.close()
            if "close" in ",".join(response_headers.get("connection", [])).lower():
                await self.close()
            for cookie in response_headers.get("set-cookie", []):
                name, value = cookie.split(";", 1)[0].split("=", 1)
                if value in ('""', ""):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            return status, response_headers, data
        raise AssertionError("unreachable")


async def timed(stats: Stats, client: Client, label: str, method: str, path: str, *, ok=(200,), **kw):
    start = time.perf_counter()
    try:
        status, headers, body = await client.request(method, path, **kw)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        stats.add(label, time.perf_counter() - start, False, path)
        await client.close()
        return None, {}, b""
    stats.add(label, time.perf_counter() - start, status in ok, path)
    return status, headers, body


async def closed_loop(args, clients: int, duration: float, work, *, until=None) -> Stats:
    """``clients`` clients each running ``work(stats, client, n)`` in a loop for ``duration`` s (or ``until()``)."""
    stats = Stats()
    deadline = time.perf_counter() + duration

    def running():
        return time.perf_counter() < deadline or (until is not None and not until())

    async def one(n):
        client = Client(args.host, args.port, args.keep_alive)
        try:
            while running():
                await work(stats, client, n)
        finally:
            await client.close()

    stats.started, epoch = time.perf_counter(), time.time()
    await asyncio.gather(*(one(n) for n in range(clients)))
    stats.ended = time.perf_counter()
    stats.epoch = (epoch, time.time())
    return stats


# --- forms ----------------------------------------------------------------------------------------------


class FormFields(html.parser.HTMLParser):
    """The fields of each <form method=post> of a page: what a browser would submit unchanged."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.textarea = None
        self.select = None
        self.select_value = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.in_form, self.fields = True, []
            self.forms.append(self.fields)
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("file", "submit", "button"):
                self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]
        elif tag == "select" and name:
            self.select, self.select_value = name, None
        elif tag == "option" and self.select and ("selected" in a or self.select_value is None):
            self.select_value = a.get("value", "")

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            self.fields.append(tuple(self.textarea))
            self.textarea = None
        elif tag == "select" and self.select:
            self.fields.append((self.select, self.select_value or ""))
            self.select = None
        elif tag == "form" and self.in_form:
            self.in_form = False


def result_form_body(page: bytes, summary: str) -> bytes:
    parser = FormFields()
    parser.feed(page.decode("utf-8", "replace"))
    fields = next((dict(form) for form in parser.forms if any(name == "outcome" for name, _ in form)), {})
    fields["outcome"] = "no_problem"
    fields["summary"] = summary
    for name in re.findall(r'name="(item-\d+)-compliant"', page.decode("utf-8", "replace")):
        fields[f"{name}-compliant"] = "yes"
        fields[f"{name}-finding"] = ""
        fields[f"{name}-legal_basis"] = ""
    fields.pop("confidential", None)
    return urlencode(fields).encode()


CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def post_headers(args, referer: str, content_type="application/x-www-form-urlencoded") -> dict:
    origin = f"https://{args.host}:{args.port}"
    return {"Content-Type": content_type, "Origin": origin, "Referer": f"{origin}{referer}"}


async def login(args, stats: Stats, client: Client, username: str) -> bool:
    client.cookies.clear()
    _, _, page = await timed(stats, client, "login form (GET)", "GET", "/login/")
    token = CSRF_TOKEN.search(page or b"")
    if token is None:
        return False
    body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()})
    status, headers, _ = await timed(
        stats,
        client,
        "login (POST)",
        "POST",
        "/login/",
        ok=(302,),
        body=body.encode(),
        headers=post_headers(args, "/login/"),
    )
    return status == 302 and "login" not in (headers.get("location") or [""])[0]


# --- processes ------------------------------------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants (live ones, plus the children it has waited for)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += proc_cpu(int(child))
    except (OSError, ValueError):
        pass
    return total


def cancel_open_data_build() -> None:
    """Drop an open-data build left queued by the seeding's publications: the files were built after them (a
    build in the RQ worker during a phase would take CPU and, by the manifest's new stamp, make every page
    kept so far unreachable)."""
    import django_rq  # noqa: PLC0415

    job = django_rq.get_queue("default").fetch_job(opendata.RQ_JOB_ID)
    if job is not None and job.get_status(refresh=False) in ("scheduled", "queued", "deferred"):
        job.delete()
        print("   the open-data build queued by the seeding was dropped (the files are up to date)")


def drain_jobs(timeout: float = 600, *, after: str = "the seeding") -> None:
    """Wait until the RQ worker has run the jobs queued so far: those of the seeding (notices of the draws and
    teams) before the first phase, those of the staff phase (each result posted notifies the leads) before
    the import, which would otherwise wait behind them and the phases measure them instead."""
    import django_rq  # noqa: PLC0415

    queues = [django_rq.get_queue(name) for name in ("default", "low")]
    started = time.perf_counter()
    waiting = sum(q.count for q in queues)
    while time.perf_counter() - started < timeout:
        busy = sum(q.count + q.started_job_registry.count for q in queues)
        if not busy:
            break
        time.sleep(0.5)
    else:
        sys.exit(f"the RQ worker did not run the jobs left by {after} within {timeout:.0f} s")
    if waiting:
        print(f"   {waiting} background jobs left by {after} ran first ({time.perf_counter() - started:.1f} s)")


def start_worker(args, env: dict, log: Path) -> subprocess.Popen:
    command = ["nice", "-n", str(args.worker_nice), sys.executable, "manage.py", "rqworker", "default", "low"]
    command.append("--with-scheduler")
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


# --- phases ---------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def figures(times: list[float], seconds: float) -> dict:
    return {
        "n": len(times),
        "rps": len(times) / seconds if seconds else 0.0,
        "p50": percentile(times, 0.50) * 1000,
        "p95": percentile(times, 0.95) * 1000,
        "p99": percentile(times, 0.99) * 1000,
    }


def row(label: str, f: dict, errors: int, base: dict | None = None) -> str:
    ratio = ""
    if base:
        ratio = f"  {f['rps'] / base['rps'] * 100:6.1f} % of /healthz req/s, p95 {f['p95'] / base['p95']:5.1f}×"
    return (
        f"   {label:26} {f['n']:6d} {f['rps']:8.1f} {f['p50']:8.0f} {f['p95']:8.0f} {f['p99']:8.0f} {errors:6d}{ratio}"
    )


HEADER_ROW = f"   {'endpoint':26} {'reqs':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}"


def backend_pids() -> list[int]:
    """The PostgreSQL backends connected to the benchmark's database (psycopg directly: no ORM on the event loop)."""
    import psycopg  # noqa: PLC0415

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    try:
        with psycopg.connect(**params, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
    except psycopg.Error:
        return []
    return [pid for (pid,) in rows]


def backends_cpu(pids: list[int]) -> dict[int, float]:
    return {pid: proc_cpu(pid) for pid in pids if Path(f"/proc/{pid}").exists()}


class Phase:
    """CPU of the load generator, gunicorn, the RQ worker and the database's backends over a phase."""

    def __init__(self, procs: dict[str, int]):
        self.procs = procs

    def __enter__(self):
        self.wall = time.perf_counter()
        self.me = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu = {name: proc_cpu(pid) for name, pid in self.procs.items()}
        self.backends = backends_cpu(backend_pids())
        self.load = os.getloadavg()[0]
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.wall
        me = resource.getrusage(resource.RUSAGE_SELF)
        self.generator = (me.ru_utime + me.ru_stime - self.me.ru_utime - self.me.ru_stime) / self.seconds
        self.used = {name: (proc_cpu(pid) - self.cpu[name]) / self.seconds for name, pid in self.procs.items()}
        after = backends_cpu(list(set(backend_pids()) | set(self.backends)))
        # Backends that were there at both ends (the pools keep them): their CPU over the phase.
        self.used["PostgreSQL backends"] = (
            sum(after[pid] - self.backends[pid] for pid in after if pid in self.backends) / self.seconds
        )
        self.load_end = os.getloadavg()[0]

    def line(self) -> str:
        parts = [f"load generator {self.generator * 100:.0f} %"]
        parts += [f"{name} {share * 100:.0f} %" for name, share in self.used.items()]
        return (
            f"   CPU over {self.seconds:.0f} s (100 % = one core): "
            + ", ".join(parts)
            + f"; load average {self.load:.1f} → {self.load_end:.1f}"
        )


async def run_healthz(args, clients: int, procs) -> tuple[dict, Phase]:
    async def work(stats, client, n):
        await timed(stats, client, "/healthz", "GET", "/healthz")

    with Phase(procs) as phase:
        stats = await closed_loop(args, clients, args.duration, work)
    f = figures(stats.times["/healthz"], stats.ended - stats.started)
    f["errors"] = sum(stats.errors.values())
    return f, phase


async def healthz_around(args, clients: int, procs, measured):
    """/healthz alone before and after ``await measured()``; the base is the mean of both (the machine is shared)."""
    before, base_phase = await run_healthz(args, clients, procs)
    result = await measured()
    after, _ = await run_healthz(args, clients, procs)
    base = {k: (before[k] + after[k]) / 2 for k in ("rps", "p50", "p95", "p99")}
    base["n"], base["errors"] = before["n"] + after["n"], before["errors"] + after["errors"]
    base["before"], base["after"] = before["rps"], after["rps"]
    return base, base_phase, result


def report(title: str, stats: Stats, base: dict, phase: Phase, base_phase: Phase) -> dict:
    seconds = stats.ended - stats.started
    print(f"\n== {title}")
    print(HEADER_ROW)
    print(row("/healthz alone (before+after)", base, base["errors"]))
    if "before" in base:
        print(f"   /healthz req/s before {base['before']:.1f}, after {base['after']:.1f}")
    print("   " + base_phase.line().strip())
    for label in sorted(stats.times, key=lambda label: -len(stats.times[label])):
        print(row(label, figures(stats.times[label], seconds), stats.errors[label]))
    total = figures(stats.all_times(), seconds)
    errors = sum(stats.errors.values())
    print(row("ALL", total, errors, base))
    print(phase.line())
    if stats.repeats:
        print(f"   {stats.repeats} requests asked a URL an earlier request of the run had asked (the phase ran out)")
    if TIMING["file"] is not None:
        timing_summary(stats, TIMING["file"])
    total["errors"] = errors
    return total


async def public_phase(args, urls: PublicUrls, clients: int, procs, *, name: str, until=None, duration=None):
    """The public mix with this phase's own URLs, from a new public version (nothing kept from before), and
    another every ``--duration`` seconds in a longer phase (the one during the import): the popular pages are
    then built as often as in a phase alone, which a longer phase would otherwise answer from the cache more
    of the time (measured: 134 % and 159 % of the public mix alone during the import, for that reason)."""
    urls.next_phase(name)
    new_public_version()

    async def work(stats, client, n):
        label, path = urls.pick()
        await timed(stats, client, label, "GET", path)

    async def renew():
        while True:
            await asyncio.sleep(args.duration)
            new_public_version()

    renewing = asyncio.create_task(renew())
    try:
        with Phase(procs) as phase:
            stats = await closed_loop(args, clients, duration or args.duration, work, until=until)
    finally:
        renewing.cancel()
    stats.repeats = urls.repeats
    return stats, phase


async def staff_phase(args, staff: list[dict], procs):
    rounds = defaultdict(int)

    async def work(stats, client, n):
        person = staff[n % len(staff)]
        if rounds[n] % RELOGIN_EVERY == 0 and not await login(args, stats, client, person["username"]):
            await asyncio.sleep(0.5)
            return
        rounds[n] += 1
        task = person["tasks"][rounds[n] % len(person["tasks"])]
        await timed(stats, client, "to-do (home)", "GET", "/")
        await timed(stats, client, "my tasks", "GET", "/inspections/mine/")
        await timed(stats, client, "task detail", "GET", f"/inspections/{task}/")
        status, _, page = await timed(stats, client, "result form (GET)", "GET", f"/inspections/{task}/result/")
        if status != 200:
            return
        body = result_form_body(page, f"基准测试第{rounds[n]}轮：现场检查完毕。{secrets.token_hex(3)}")
        await timed(
            stats,
            client,
            "result form (POST)",
            "POST",
            f"/inspections/{task}/result/",
            ok=(302,),
            body=body,
            headers=post_headers(args, f"/inspections/{task}/result/"),
        )

    with Phase(procs) as phase:
        stats = await closed_loop(args, len(staff), args.duration, work)
    return stats, phase


async def upload_import(args, payload: bytes) -> tuple[float, str | None]:
    """Log the registry staff in and upload the file; (seconds of the upload POST, the job's id)."""
    client = Client(args.host, args.port)
    scratch = Stats()
    if not await login(args, scratch, client, "bench-load-importer"):
        sys.exit("the importer could not log in")
    _, _, page = await client.request("GET", "/enterprises/import/")
    token = CSRF_TOKEN.search(page).group(1).decode()
    boundary = "----bench" + secrets.token_hex(8)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench-load.xlsx"\r\n'
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    start = time.perf_counter()
    status, headers, answer = await client.request(
        "POST",
        "/enterprises/import/",
        body=body,
        headers=post_headers(args, "/enterprises/import/", f"multipart/form-data; boundary={boundary}"),
    )
    seconds = time.perf_counter() - start
    await client.close()
    location = (headers.get("location") or [""])[0]
    match = re.search(r"/jobs/([0-9a-f-]{36})/", location)
    if status != 302 or match is None:
        errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', answer.decode("utf-8", "replace"), re.S)
        print(f"   the upload answered {status} → {location!r}: {re.sub(r'<[^>]+>', ' ', ' '.join(errors))[:300]}")
        return seconds, None
    return seconds, match.group(1)


async def import_phase(args, urls: PublicUrls, procs, payload: bytes):
    clients = args.client_counts[0]
    await asyncio.to_thread(drain_jobs, after="the phases before")
    base, base_phase = await run_healthz(args, clients, procs)
    alone, alone_phase = await public_phase(args, urls, clients, procs, name="import alone")
    upload = {}
    done = threading.Event()

    async def uploader():
        seconds, job_id = await upload_import(args, payload)
        upload["post"], upload["job"] = seconds, job_id
        if job_id is None:
            done.set()
            return
        while True:
            job = await asyncio.to_thread(
                lambda: Job.objects.values("status", "started_at", "finished_at").get(pk=job_id)
            )
            if job["status"] in (JobStatus.DONE, JobStatus.FAILED):
                upload.update(job)
                break
            await asyncio.sleep(0.5)
        upload["done_at"] = time.perf_counter()
        done.set()

    started = time.perf_counter()
    upload_task = asyncio.create_task(uploader())
    during, during_phase = await public_phase(
        args, urls, clients, procs, name="import during", until=done.is_set, duration=5
    )
    await upload_task
    # Alone again after the import: the machine is shared and the page cache warms up over the phases, so
    # the run during the import is compared with the mean of the runs alone before and after it.
    after, after_phase = await public_phase(args, urls, clients, procs, name="import after")
    a = report(f"import phase: public mix at {clients} clients, alone before", alone, base, alone_phase, base_phase)
    a2 = report(f"import phase: public mix at {clients} clients, alone after", after, base, after_phase, base_phase)
    d = report(
        f"import phase: public mix at {clients} clients during the import", during, base, during_phase, base_phase
    )
    print(f"   upload POST (the file read and checked in the web worker): {upload['post'] * 1000:.0f} ms")
    if upload.get("job"):
        job_seconds = (upload["finished_at"] - upload["started_at"]).total_seconds() if upload.get("finished_at") else 0
        print(
            f"   job {upload['job']}: {upload.get('status')}, ran {job_seconds:.1f} s in the RQ worker "
            f"(nice {args.worker_nice}); {upload['done_at'] - started:.1f} s from upload to done"
        )
    alone_rps = (a["rps"] + a2["rps"]) / 2
    share = d["rps"] / alone_rps if alone_rps else 0
    print(
        f"   public throughput during the import: {d['rps']:.1f} req/s = {share * 100:.1f} % of alone "
        f"(before {a['rps']:.1f}, after {a2['rps']:.1f}); p95 {a['p95']:.0f} / {a2['p95']:.0f} alone, "
        f"{d['p95']:.0f} ms during"
    )
    return {"alone": a, "after": a2, "during": d, "share": share, "upload": upload}


# --- timing (--timing) ---


TIMING = {"file": None}  # the server's per-request lines (bench/timing.py), with --timing


def timing_summary(stats: Stats, timing_file: Path) -> None:
    """Mean milliseconds per request, by kind of page: the client's wait and, of it, the time in Django and
    what it was made of (bench/timing.py), and the requests each gunicorn worker process served."""
    start, end = stats.epoch
    sums = defaultdict(lambda: [0] + [0.0] * 9)
    workers = Counter()
    if not timing_file.exists():
        print("   --timing: no lines from the server")
        return
    for line in timing_file.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) != 12 or not start <= float(fields[0]) <= end + 1:
            continue
        label = stats.label_of.get(fields[1])
        if label is None:
            continue
        workers[fields[11]] += 1
        values = [float(v) for v in fields[2:9]] + [int(fields[9]), int(fields[10])]
        for total in (sums[label], sums["ALL"]):
            total[0] += 1
            for i, v in enumerate(values, 1):
                total[i] += v
    print("   --timing, mean ms a request: client = what the client waited; Django = from the outermost middleware")
    print("   in and out; CPU = its thread's; Redis, SQL: wall time in them (calls); pool: taking a connection;")
    print("   rest = Django − CPU − the waits for Redis, SQL and the pool (ready, but waiting for the GIL or a CPU)")
    columns = ("n", 6), ("client", 7), ("Django", 7), ("CPU", 6), ("Redis", 12), ("SQL", 12), ("pool", 6), ("rest", 6)
    print(f"   {'page':20} " + " ".join(f"{name:>{width}}" for name, width in columns))
    for label in sorted(sums, key=lambda label: (label == "ALL", -sums[label][0])):
        n, wall, cpu, redis, redis_cpu, sql, sql_cpu, pool, redis_n, sql_n = sums[label]
        times = stats.all_times() if label == "ALL" else stats.times[label]
        client = sum(times) / len(times) * 1000 if times else 0.0
        waits = (redis - redis_cpu) + (sql - sql_cpu) + pool
        print(
            f"   {label:20} {n:6d} {client:7.1f} {wall / n:7.1f} {cpu / n:6.1f} {redis / n:6.1f} ({redis_n / n:3.1f})"
            f" {sql / n:6.1f} ({sql_n / n:3.1f}) {pool / n:6.1f} {(wall - cpu - waits) / n:6.1f}"
        )
    print(f"   requests per gunicorn worker: {sorted(workers.values(), reverse=True)}")


# --- profile --------------------------------------------------------------------------------------------


PROJECT_FILE = re.compile(r"[(/](core|disclosure|inspections|enterprises|sampling|inspectors|followup)/[\w/]+\.py")
PROJECT_VIEW = re.compile(r"[(/](core|disclosure|inspections|enterprises|sampling|inspectors|followup)/\w*views\.py")


def profile_summary(raw: Path) -> None:
    """Where the gunicorn worker threads spent their samples: by view (the frame under Django's handler), and
    the functions with the most samples of their own (excluding idle threads: py-spy drops those)."""
    views, own, ours = Counter(), Counter(), Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        count = int(count)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        view = next(
            (f for f in frames if PROJECT_VIEW.search(f)),
            None,
        )
        views[view or "(outside any view: middleware, WSGI, gunicorn)"] += count
        for frame in set(frames):
            if PROJECT_FILE.search(frame) and "/.venv/" not in frame and "site-packages" not in frame:
                ours[frame] += count
    if not total:
        print("   py-spy recorded no samples")
        return
    print(f"\n== py-spy: {total} samples of busy gunicorn worker threads")
    print("   by view (share of busy samples):")
    for view, count in views.most_common(12):
        print(f"   {count / total * 100:5.1f} %  {view}")
    print("   project functions, inclusive:")
    for frame, count in ours.most_common(20):
        print(f"   {count / total * 100:5.1f} %  {frame}")
    print("   functions with the most samples of their own:")
    for frame, count in own.most_common(15):
        print(f"   {count / total * 100:5.1f} %  {frame}")


# --- main -----------------------------------------------------------------------------------------------


async def warm_up(args, urls: PublicUrls) -> None:
    """The public mix, unmeasured, with URLs of its own: the server's processes load their templates,
    translations and URL resolvers, fill their database pools, and PostgreSQL reads the tables into memory,
    so that the first measured phase starts as warm as the last."""
    urls.next_phase("warm-up")
    new_public_version()

    async def work(stats, client, n):
        label, path = urls.pick()
        await timed(stats, client, label, "GET", path)

    stats = await closed_loop(args, args.client_counts[0], args.warmup, work)
    total = figures(stats.all_times(), stats.ended - stats.started)
    print(
        f"\n== warm-up (not measured): the public mix at {args.client_counts[0]} clients for {args.warmup:.0f} s, "
        f"URLs of its own: {total['n']} requests, {total['rps']:.1f} req/s, p95 {total['p95']:.0f} ms, "
        f"{sum(stats.errors.values())} errors"
    )


async def run(args, urls, staff, procs, server_pid, payload, workdir) -> dict:
    results = {}
    if args.warmup and ("public" in args.phases or "import" in args.phases):
        await warm_up(args, urls)
    if "public" in args.phases:
        for i, clients in enumerate(args.client_counts):
            raw = workdir / "py-spy.txt" if args.profile and i == 0 else None
            spies = []

            async def measured(clients=clients, raw=raw, spies=spies, i=i):
                if raw is not None:  # on the public run only, not on the /healthz runs around it
                    spies.append(subprocess.Popen(
                        [args.py_spy, "record", "--pid", str(server_pid), "--subprocesses", "--format", "raw",
                         "--rate", "50", "--nonblocking", "--output", str(raw), *(["--idle"] if args.idle else [])],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    ))  # fmt: skip
                result = await public_phase(args, urls, clients, procs, name=f"public {i}")
                for spy in spies:
                    spy.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
                return result

            base, base_phase, (stats, phase) = await healthz_around(args, clients, procs, measured)
            results[f"public {clients}"] = (
                report(f"public mix, {clients} clients", stats, base, phase, base_phase),
                base,
            )
            for spy in spies:
                spy.wait(timeout=60)
                if raw.exists():
                    profile_summary(raw)
    if "staff" in args.phases:
        base, base_phase, (stats, phase) = await healthz_around(
            args, len(staff), procs, lambda: staff_phase(args, staff, procs)
        )
        results["staff"] = (report(f"staff mix, {len(staff)} clients", stats, base, phase, base_phase), base)
    if "import" in args.phases:
        results["import"] = await import_phase(args, urls, procs, payload)
    return results


def summary(args, results: dict) -> None:
    print("\n== targets (issue 19)")
    checks = []
    first = f"public {args.client_counts[0]}"
    if first in results:
        f, base = results[first]
        checks.append((f"public mix at {args.client_counts[0]} clients ≥ 50 % of /healthz req/s "
                       f"({f['rps']:.1f} vs {base['rps']:.1f}: {f['rps'] / base['rps'] * 100:.1f} %)",
                       f["rps"] >= 0.5 * base["rps"]))  # fmt: skip
        checks.append((f"public mix p95 ≤ 4× /healthz p95 ({f['p95']:.0f} vs {base['p95']:.0f} ms: "
                       f"{f['p95'] / base['p95']:.1f}×)", f["p95"] <= 4 * base["p95"]))  # fmt: skip
        for clients in args.client_counts[1:]:
            if f"public {clients}" in results:
                g, _ = results[f"public {clients}"]
                checks.append((f"at {clients} clients no errors ({g['errors']})", g["errors"] == 0))
                checks.append((f"at {clients} clients no lower throughput than at {args.client_counts[0]} "
                               f"({g['rps']:.1f} vs {f['rps']:.1f} req/s)", g["rps"] >= f["rps"]))  # fmt: skip
    if "import" in results:
        share = results["import"]["share"]
        checks.append((f"public throughput during the import ≥ 80 % ({share * 100:.1f} %)", share >= 0.8))
    for label, ok in checks:
        print(f"   {'met   ' if ok else 'MISSED'} {label}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=20_000, help="published results in the province")
    parser.add_argument("--province", type=int, default=50_000, help="enterprises in the province registry")
    parser.add_argument("--staff", type=int, default=30, help="staff accounts (and clients of the staff mix)")
    parser.add_argument("--clients", default="50,200", help="clients of the public mix, comma-separated")
    parser.add_argument("--duration", type=float, default=20, help="seconds of each measured run")
    parser.add_argument("--searches", type=int, default=6000, help="search URLs drawn for each public phase")
    parser.add_argument(
        "--open-data", default="", help="where the open-data files are built (default: a directory kept per database)"
    )
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (docs/deployment.md)")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (deployment: 8)")
    parser.add_argument("--worker-nice", type=int, default=10, help="nice of the RQ worker (systemd Nice=10)")
    parser.add_argument("--phases", default="public,staff,import")
    parser.add_argument("--profile", action="store_true", help="py-spy the gunicorn workers in the first public run")
    parser.add_argument("--idle", action="store_true", help="with --profile: idle threads too (py-spy --idle)")
    parser.add_argument(
        "--timing", action="store_true", help="each request's time in the server, by part (bench/timing.py)"
    )
    parser.add_argument("--warmup", type=float, default=15, help="seconds of unmeasured public mix first (0: none)")
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="keep each client's connection open (default: one connection a request, as nginx proxies)",
    )
    parser.add_argument("--py-spy", default=str(Path(sys.executable).with_name("py-spy")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8131)
    args = parser.parse_args()
    args.client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    args.phases = {p.strip() for p in args.phases.split(",")}

    workdir = Path(tempfile.mkdtemp(prefix="ssj-bench-load-"))
    database = connection.settings_dict["NAME"]
    open_data = Path(args.open_data or Path(tempfile.gettempdir()) / f"ssj-bench-load-open-data-{database}")
    os.environ["OPEN_DATA_ROOT"] = str(open_data)
    settings.OPEN_DATA_ROOT = open_data
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", province=args.province, verbosity=0)
    bureau = Bureau.objects.get(code="province")
    published = ensure_published(bureau, args.results)
    staff = prepare_staff(bureau, args.staff)
    payload = b""
    if "import" in args.phases:
        from bench.bench_import import build_xlsx  # noqa: PLC0415 - only for the import phase

        payload = build_xlsx(args.import_rows, seed=int(time.time()))
    print(
        f"data ready in {time.perf_counter() - start:.1f} s: {published} published results, {len(staff)} staff, "
        f"import file {len(payload) / 1e6:.1f} MB ({args.import_rows} rows), {connection.vendor}"
    )
    procs = {}
    server = worker = None
    try:
        env = server_env(args, workdir / "static")
        env["OPEN_DATA_ROOT"] = str(open_data)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity=0"], env=env, cwd=ROOT, check=True
        )
        if opendata.is_stale():  # built when the published rows changed since the last build (or never built)
            started = time.perf_counter()
            subprocess.run([sys.executable, "manage.py", "build_open_data"], env=env, cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            print(f"open-data files built in {time.perf_counter() - started:.1f} s in {open_data}")
        cancel_open_data_build()
        # warm-up, the public phases, and the import's three runs (the one during the import: 4 shares)
        shares = {"warm-up": 1, **{f"public {i}": 1 for i in range(len(args.client_counts))}}
        shares.update({"import alone": 1, "import during": 4, "import after": 1})
        urls = PublicUrls(shares=shares, searches=args.searches)
        print(
            f"URLs of a public phase, never asked by another: {urls.sizes()} (4 times as many during the import); "
            f"draw pages {len(urls.draw_pages)}"
        )
        connection.close()
        if args.timing:
            TIMING["file"] = workdir / "timing.tsv"
            env["BENCH_TIMING_FILE"] = str(TIMING["file"])
        worker = start_worker(args, env, workdir / "worker.log")
        drain_jobs()
        print(
            f"gunicorn {args.workers} workers × {args.threads} threads on {args.host}:{args.port}, one RQ worker at "
            f"nice {args.worker_nice}; {os.cpu_count()} CPUs shared with PostgreSQL, Redis and this generator; "
            f"clients: {'keep-alive connections' if args.keep_alive else 'a new connection a request (as nginx)'}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        server = start_server(args, env, workdir / "gunicorn.log")
        procs = {"gunicorn": server.pid, "RQ worker": worker.pid}
        results = asyncio.run(run(args, urls, staff, procs, server.pid, payload, workdir))
        summary(args, results)
    finally:
        for process in (worker, server):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        for log in ("gunicorn.log", "worker.log"):
            path = workdir / log
            if path.exists():
                errors = [line for line in path.read_text(errors="replace").splitlines() if "Error" in line]
                if errors:
                    print(f"{log}, last errors:", *errors[-3:], sep="\n   ")
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
