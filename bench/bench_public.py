#!/usr/bin/env python3
"""Benchmark: the public results search under concurrent load, beside a bare Django view doing one query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ssj_bench_public REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/bench_public.py [--results 200000] [--connections 32] [--duration 20] [--rounds 4]
        [--workers 4] [--threads 2] [--port 8107] [--explain] [--profile 300]

Migrates the database, makes sure a bureau "province" with 200,000 enterprises exists (``seed_demo
--province``) and that its draws of 2024 Q1 to 2026 Q3 end in N published results (bench/public_data.py:
the draws through the services, the inspections, results and publications after them in bulk). Then it
starts gunicorn as deployed (docs/deployment.md: ``--workers 4 --threads 2``) with production settings —
``SSJ_ENV=production``, DEBUG off, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, static files collected
into a temporary STATIC_ROOT, the cache on REDIS_URL if given — and ``DJANGO_SETTINGS_MODULE=bench.settings``,
which adds ``/bench/bare/`` (bench/urls.py: one query, JSON, no template) to the project's URLs.

Plain http on loopback: production settings redirect http to https unless the request says it came
through the TLS proxy; every request carries ``X-Forwarded-Proto: https``, the header nginx sets in
front of gunicorn (docs/deployment.md, ``BEHIND_PROXY``), so no setting is changed for the benchmark.

Each search URL (GET /public/results/, ``public:results``) is fetched once first (status checked, time
per kind of query printed); then wrk (Debian package ``wrk``) runs a warm-up and ``--rounds`` rounds of
the bare view and the search, alternately, at ``--connections`` connections, the search cycling through
``--urls`` queries: parts of names (two characters, two characters that match nothing, an industry,
four characters, a full name, a name that matches nothing), full USCCs and USCC prefixes, filters (year,
quarter, tier, outcome, bureau) with and without text, and the unfiltered list. This is done twice
(``--modes``): ``uncached``, the search page's own cache off (bench/urls.py, ``BENCH_SEARCH_CACHE=off``:
every request runs the search query and renders the page), and ``cached``, as shipped (the first pass fills
the 5-minute page cache, so wrk mostly hits it: ``disclosure.middleware`` answers the whole page from Redis
before the session, language and authentication middleware — the figure of popular searches, while
``uncached`` is that of searches nobody made in the last 5 minutes). It prints p50/p90/p95/p99 and
requests per second of both views, their ratio, and whether the targets are met: search p95 ≤ 100 ms at
32 connections and search throughput ≥ 30% of the bare view's. ``--explain`` runs EXPLAIN ANALYZE of the
search page's query (as ``disclosure.public_queries`` builds it) for every URL and prints the times per
kind and the slowest plans.
"""

import argparse
import cProfile
import json
import os
import pstats
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if not os.environ.get("DATABASE_URL"):
    sys.exit("DATABASE_URL is required (a PostgreSQL database of its own, e.g. ssj_bench_public)")

import django  # noqa: E402 - after the environment above

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.public_data import YEARS, ensure_published  # noqa: E402
from core.models import Bureau  # noqa: E402
from core.public_cache import bump_public_version  # noqa: E402
from demo.generate import GIVEN, INDUSTRY_SUFFIX, WORDS  # noqa: E402
from enterprises.enums import Tier  # noqa: E402
from inspections.enums import Outcome  # noqa: E402
from inspections.models import Publication  # noqa: E402

TARGET_P95_MS = 100.0
TARGET_SHARE = 0.30
SEARCH_PATH = "/public/results/"
BARE_PATH = "/bench/bare/"
HEADERS = {"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans"}
# Kinds of search and how often each comes up in the URL list (percent).
KINDS = {
    "name, 2 characters": 15,
    "name, 2 rare characters": 5,
    "name, industry word": 10,
    "name, 4 characters": 10,
    "name, full": 10,
    "name, no match": 5,
    "USCC, full": 15,
    "USCC, prefix": 10,
    "filters only": 10,
    "name + filters": 5,
    "no query": 5,
}

