#!/usr/bin/env python3
"""Benchmark: the prebuilt open-data files — building them, and serving the whole file — beside bare baselines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ssj_bench_public \\
        .venv/bin/python bench/bench_open_data.py [--results 20000] [--province 60000] [--repeat 5]

Uses the data of bench/bench_public.py (a province whose draws end in N published results; made if
missing, kept between runs). Prints, in one run:
- the full build (no file yet: every group, CSV/JSON/.gz first, then .xlsx), and the rebuild after a change
  of this quarter (the whole files, the year's and the quarter's rebuilt; the others kept), each beside the
  bare SELECT of the same rows;
- the server time of a GET of the whole CSV file (``public:open-data-file``, the Django fallback: with
  ``OPEN_DATA_ACCEL_PREFIX`` nginx sends it) beside a GET of ``/healthz``, in-process (test client), median
  of ``--repeat`` × 20 requests.
Targets (issue 19): the whole file ≤ 50 ms of server time; rebuilt in ≤ 5 s for 20,000 rows.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _median(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=20_000)
    parser.add_argument("--province", type=int, default=60_000, help="enterprises in the province registry")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django  # noqa: PLC0415 - set up after the arguments are read

    django.setup()
    from django.conf import settings  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.test.utils import override_settings  # noqa: PLC0415
    from django.urls import reverse  # noqa: PLC0415

    from bench.public_data import ensure_published  # noqa: PLC0415
    from core.models import Bureau  # noqa: PLC0415
    from disclosure import opendata  # noqa: PLC0415
    from disclosure import public_queries as pq  # noqa: PLC0415
    from disclosure.exports import OPEN_DATA_FIELDS  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    call_command("seed_demo", province=args.province, verbosity=0)
    ensure_published(Bureau.objects.get(code="province"), args.results)

    def bare_select():
        return list(pq.filtered_results(pq.SearchParams()).order_by(*opendata.ORDER).values_list(*OPEN_DATA_FIELDS))

    rows = len(bare_select())
    print(f"{rows} published results, {connection.vendor}, {os.cpu_count()} CPUs")
    select = _median(bare_select, args.repeat)
    with (
        tempfile.TemporaryDirectory(prefix="ssj-bench-open-data-") as directory,
        override_settings(OPEN_DATA_ROOT=Path(directory), ALLOWED_HOSTS=["testserver"]),
    ):
        full = []
        for _ in range(max(1, args.repeat // 2)):
            for path in Path(directory).iterdir():
                path.unlink()
            start = time.perf_counter()
            manifest = opendata.build()
            full.append(time.perf_counter() - start)
        latest = max((name.split(".")[0] for name in manifest["files"] if name.count("-") == 2), default="results")
        year = latest.rsplit("-", 1)[0]
        changed = {"results", year, latest}  # a publication of the latest quarter changes these groups

        def rebuild():
            current = opendata.read_manifest()
            for name, entry in current["files"].items():
                if entry["group"] in changed and name.endswith(".csv"):
                    entry["sha256"] = "changed"
            opendata._write_manifest(Path(directory), current["built_at"], current["rows"], current["files"])
            opendata.build()

        full_phases = dict(opendata.last_timings)
        phases, cpu = [], []
        for _ in range(args.repeat):
            start_cpu = time.process_time()
            rebuild()
            cpu.append(time.process_time() - start_cpu)
            phases.append(dict(opendata.last_timings))
        incremental = statistics.median(p["total"] for p in phases)
        incremental_csv = statistics.median(p["csv_json"] for p in phases)
        size = manifest["files"]["results.csv"]["size"]
        client = Client()
        url = reverse("public:open-data-file", args=["results.csv"])

        def get_file():
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            for _chunk in response.streaming_content:
                pass

        def get_healthz():
            assert client.get("/healthz").status_code == 200

        get_file(), get_healthz()  # warm
        serve = statistics.median(_median(get_file, 20) for _ in range(args.repeat))
        healthz = statistics.median(_median(get_healthz, 20) for _ in range(args.repeat))

    print(f"bare SELECT of the rows:        {select * 1000:8.1f} ms")
    built = statistics.median(full)
    print(f"full build (30+ files):          {built * 1000:8.1f} ms  ({built / select:5.1f}× the SELECT)")
    print(f"   of which CSV/JSON ready after {full_phases['csv_json'] * 1000:8.1f} ms")
    print(f"rebuild after a change:          {incremental * 1000:8.1f} ms  ({incremental / select:5.1f}× the SELECT)")
    print(f"   of which CSV/JSON ready after {incremental_csv * 1000:8.1f} ms  (target ≤ 5000 ms; the .xlsx follow)")
    print(f"   CPU time of this process:     {statistics.median(cpu) * 1000:8.1f} ms  (PostgreSQL's not included)")
    phase = {key: statistics.median(p[key] for p in phases) for key in ("select", "lines", "csv_json", "total")}
    print(
        "   rebuild phases (median): SELECT {select:.0f} ms, values + CSV lines {lines:.0f} ms, CSV/JSON/.gz "
        "{csv:.0f} ms, .xlsx {xlsx:.0f} ms".format(
            select=phase["select"] * 1000,
            lines=(phase["lines"] - phase["select"]) * 1000,
            csv=(phase["csv_json"] - phase["lines"]) * 1000,
            xlsx=(phase["total"] - phase["csv_json"]) * 1000,
        )
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    print(f"GET /healthz (in-process):       {healthz * 1000:8.2f} ms")
    print(f"GET whole CSV ({size / 1e6:.1f} MB):       {serve * 1000:8.2f} ms  ({serve / healthz:5.1f}× /healthz)")
    print("                                   target ≤ 50 ms")
    print(
        "targets:",
        "met" if incremental <= 5 and serve <= 0.05 else "MISSED",
        f"({settings.DATABASES['default']['ENGINE']})",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
