#!/usr/bin/env python3
"""Benchmark: quarterly draws over a province registry, end to end, beside a bare SELECT of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ssj_bench_draw2 .venv/bin/python bench/bench_draw.py
        [--fresh] [--province 200000] [--county 2000] [--general 3] [--key 25] [--profile] [--queries]

Migrates the database and makes sure a bureau "province" with N enterprises and 400 inspectors exists
(``manage.py seed_demo --province N``, in a child process so that its memory is not this process's peak),
and a 2,000-enterprise county "benchcounty" with 40 inspectors. Then, through the services the pages use —
``draw_create`` (eligibility, strata, quotas, inspector pool, hashes, saving the frozen pool),
``draw_execute`` (seed, ssj-draw-2 ranking and teams via ``algorithm.replay``, saving the result) and
``draw_approve`` (inspection tasks, team members, inspection items), each committed — it times (the e-mail
jobs a draw submits, which a worker runs after commit, are held and run after each draw, timed on their own):

* the province: a draw of quarter 2 (with ``--fresh``: no history), then quarter 3, then quarter 4 with two
  quarters of history (the inspection tasks of the first two draws: last teams, the yearly cap);
* the county: one draw, create + execute + approve;
* ``python -m sampling.verify`` on the province's last record against merely parsing its JSON, both as
  whole processes (best of 3);

each beside a bare ``SELECT id, uscc FROM enterprises_enterprise WHERE bureau_id = …`` (best of 3) measured
in the same run, and prints the peak memory of this process (``ru_maxrss``) after each draw. It runs with
DEBUG off, as in production (``DEBUG=1`` in the environment to override). ``--fresh`` first deletes the plans,
draws and inspection tasks of earlier runs (plans named "基准测试 …"), so a run does not grow the history of the
last. Without DATABASE_URL it uses a throw-away SQLite file, never the development database.
Targets: province create + execute ≤ 1 s and ≤ 5× the bare SELECT; its approval ≤ 5× the bare SELECT;
county create + execute + approve ≤ 50 ms; peak memory ≤ 300 MB; the verifier ≤ 4× parsing the JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# As in production: with DEBUG on, Django keeps the text of every statement (a province draw's are megabytes).
os.environ.setdefault("DEBUG", "0")
if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
    os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="ssj-bench-")) / "bench.sqlite3")

import django  # noqa: E402  (after the environment above)

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.public_data import ensure_leads  # noqa: E402
from core import jobs as core_jobs  # noqa: E402
from core.enums import BureauKind  # noqa: E402
from core.models import Bureau  # noqa: E402
from demo.generate import ensure_checklist, generate_enterprises, generate_inspectors  # noqa: E402
from enterprises.models import CheckItem, Enterprise  # noqa: E402
from inspections.models import InspectionTask, Substitution, TaskMember  # noqa: E402
from sampling import draws, plans  # noqa: E402
from sampling.enums import PlanStatus  # noqa: E402
from sampling.models import (  # noqa: E402
    Draw,
    DrawData,
    DrawEntry,
    Plan,
    PlanTask,
    QuotaPolicy,
)
from sampling.records import draw_public_record, record_json  # noqa: E402

TARGET_PROVINCE_SECONDS = 1.0
TARGET_RATIO = 5.0
TARGET_COUNTY_SECONDS = 0.050
TARGET_PEAK_MB = 300
TARGET_VERIFY_RATIO = 4.0
PLAN_NAME = "基准测试"


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)


def forget_history(bureau: Bureau) -> int:
    """Delete the plans, draws and inspection tasks of earlier benchmark runs in ``bureau``; return the draws."""
    with transaction.atomic():
        bench_plans = Plan.objects.filter(bureau=bureau, name__startswith=PLAN_NAME)
        bench_draws = Draw.objects.filter(task__plan__in=bench_plans)
        tasks = InspectionTask.objects.filter(draw__in=bench_draws)
        count = bench_draws.count()
        Substitution.objects.filter(draw__in=bench_draws).delete()
        TaskMember.objects.filter(task__in=tasks).delete()
        InspectionTask.check_items.through.objects.filter(inspectiontask__in=tasks).delete()
        tasks.delete()
        DrawEntry.objects.filter(draw__in=bench_draws).delete()
        DrawData.objects.filter(draw__in=bench_draws).delete()
        bench_draws.delete()
        PlanTask.check_items.through.objects.filter(plantask__plan__in=bench_plans).delete()
        PlanTask.objects.filter(plan__in=bench_plans).delete()
        bench_plans.delete()
    return count


def ensure_county(count: int) -> Bureau:
    with transaction.atomic():
        bureau, _ = Bureau.objects.get_or_create(
            code="benchcounty",
            defaults={"name": "基准测试县生态环境分局", "short_name": "基环", "kind": BureauKind.COUNTY},
        )
        missing = count - Enterprise.objects.filter(bureau=bureau).count()
        if missing > 0:
            generate_enterprises(bureau, missing, seed=count + 1, with_records=False)
        generate_inspectors(bureau, 40, seed=12)
    return bureau


def prepare_task(bureau: Bureau, runner, general: Decimal, key: Decimal):
    year = timezone.localdate().year
    ensure_checklist(bureau)
    QuotaPolicy.objects.update_or_create(
        bureau=bureau,
        year=year,
        defaults={"general_ratio": general, "key_ratio": key, "special_ratio": 0, "yearly_cap": None},
    )
    plan = plans.plan_create(actor=runner, bureau=bureau, year=year, name=f"{PLAN_NAME} {time.time():.0f}")
    task = plans.plan_task_create(
        actor=runner,
        plan=plan,
        check_items=list(CheckItem.objects.filter(bureau=bureau)[:2]),
        name="一般和重点排污单位不定向抽查",
        include_general=True,
        include_key=True,
        draw_from=date(year, 1, 1),
        draw_until=date(year, 12, 31),
        inspect_from=date(year, 1, 1),
        inspect_until=date(year, 12, 31),
    )
    plans.plan_set_status(actor=runner, plan=plan, status=PlanStatus.ACTIVE)
    return task


def bare_select(bureau: Bureau) -> tuple[float, int]:
    """Best of 3: the ids and USCCs of the bureau's enterprises, straight from the cursor."""
    best, rows = float("inf"), 0
    for _ in range(3):
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, uscc FROM enterprises_enterprise WHERE bureau_id = %s", [bureau.pk])
            rows = len(cursor.fetchall())
        best = min(best, time.perf_counter() - start)
    return best, rows


