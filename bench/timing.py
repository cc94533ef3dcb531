"""Where a request's time goes, per request, in the benchmark server (``bench_load.py --timing``).

With ``BENCH_TIMING_FILE`` set, ``bench/settings.py`` puts :class:`TimingMiddleware` outermost; each request
then appends one tab-separated line to that file: the wall clock at its end (``time.time()``), the path, and
milliseconds of: wall time in Django, CPU time of its thread (``time.thread_time``), time in the Redis cache
(``core.redis_cache.RedisCache._call``: wall, and the thread's CPU in it), time in SQL (Django's
``execute_wrapper``: wall, and CPU), time taking a connection from the psycopg pool (``get_new_connection``),
and the counts of cache calls and queries. What is neither CPU nor a wait for Redis, PostgreSQL or the pool
is time the thread was ready but did not run: waiting for the GIL (other threads of its process) or for a
CPU (other processes).

Nothing of this is loaded outside the benchmark (only ``bench.settings`` names it).
"""

import os
import threading
import time

from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper

from core.redis_cache import RedisCache

_local = threading.local()
_write_lock = threading.Lock()
_out = {}  # "file": this process's handle on BENCH_TIMING_FILE, opened at the first request


def _account(name: str, wall: float, cpu: float) -> None:
    counters = getattr(_local, "counters", None)
    if counters is not None:
        counters[name][0] += wall
        counters[name][1] += cpu
        counters[name][2] += 1


_redis_call = RedisCache._call


def _timed_redis_call(self, name, fallback, *args):
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        return _redis_call(self, name, fallback, *args)
    finally:
        _account("redis", time.perf_counter() - wall, time.thread_time() - cpu)


RedisCache._call = _timed_redis_call

_get_new_connection = DatabaseWrapper.get_new_connection


def _timed_get_new_connection(self, conn_params):
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        return _get_new_connection(self, conn_params)
    finally:
        _account("pool", time.perf_counter() - wall, time.thread_time() - cpu)


DatabaseWrapper.get_new_connection = _timed_get_new_connection


def _sql(execute, sql, params, many, context):
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        return execute(sql, params, many, context)
    finally:
        _account("sql", time.perf_counter() - wall, time.thread_time() - cpu)


def _write(line: str) -> None:
    with _write_lock:
        if "file" not in _out:
            _out["file"] = open(os.environ["BENCH_TIMING_FILE"], "a", buffering=1, encoding="utf-8")  # noqa: SIM115
        _out["file"].write(line)


class TimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _local.counters = {name: [0.0, 0.0, 0] for name in ("redis", "sql", "pool")}
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            with connection.execute_wrapper(_sql):
                return self.get_response(request)
        finally:
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            c = _local.counters
            _local.counters = None
            values = [wall, cpu, c["redis"][0], c["redis"][1], c["sql"][0], c["sql"][1], c["pool"][0]]
            _write(
                f"{time.time():.6f}\t{request.get_full_path()}\t"
                + "\t".join(f"{v * 1000:.3f}" for v in values)
                + f"\t{c['redis'][2]}\t{c['sql'][2]}\t{os.getpid()}\n"
            )
