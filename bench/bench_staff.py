#!/usr/bin/env python3
"""Benchmark: the staff pages' server time, one user, on the benchmark data (issue 19 item 3).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ssj_bench_public REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/bench_staff.py [--results 20000] [--province 60000] [--repeat 30] [--profile PAGE]

Uses the data of bench/bench_public.py (a province whose draws of 2024 Q1–2026 Q3 end in N published results;
made if missing, kept between runs) plus this quarter's work under way: the 2026 Q4 draw, approved through the
services, with about a third of its tasks checked in, a sixth with a result awaiting approval and a tenth
approved and awaiting publication (bulk, like the published ones; made once, kept; no publication is added,
so bench/bench_public.py's and bench/bench_open_data.py's data are unchanged). Signs in (``force_login``: the password
hash is bench/bench_login.py's subject) as a team lead who runs the draws, a second lead who approves them,
and the inspector with the most tasks this quarter, and times each page in-process with Django's test client,
DEBUG off (templates cached, no query log), the cache on Redis when ``REDIS_URL`` is set, as in production:

    home (to-do) as the lead and as the inspector · my tasks · task list · task detail · result form · draw
    detail (the draw's list, as its runner)

beside a bare view doing one query (``bench/urls.py``) in the same run. Prints per page the p50/p95 of the
server time (wall clock, in-process), the median CPU time of this process (PostgreSQL's work not included: on
a shared machine it is the steadier figure), the queries of one request and their time.
``--profile home-lead`` prints a cProfile of that page (50 requests, cumulative) instead.
Target (issue 19): every page ≤ 150 ms of server time (p50).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

TZ = ZoneInfo("Asia/Shanghai")
TARGET_MS = 150


def ensure_open_work(bureau, log=print):
    """The 2026 Q4 draw (through the services) and its tasks in every open state (bulk). Returns the draw."""
    from django.db import connection, transaction  # noqa: PLC0415

    from bench.public_data import approved_draw, ensure_leads, plan_task_for, ratio_for  # noqa: PLC0415
    from enterprises.enums import EnterpriseStatus  # noqa: PLC0415
    from enterprises.models import CheckItem, Enterprise  # noqa: PLC0415
    from inspections.enums import CheckInMethod, FollowUp, InspectionTaskStatus, Outcome  # noqa: PLC0415
    from inspections.models import CheckIn, InspectionResult, InspectionTask, ItemFinding  # noqa: PLC0415
    from sampling.models import Draw, QuotaPolicy  # noqa: PLC0415

    runner, approver = ensure_leads(bureau)
    existing = Draw.objects.filter(bureau=bureau, year=2026, quarter=4, status="approved").first()
    if existing is not None:
        return existing
    policy = QuotaPolicy.objects.filter(bureau=bureau, year=2026).first()
    eligible = Enterprise.objects.filter(bureau=bureau, status=EnterpriseStatus.OPERATING).count()
    ratio = policy.general_ratio if policy else ratio_for(20_000, eligible)
    task = plan_task_for(bureau, runner, 2026, ratio)
    started = time.perf_counter()
    draw = approved_draw(task, 4, runner, approver)
    log(f"   2026Q4: draw {draw.number} ({draw.selected_count} drawn, {time.perf_counter() - started:.1f} s)")
    rng = random.Random(4)
    tasks = list(
        InspectionTask.objects.filter(draw=draw, status=InspectionTaskStatus.ASSIGNED)
        .order_by("number")
        .values_list("id", flat=True)
    )
    rng.shuffle(tasks)
    n = len(tasks)
    checked, recorded, approved = tasks[: n // 3], tasks[n // 3 : n // 2], tasks[n // 2 : n // 2 + n // 10]
    items = {item.pk: item for item in CheckItem.objects.filter(bureau=bureau)}
    Link = InspectionTask.check_items.through
    task_items: dict[int, list] = {}
    for task_id, item_id in Link.objects.filter(inspectiontask__draw=draw).values_list(
        "inspectiontask_id", "checkitem_id"
    ):
        task_items.setdefault(task_id, []).append(items[item_id])
    today = date(2026, 12, 3)
    first = date(2026, 10, 12)

    def at(day, hour):
        return datetime.combine(day, datetime.min.time(), tzinfo=TZ) + timedelta(hours=hour)

    with transaction.atomic():
        checkins, results, findings = [], [], []
        for i, task_id in enumerate(checked + recorded + approved):
            day = first + timedelta(days=rng.randint(0, (today - first).days))
            checkins.append(
                CheckIn(task_id=task_id, at=at(day, 9), method=CheckInMethod.QR, confirmed_by_name="企业负责人")
            )
            if i < len(checked):
                continue
            is_approved = i >= len(checked) + len(recorded)
            recorded_at = at(day, 16)
            results.append(
                InspectionResult(
                    task_id=task_id,
                    outcome=Outcome.NO_PROBLEM,
                    summary="现场检查完毕。",
                    inspected_on=day,
                    due_date=day + timedelta(days=7),
                    late=False,
                    recorded_by=runner,
                    recorded_by_name=runner.get_full_name() or runner.username,
                    recorded_at=recorded_at,
                    updated_at=recorded_at,
                    approved_by=approver if is_approved else None,
                    approved_by_name=(approver.get_full_name() or approver.username) if is_approved else "",
                    approved_at=recorded_at + timedelta(days=1) if is_approved else None,
                    follow_up=FollowUp.NONE,
                )
            )
        CheckIn.objects.bulk_create(checkins, batch_size=5000)
        InspectionResult.objects.bulk_create(results, batch_size=5000)
        for result in results:
            for item in task_items.get(result.task_id, []):
                findings.append(ItemFinding(result_id=result.pk, check_item=item, compliant=True))
        ItemFinding.objects.bulk_create(findings, batch_size=5000)
        InspectionTask.objects.filter(pk__in=checked).update(status=InspectionTaskStatus.CHECKED_IN)
        InspectionTask.objects.filter(pk__in=recorded).update(status=InspectionTaskStatus.RESULT_RECORDED)
        InspectionTask.objects.filter(pk__in=approved).update(status=InspectionTaskStatus.RESULT_APPROVED)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("sampling_inspectiontask", "inspections_checkin", "inspections_inspectionresult"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    log(
        f"   2026Q4 under way: {len(checked)} checked in, {len(recorded)} recorded, {len(approved)} approved, "
        f"{n - len(checked) - len(recorded) - len(approved)} assigned"
    )
    return draw


def ensure_inspector_user(bureau, draw):
    """The inspector with the most tasks of ``draw`` that wait for a result, with a user of role INSPECTOR."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.db.models import Count  # noqa: PLC0415

    from core.enums import Role  # noqa: PLC0415
    from core.models import Membership  # noqa: PLC0415
    from inspections.enums import InspectionTaskStatus  # noqa: PLC0415
    from inspections.models import TaskMember  # noqa: PLC0415
    from inspectors.models import Inspector  # noqa: PLC0415

    user, _created = get_user_model().objects.get_or_create(
        username=f"bench-{bureau.code}-inspector", defaults={"first_name": "基准检查员"}
    )
    Membership.objects.get_or_create(user=user, bureau=bureau, role=Role.INSPECTOR)
    if not Inspector.objects.filter(user=user).exists():
        busiest = (
            TaskMember.objects.filter(
                task__draw=draw, active=True, inspector__isnull=False, task__status=InspectionTaskStatus.CHECKED_IN
            )
            .values("inspector")
            .annotate(n=Count("id"))
            .order_by("-n", "inspector")
            .first()
        )
        Inspector.objects.filter(pk=busiest["inspector"]).update(user=user)
    return user