class QueryTimer:
    """Times every SQL statement (``--queries``): the slowest are printed after the draw."""

    def __init__(self):
        self.timings: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append((time.perf_counter() - start, sql))

    def report(self, top: int = 12) -> None:
        total = sum(seconds for seconds, _sql in self.timings)
        print(f"   {len(self.timings)} statements, {total * 1000:.1f} ms in the database driver; the slowest:")
        for seconds, sql in sorted(self.timings, reverse=True)[:top]:
            print(f"   {seconds * 1000:9.1f} ms  {' '.join(sql.split())[:150]}")


def run_draw(task, runner, approver, quarter: int, profile: str | None, queries: bool = False) -> dict:
    history = InspectionTask.objects.filter(bureau=task.plan.bureau).count()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    timer = QueryTimer()
    held: list = []
    with (
        connection.execute_wrapper(timer) if queries else contextlib.nullcontext(),
        mock.patch.object(core_jobs, "dispatch", lambda job_id, force=False: held.append(job_id) or True),
    ):
        c0, t0 = time.process_time(), time.perf_counter()
        draw = draws.draw_create(actor=runner, task=task, quarter=quarter)
        c1, t1 = time.process_time(), time.perf_counter()
        draw = draws.draw_execute(actor=runner, draw=draw, witness_input="基准 7 7 7", witnesses="基准见证人")
        c2, t2 = time.process_time(), time.perf_counter()
        draws.draw_approve(actor=approver, draw=draw)
        c3, t3 = time.process_time(), time.perf_counter()
    if queries:
        timer.report()
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats(profile).print_stats(25)
    # The e-mails the draw submits (the leads told of the list, each inspector of his tasks) are jobs that a
    # worker runs after commit; without Redis they would run inline, inside the timings above: run them here.
    j0 = time.perf_counter()
    for job_id in held:
        core_jobs.run_job(str(job_id))
    jobs_seconds = time.perf_counter() - j0
    return {
        "draw_obj": draw,
        "create": t1 - t0,
        "execute": t2 - t1,
        "approve": t3 - t2,
        "draw": t2 - t0,
        "total": t3 - t0,
        "cpu": (c1 - c0, c2 - c1, c3 - c2, c3 - c0),
        "pool": draw.member_count,
        "excluded": draw.excluded_count,
        "selected": draw.selected_count,
        "inspectors": len(DrawData.objects.values_list("inspectors", flat=True).get(draw=draw)["pool"]),
        "history": history,
        "jobs": (len(held), jobs_seconds),
        "peak_mb": peak_mb(),
    }


