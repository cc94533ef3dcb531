#!/usr/bin/env python3
"""Benchmark: import N enterprise rows from an .xlsx through the same service the web page uses.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ssj_bench python bench/bench_import.py [--rows 50000]

Migrates the database first (so an empty database works), creates a scratch bureau, writes an .xlsx of
N valid rows (openpyxl write-only; not timed), then times reading + checking + writing with
``enterprises.services.enterprises_import`` and prints rows per second. Without DATABASE_URL it uses a
throw-away SQLite file, never the development database. Run it again to time an update of every row
(``--update``: the same USCCs, a changed phone number).
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
    os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="ssj-bench-")) / "bench.sqlite3")


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist yet (a fresh machine)."""
    from urllib.parse import urlsplit, urlunsplit  # noqa: PLC0415 - only for PostgreSQL URLs

    import psycopg  # noqa: PLC0415
    from psycopg import sql  # noqa: PLC0415

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402 - after the environment above

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from stdnum.cn import uscc as uscc_std  # noqa: E402

from core.models import Bureau  # noqa: E402
from enterprises.models import Division, Industry  # noqa: E402
from enterprises.services import enterprises_import  # noqa: E402
from enterprises.spreadsheet import HEADER  # noqa: E402


def server_cpu_seconds() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, when it runs on this machine."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def build_xlsx(rows: int, *, seed: int, phone_suffix: str = "") -> bytes:
    rng = random.Random(seed)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    towns = list(Division.objects.filter(code__regex=r"^[0-9]{9}$").values_list("code", flat=True))
    classes = list(Industry.objects.filter(code__regex=r"^[0-9]{4}$").values_list("code", flat=True))
    tiers = ["一般"] * 8 + ["重点", "特殊"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("检查对象名录库")
    sheet.append(HEADER)
    used = set()
    index = {title: i for i, title in enumerate(HEADER)}
    for n in range(rows):
        while True:
            body = "91411003" + "".join(rng.choice(alphabet) for _ in range(9))
            code = body + uscc_std.calc_check_digit(body)
            if code not in used:
                used.add(code)
                break
        row = [None] * len(HEADER)  # a spreadsheet program stores no empty cells
        values = {
            "企业名称": f"许昌基准测试{n + 1}号有限公司",
            "统一社会信用代码": code,
            "单位地址": f"许昌市建安区测试路{n % 300 + 1}号",
            "单位电话": f"0374-{3000000 + n % 5000000}{phone_suffix}",
            "法定代表人": "张三",
            "联系人": "李四",
            "联系人电话": f"138{n:08d}",
            "环保负责人": "王五",
            "行政区划代码": rng.choice(towns),
            "所属机关": "许昌市生态环境局建安分局",
            "所属流域": rng.choice(["清潩河", "颍河", "小洪河"]),
            "经度": round(113.7 + rng.random() * 0.35, 6),
            "纬度": round(33.95 + rng.random() * 0.25, 6),
            "行业代码": rng.choice(classes),
            "污染类型": rng.choice(["废水、废气", "废气", "噪声、固废", None]),
            "投产时间": f"{rng.randint(1995, 2024)}-{rng.randint(1, 12):02d}-01",
            "产品及生产规模": f"年产{rng.randint(1, 500) * 100}吨",
            "排污许可类别": rng.choice(["重点管理", "简化管理", "登记管理", "无"]),
            "企业分类": rng.choice(tiers),
            "运行状态": "正常生产",
            "建设状态": "已投产",
            "生产规模": rng.choice(["大型", "中型", "小型", "微型"]),
            "生产周期": "连续生产",
            "监控类型": rng.choice(["自动监控", "手工监测", "无"]),
            "绩效分级": rng.choice(["A", "B", "C", "D", "未分级"]),
            "信用评价": rng.choice(["环保诚信", "良好", "警示", "未评价"]),
            "正面清单": "否",
        }
        for title, value in values.items():
            row[index[title]] = value
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--update", action="store_true", help="also time re-importing the file with changes")
    parser.add_argument("--profile", action="store_true", help="print the 25 most expensive functions")
    parser.add_argument(
        "--cache", metavar="DIR", help="keep the generated workbooks in DIR and reuse them on the next run (not timed)"
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    stamp = time.strftime("%Y%m%d%H%M%S")
    bureau = Bureau.objects.create(
        code=f"bench-{stamp}-{os.getpid()}",
        name=f"基准测试分局 {stamp}-{os.getpid()}",
        short_name="基准",
        division_code="411003",
    )
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}; scratch bureau {bureau.code}")

    def workbook(phone_suffix: str = "") -> bytes:
        cached = Path(args.cache) / f"bench-import-{args.rows}{phone_suffix}.xlsx" if args.cache else None
        if cached is not None and cached.exists():
            return cached.read_bytes()
        payload = build_xlsx(args.rows, seed=args.rows, phone_suffix=phone_suffix)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(payload)
        return payload

    started = time.perf_counter()
    data = workbook()
    print(f"generated {args.rows} rows ({len(data) / 1048576:.1f} MB) in {time.perf_counter() - started:.1f} s")

    def timed(label: str, payload: bytes):
        phases = []

        def progress(percent, message):
            phases.append((time.perf_counter(), percent, message))

        profiler = None
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
        load_before = os.getloadavg()[0]
        server_start = server_cpu_seconds()
        cpu_start = time.process_time()
        start = time.perf_counter()
        result = enterprises_import(
            actor="bench", bureau=bureau, data=payload, filename=f"bench-{label}.xlsx", progress=progress
        )
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        server_end = server_cpu_seconds()
        server = f"{server_end - server_start:.2f} s" if server_start is not None and server_end is not None else "?"
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        if not result.ok:
            sys.exit(f"import failed: {result.errors[:5]}")
        previous = start
        for moment, percent, message in phases:
            if percent in (2, 70, 80):
                print(f"  {moment - previous:6.2f} s until: {message}")
                previous = moment
        print(f"  {start + elapsed - previous:6.2f} s writing and committing")
        print(
            f"{label}: {result.rows} rows ({result.created} created, {result.updated} updated) in {elapsed:.2f} s "
            f"= {result.rows / elapsed:,.0f} rows/s"
        )
        print(
            f"  CPU used: {cpu:.2f} s by this process, {server} by its PostgreSQL backend "
            f"(= {result.rows / (cpu + (server_end - server_start if server_end is not None else 0)):,.0f} rows per "
            f"CPU-second); load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on "
            f"{os.cpu_count()} CPUs (other work on the machine slows the wall-clock figure down)"
        )
        return result

    timed("create", data)
    if args.update:
        timed("update", workbook(phone_suffix="8"))


if __name__ == "__main__":
    main()