class QueryCounter:
    """Counts the queries run (and their SQL and time): an execute wrapper survives the pool's reconnections."""

    def __init__(self):
        self.captured = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.captured.append((time.perf_counter() - start, sql))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=20_000)
    parser.add_argument("--province", type=int, default=60_000, help="enterprises in the province registry")
    parser.add_argument("--repeat", type=int, default=30, help="requests per page (after 3 to warm up)")
    parser.add_argument("--profile", metavar="PAGE", help="print a cProfile of this page instead")
    parser.add_argument("--only", metavar="PAGE", action="append", help="measure only these pages")
    args = parser.parse_args()

    import django  # noqa: PLC0415 - set up after the arguments are read

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.urls import reverse  # noqa: PLC0415

    from bench.public_data import ensure_leads, ensure_published  # noqa: PLC0415
    from core.models import Bureau  # noqa: PLC0415
    from inspections.enums import InspectionTaskStatus  # noqa: PLC0415
    from inspections.models import InspectionTask  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    call_command("seed_demo", province=args.province, verbosity=0)
    bureau = Bureau.objects.get(code="province")
    ensure_published(bureau, args.results)
    draw = ensure_open_work(bureau)
    runner, approver = ensure_leads(bureau)
    inspector = ensure_inspector_user(bureau, draw)
    mine = InspectionTask.objects.filter(draw=draw, members__active=True, members__inspector__user=inspector)
    checked_in = mine.filter(status=InspectionTaskStatus.CHECKED_IN).order_by("number").first()
    counts = {
        status: InspectionTask.objects.filter(bureau=bureau, status=status).count()
        for status in InspectionTaskStatus.values
    }
    print(
        f"{connection.vendor}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; tasks of the bureau: "
        + ", ".join(f"{s} {n}" for s, n in counts.items() if n)
    )

    clients = {}
    for key, user in (("runner", runner), ("approver", approver), ("inspector", inspector)):
        client = Client()
        client.force_login(user)
        client.get(reverse("core:home"))  # the bureau chosen into the session
        clients[key] = client
    pages = {
        "bare view (1 query, no login)": ("runner", reverse("bench-bare")),
        "home-lead (to-do of a team lead)": ("approver", reverse("core:home")),
        "home-inspector": ("inspector", reverse("core:home")),
        "my tasks": ("inspector", reverse("inspections:my-tasks")),
        "task list (lead)": ("approver", reverse("inspections:task-list")),
        "task detail (team member)": ("inspector", reverse("inspections:task-detail", args=[checked_in.pk])),
        "result form": ("inspector", reverse("inspections:result", args=[checked_in.pk])),
        "draw detail (runner, with list)": ("runner", reverse("sampling:draw-detail", args=[draw.pk])),
    }
    if args.only:
        pages = {k: v for k, v in pages.items() if k.startswith("bare") or any(k.startswith(o) for o in args.only)}

    def get(key, url):
        response = clients[key].get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    if args.profile:
        import cProfile  # noqa: PLC0415
        import pstats  # noqa: PLC0415

        name = next(k for k in pages if k.startswith(args.profile))
        key, url = pages[name]
        get(key, url)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(50):
            get(key, url)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(
            os.environ.get("BENCH_FILTER", ""), 45
        )
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            get(key, url)
        for seconds, sql in queries.captured:
            print(f"{seconds * 1000:7.1f} ms  {sql[:300]}")
        return 0

    print(
        f"{'page':<36} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8} {'SQL ms':>8}"
        f"  target p50 ≤ {TARGET_MS} ms"
    )
    missed = []
    for name, (key, url) in pages.items():
        for _ in range(3):
            get(key, url)
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            get(key, url)
        times, cpu = [], []
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            get(key, url)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        verdict = "" if name.startswith("bare") else ("met" if p50 <= TARGET_MS else "MISSED")
        if verdict == "MISSED":
            missed.append(name)
        db = sum(seconds for seconds, _sql in queries.captured) * 1000
        print(
            f"{name:<36} {p50:8.1f} {p95:8.1f} {statistics.median(cpu):8.1f} {len(queries.captured):8d} {db:8.1f}"
            f"  {verdict}"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print("targets:", "met" if not missed else "MISSED (" + ", ".join(missed) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