LUA = """
local paths = {%(paths)s}
local i = 0
setup = function(thread)
  thread:set("offset", math.random(#paths))
end
init = function(args)
  i = offset or 0
  for name, value in pairs(%(headers)s) do wrk.headers[name] = value end
end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50": %%d, "p90": %%d, "p95": %%d, "p99": %%d, "max": %%d, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def search_urls(count: int, seed: int = 6, *, sample: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """``count`` (kind, path) pairs of the public search, drawn from the published rows (or from ``sample``,
    (name, USCC) pairs: ``bench_load.py`` passes every published row, for more distinct searches)."""
    rng = random.Random(seed)
    if sample is None:
        sample = list(
            Publication.objects.order_by("id").values_list("enterprise_name", "uscc")[
                : max(2000, count) * 50 : 50
            ]  # every 50th row: spread over the years without a sort over the table
        )
    industries = sorted({prefix for prefix, _ in INDUSTRY_SUFFIX.values() if len(prefix) == 2})
    outcomes = list(Outcome.values)
    tiers = list(Tier.values)
    urls = []
    kinds = list(KINDS)
    weights = list(KINDS.values())

    def filters() -> dict:
        chosen = rng.sample(["year", "quarter", "tier", "outcome", "bureau"], rng.randint(1, 3))
        values = {
            "year": rng.choice(YEARS),
            "quarter": rng.randint(1, 4),
            "tier": rng.choice(tiers),
            "outcome": rng.choice(outcomes),
            "bureau": "province",
        }
        return {name: values[name] for name in chosen}

    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        name, uscc = rng.choice(sample)
        params: dict = {}
        if kind == "name, 2 characters":
            params = {"q": rng.choice(WORDS)}
        elif kind == "name, 2 rare characters":
            params = {"q": "".join(rng.sample(GIVEN, 2))}  # given names: in no enterprise's name
        elif kind == "name, industry word":
            params = {"q": rng.choice(industries)}
        elif kind == "name, 4 characters":
            params = {"q": rng.choice(WORDS) + rng.choice(industries)}
        elif kind == "name, full":
            params = {"q": name}
        elif kind == "name, no match":
            params = {"q": f"{rng.choice(WORDS)}{rng.choice('甲乙丙丁戊')}测试公司"}
        elif kind == "USCC, full":
            params = {"q": uscc}
        elif kind == "USCC, prefix":
            params = {"q": uscc[: rng.randint(8, 14)]}
        elif kind == "filters only":
            params = filters()
        elif kind == "name + filters":
            params = {"q": rng.choice(WORDS), **filters()}
        urls.append((kind, f"{SEARCH_PATH}?{urlencode(params)}" if params else SEARCH_PATH))
    return urls


def server_env(args, static_root: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        SSJ_ENV="production",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=args.host,
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
    )
    return env


def start_server(args, env: dict, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "config.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--timeout",
        "60",
        "--chdir",
        str(ROOT),
    ]
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _, _ = fetch(args, "/healthz")
            if status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}")
        time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz within 30 s")


def fetch(args, path: str) -> tuple[int, float, bytes]:
    request = urllib.request.Request(f"http://{args.host}:{args.port}{path}", headers=HEADERS)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return status, time.perf_counter() - start, body


def check_pages(args, urls: list[tuple[str, str]]) -> bool:
    """Fetch every search URL once, one at a time: statuses, and the time per kind of query."""
    times = defaultdict(list)
    statuses = defaultdict(int)
    slowest = ("", 0.0)
    for kind, path in urls:
        status, seconds, _ = fetch(args, path)
        statuses[status] += 1
        times[kind].append(seconds)
        if seconds > slowest[1]:
            slowest = (path, seconds)
    status, _, body = fetch(args, BARE_PATH)
    print(f"\n== one at a time: {len(urls)} search URLs, status {dict(statuses)}; bare view status {status}")
    print(f"   {'kind of query':24} {'URLs':>5} {'median ms':>10} {'max ms':>8}")
    for kind in KINDS:
        if times[kind]:
            ms = [t * 1000 for t in times[kind]]
            print(f"   {kind:24} {len(ms):5d} {statistics.median(ms):10.1f} {max(ms):8.1f}")
    print(f"   slowest: {slowest[1] * 1000:.1f} ms {slowest[0]}")
    return set(statuses) == {200} and status == 200 and b"results" in body


def run_wrk(args, paths: list[str], duration: int, workdir: Path) -> dict:
    script = workdir / f"wrk-{secrets.token_hex(4)}.lua"
    lua_paths = ",".join(json.dumps(p) for p in paths)  # percent-encoded ASCII: a JSON string is a Lua string
    lua_headers = "{" + ",".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in HEADERS.items()) + "}"
    script.write_text(LUA % {"paths": lua_paths, "headers": lua_headers}, encoding="utf-8")
    command = [
        args.wrk,
        f"--threads={args.wrk_threads}",
        f"--connections={args.connections}",
        f"--duration={duration}s",
        "--timeout=10s",
        f"--script={script}",
        f"http://{args.host}:{args.port}{paths[0]}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    figures = json.loads(line.removeprefix("WRKJSON "))
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    return figures


def show(label: str, f: dict) -> None:
    print(
        f"   {label:26} {f['rps']:8.1f} req/s   p50 {f['p50'] / 1000:7.1f}  p90 {f['p90'] / 1000:7.1f}  "
        f"p95 {f['p95'] / 1000:7.1f}  p99 {f['p99'] / 1000:7.1f}  max {f['max'] / 1000:7.1f} ms   "
        f"{f['requests']} requests, {f['errors']} errors"
    )


def explain(urls: list[tuple[str, str]]) -> None:
    """EXPLAIN ANALYZE of the search page's query for every URL: per kind, the times and the slowest plan."""
    from urllib.parse import parse_qs, urlsplit  # noqa: PLC0415 - only with --explain

    from disclosure import public_queries as pq  # noqa: PLC0415 - only with --explain

    plans = defaultdict(list)  # kind -> [(ms, path, plan)]
    for kind, path in urls:
        params = pq.parse_params({k: v[0] for k, v in parse_qs(urlsplit(path).query).items()})
        if hasattr(pq, "filtered_results"):  # the page's own query builder
            qs = pq.filtered_results(params)
        else:
            qs = Publication.objects.filtered(
                q=params.q,
                year=params.year,
                quarter=params.quarter,
                tier=params.tier,
                outcome=params.outcome,
                bureau=params.bureau,
            )
        qs = qs.order_by("-published_at", "-id").values(*pq.LIST_FIELDS)[: pq.PAGE_SIZE + 1]
        sql, sql_params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", sql_params)
            plan = [row[0] for row in cursor.fetchall()]
        ms = float(plan[-1].split(":")[1].split()[0])  # "Execution Time: 1.234 ms"
        plans[kind].append((ms, path, plan))
    print("\n== EXPLAIN ANALYZE of the search page's query (first page) for every URL, milliseconds in PostgreSQL")
    print(f"   {'kind of query':24} {'URLs':>5} {'median':>8} {'p95':>8} {'max':>8}")
    for kind in KINDS:
        times = sorted(ms for ms, _, _ in plans[kind])
        if times:
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"   {kind:24} {len(times):5d} {statistics.median(times):8.2f} {p95:8.2f} {times[-1]:8.2f}")
    for kind in KINDS:
        if plans[kind]:
            ms, path, plan = max(plans[kind], key=lambda entry: entry[0])
            print(f"\n-- slowest {kind}: {path}")
            for row in plan:
                print(f"   {row}")