def peak_mb() -> float:
    """The peak memory of this process so far (``ru_maxrss``, in MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(name: str, result: dict, select_seconds: float, rows: int) -> None:
    draw = result["draw_obj"]
    print(f"\n== {name}: {rows} enterprises, {result['inspectors']} inspectors available, {connection.vendor}")
    print(f"   {draw.algorithm}, quarter {draw.quarter}; earlier inspection tasks in the bureau: {result['history']}")
    print(f"   pool {result['pool']} (excluded {result['excluded']}), drawn {result['selected']}")
    print(f"   bare SELECT id, uscc ({rows} rows):  {select_seconds * 1000:9.1f} ms")
    cpu = [f"(this process's CPU {seconds * 1000:7.1f} ms)" for seconds in result["cpu"]]
    print(f"   draw_create  (eligibility, quotas, pool, hashes, save): {result['create'] * 1000:9.1f} ms {cpu[0]}")
    print(f"   draw_execute (seed, ranking, teams, save):              {result['execute'] * 1000:9.1f} ms {cpu[1]}")
    print(
        f"   create + execute:                                       {result['draw'] * 1000:9.1f} ms "
        f"= {result['draw'] / select_seconds:5.1f} × the bare SELECT"
    )
    print(
        f"   draw_approve (tasks, members, items):                   {result['approve'] * 1000:9.1f} ms "
        f"= {result['approve'] / select_seconds:5.1f} × the bare SELECT {cpu[2]}"
    )
    print(f"   create + execute + approve:                             {result['total'] * 1000:9.1f} ms {cpu[3]}")
    jobs, jobs_seconds = result["jobs"]
    print(f"   its {jobs} e-mail jobs (a worker's, after commit; not above): {jobs_seconds * 1000:9.1f} ms")
    print(f"   peak memory of this process so far (ru_maxrss):         {result['peak_mb']:9.0f} MB")


def best_process_time(args: list[str], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def verify_timing(draw: Draw) -> tuple[float, float, int]:
    """``python -m sampling.verify`` on the draw's public record, and a process that only parses its JSON."""
    text = record_json(draw_public_record(draw))
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as handle:
        handle.write(text)
    try:
        verify = best_process_time([sys.executable, "-m", "sampling.verify", handle.name])
        parse = best_process_time(
            [sys.executable, "-c", "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))", handle.name]
        )
        replayed = subprocess.run(
            [sys.executable, "-m", "sampling.verify", handle.name], check=True, cwd=ROOT, capture_output=True
        ).stdout
        stored = DrawData.objects.values_list("result", flat=True).get(draw=draw)
        assert json.loads(replayed) == stored, "the verifier's output differs from the stored result"
    finally:
        os.unlink(handle.name)
    return verify, parse, len(text.encode())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--province", type=int, default=200_000, help="enterprises in the province registry")
    parser.add_argument("--county", type=int, default=2_000, help="enterprises in the county registry")
    parser.add_argument("--general", type=Decimal, default=Decimal(3), help="general units per quarter (%%)")
    parser.add_argument("--key", type=Decimal, default=Decimal(25), help="key units per quarter (%%)")
    parser.add_argument("--fresh", action="store_true", help="first delete the draws and tasks of earlier runs")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="cumulative",
        choices=("cumulative", "tottime"),
        help="print a cProfile of each draw, sorted by cumulative (default) or own time",
    )
    parser.add_argument("--queries", action="store_true", help="time every SQL statement and print the slowest")
    args = parser.parse_args()

    start = time.perf_counter()
    manage("migrate", "--verbosity", "0")
    manage("seed_demo", "--province", str(args.province), "--verbosity", "0")
    province = Bureau.objects.get(code="province")
    county = ensure_county(args.county)
    if args.fresh:
        print(f"--fresh: deleted {forget_history(province) + forget_history(county)} draws of earlier runs")
    print(f"registries ready in {time.perf_counter() - start:.1f} s")
    print(f"load average before the draws: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")

    runner, approver = ensure_leads(province)
    task = prepare_task(province, runner, args.general, args.key)
    select_seconds, rows = bare_select(province)
    first = run_draw(task, runner, approver, 2, args.profile, args.queries)
    report("province, quarter 2" + (" (no history: --fresh)" if args.fresh else ""), first, select_seconds, rows)
    second = run_draw(task, runner, approver, 3, None)
    report("province, quarter 3", second, select_seconds, rows)
    third = run_draw(task, runner, approver, 4, args.profile, args.queries)
    select_seconds_3, _rows = bare_select(province)
    report("province, quarter 4 (2 quarters of history)", third, select_seconds_3, rows)

    county_runner, county_approver = ensure_leads(county)
    county_task = prepare_task(county, county_runner, args.general, args.key)
    county_select, county_rows = bare_select(county)
    county_result = run_draw(county_task, county_runner, county_approver, 4, args.profile, args.queries)
    report("county", county_result, county_select, county_rows)

    province_peak = third["peak_mb"]
    verify, parse, size = verify_timing(third["draw_obj"])
    print(f"\n== python -m sampling.verify on the province's last record ({size / 1e6:.1f} MB), whole processes:")
    print(f"   verify {verify * 1000:.0f} ms, parsing the JSON only {parse * 1000:.0f} ms: {verify / parse:.2f} ×")
    print(f"\n   peak memory of this process until the end of the province draws (ru_maxrss): {province_peak:.0f} MB")

    checks = []
    for label, result, bare in (
        ("no history", first, select_seconds),
        ("2 quarters of history", third, select_seconds_3),
    ):
        checks += [
            (f"province create + execute ≤ 1 s ({label})", result["draw"] <= TARGET_PROVINCE_SECONDS),
            (f"province create + execute ≤ 5 × bare SELECT ({label})", result["draw"] <= TARGET_RATIO * bare),
            (f"province approval ≤ 5 × bare SELECT ({label})", result["approve"] <= TARGET_RATIO * bare),
        ]
    checks += [
        ("county create + execute + approve ≤ 50 ms", county_result["total"] <= TARGET_COUNTY_SECONDS),
        ("peak memory during the province draws ≤ 300 MB", province_peak <= TARGET_PEAK_MB),
        ("verifier ≤ 4 × parsing the JSON", verify <= TARGET_VERIFY_RATIO * parse),
    ]
    print()
    for label, ok in checks:
        print(f"   {'met   ' if ok else 'MISSED'} {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