def profile_child(count: int) -> int:
    """In a child process with the server's environment: time ``count`` requests in-process, then profile them."""
    from django.test import Client  # noqa: PLC0415 - only in the profiling child

    urls = [path for _, path in search_urls(max(count, 100))][:count]
    bump_public_version()  # pages cached by the runs before must not answer
    client = Client(SERVER_NAME="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
    for path in urls[:50]:  # warm: imports, templates, translations, connections
        client.get(path, secure=True)
    print(f"\n== in one process, one request at a time (no HTTP server, no concurrency): {count} requests")
    for label, paths in (("bare view", [BARE_PATH] * count), ("public search", urls)):
        start, cpu = time.perf_counter(), time.process_time()
        statuses = defaultdict(int)
        for path in paths:
            statuses[client.get(path, secure=True).status_code] += 1
        wall = (time.perf_counter() - start) / count * 1000
        used = (time.process_time() - cpu) / count * 1000
        print(f"   {label:14} {wall:6.2f} ms a request ({used:5.2f} ms of this process's CPU), {dict(statuses)}")
    profiler = cProfile.Profile()
    profiler.enable()
    for path in urls:
        client.get(path, secure=True)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    return 0


def measure(args, mode: str, urls: list[tuple[str, str]], workdir: Path) -> dict | None:
    """Start gunicorn in ``mode`` ("cached" as shipped, or "uncached"), check the pages, run wrk; stop it."""
    env = server_env(args, workdir / "static")
    if mode == "uncached":
        env["BENCH_SEARCH_CACHE"] = "off"
        bump_public_version()  # no page cached by an earlier run may answer (same REDIS_URL as the server)
    log = workdir / f"gunicorn-{mode}.log"
    server = start_server(args, env, log)
    try:
        print(f"\n######## search page cache: {MODES[mode]}")
        if not check_pages(args, urls):
            print(f"\nThe search page or the bare view does not answer 200 everywhere: no load test ({SEARCH_PATH})")
            errors = [line for line in log.read_text(errors="replace").splitlines() if "Error" in line]
            print("   gunicorn's log, last errors:", *errors[-3:], sep="\n   ")
            return None
        search_paths = [path for _, path in urls]
        print(f"\n== wrk: {args.connections} connections, {args.wrk_threads} threads, {args.duration} s a run")
        run_wrk(args, [BARE_PATH], args.warmup, workdir)
        run_wrk(args, search_paths, args.warmup, workdir)
        bare_runs, search_runs = [], []
        for n in range(1, args.rounds + 1):
            bare_runs.append(run_wrk(args, [BARE_PATH], args.duration, workdir))
            show(f"bare view, round {n}", bare_runs[-1])
            search_runs.append(run_wrk(args, search_paths, args.duration, workdir))
            show(f"public search, round {n}", search_runs[-1])
    finally:
        server.terminate()
        server.wait(timeout=30)
    summary = {
        "bare_rps": statistics.mean(f["rps"] for f in bare_runs),
        "bare_p95": max(f["p95"] for f in bare_runs) / 1000,
        "search_rps": statistics.mean(f["rps"] for f in search_runs),
        "p50": max(f["p50"] for f in search_runs) / 1000,
        "p95": max(f["p95"] for f in search_runs) / 1000,
        "p99": max(f["p99"] for f in search_runs) / 1000,
        "errors": sum(f["errors"] for f in bare_runs + search_runs),
    }
    # Other processes share the CPUs: the ratio of each round's adjacent runs is steadier than the means.
    summary["share"] = statistics.median(s["rps"] / b["rps"] for b, s in zip(bare_runs, search_runs, strict=True))
    summary["p95_median"] = statistics.median(f["p95"] for f in search_runs) / 1000
    return summary


MODES = {
    "cached": "as shipped (whole pages cached 5 min; the first pass fills the cache, so wrk hits it)",
    "uncached": "off (BENCH_SEARCH_CACHE=off: every request misses and runs the search query)",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=200_000, help="published results in the province")
    parser.add_argument("--province", type=int, default=200_000, help="enterprises in the province registry")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=20, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of the warm-up run of each")
    parser.add_argument("--rounds", type=int, default=4, help="measured runs of each, alternately")
    parser.add_argument("--urls", type=int, default=1000, help="search URLs wrk cycles through")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (docs/deployment.md: 4)")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker (deployment: 2)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    parser.add_argument("--modes", default="uncached,cached", help="uncached, cached or both (comma-separated)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the search query of every URL")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="time and cProfile N requests in-process (uncached)"
    )
    parser.add_argument("--profile-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile_child:
        return profile_child(args.profile_child)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not shutil.which(args.wrk):
        sys.exit("wrk is missing: apt-get install -y wrk")
    if set(modes) - set(MODES):
        sys.exit(f"--modes: choose among {', '.join(MODES)}")

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("seed_demo", province=args.province, verbosity=0)
    bureau = Bureau.objects.get(code="province")
    published = ensure_published(bureau, args.results)
    total = Publication.objects.count()
    print(
        f"data ready in {time.perf_counter() - start:.1f} s: {published} published results in the province, "
        f"{total} in all, {connection.vendor}"
    )
    urls = search_urls(args.urls)
    if args.explain:
        explain(urls)

    workdir = Path(tempfile.mkdtemp(prefix="ssj-bench-public-"))
    summaries = {}
    try:
        env = server_env(args, workdir / "static")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity=0"], env=env, cwd=ROOT, check=True
        )
        print(
            f"gunicorn {args.workers} workers × {args.threads} threads on {args.host}:{args.port}, "
            f"SSJ_ENV=production, {os.cpu_count()} CPUs shared with PostgreSQL and wrk"
        )
        for mode in modes:
            summaries[mode] = measure(args, mode, urls, workdir)
        if args.profile:
            env["BENCH_SEARCH_CACHE"] = "off"
            command = [sys.executable, __file__, "--profile-child", str(args.profile)]
            subprocess.run(command, env=env, cwd=ROOT, check=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    failed = False
    for mode, s in summaries.items():
        print(f"\n== summary, search page cache {MODES[mode]}")
        if s is None:
            print("   not measured: the pages did not answer 200")
            failed = True
            continue
        print(f"   bare view:     {s['bare_rps']:8.1f} req/s, p95 {s['bare_p95']:.1f} ms (mean / worst of runs)")
        print(
            f"   public search: {s['search_rps']:8.1f} req/s, p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, "
            f"p99 {s['p99']:.1f} ms (mean / worst of {args.rounds} runs)"
        )
        print(f"   search p95, median of the runs: {s['p95_median']:.1f} ms")
        print(
            f"   search ÷ bare (median of each round's ratio): {s['share'] * 100:.1f} %; "
            f"errors or non-2xx answers under load: {s['errors']}"
        )
        checks = [
            (f"search p95 ≤ {TARGET_P95_MS:.0f} ms at {args.connections} connections", s["p95"] <= TARGET_P95_MS),
            (f"search throughput ≥ {TARGET_SHARE * 100:.0f}% of the bare view's", s["share"] >= TARGET_SHARE),
            ("no errors under load", s["errors"] == 0),
        ]
        for label, ok in checks:
            print(f"   {'met   ' if ok else 'MISSED'} {label}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
