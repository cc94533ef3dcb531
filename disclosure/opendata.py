"""The whole open data as prebuilt files: all years, each year and each quarter, as CSV, JSON and .xlsx.

Building the whole CSV on each request cost 9–11 s for 20,000 rows (half of the public site's worker time
on the busiest day), so the whole files are built once and served as files. :func:`build` reads every
published row in one query, groups it by year and by quarter and writes, per group, ``results[-YEAR[-qN]]``
``.csv``, ``.csv.gz``, ``.json``, ``.json.gz`` and ``.xlsx`` into ``settings.OPEN_DATA_ROOT``. Each file is
written under a temporary name in the same directory and renamed into place (``os.replace`` is atomic), so a
download never sees a partial file; ``manifest.json`` (written last, the same way) lists every file with its
size, time and SHA-256, and is what the open-data page shows and the file view serves from.

A group whose CSV bytes are unchanged since the manifest was written keeps its files (the CSV is cheap, the
.xlsx is not): a publication of this quarter rebuilds the whole files, this year's and this quarter's only.

When it runs: whenever the public site changes (:func:`core.public_cache.bump_public_version` calls
:func:`build_soon`, registered by ``DisclosureConfig.ready``), debounced — with RQ, one build job under a
fixed id, :data:`DEBOUNCE_SECONDS` later, however many changes come meanwhile; in the embedded setup (jobs
inline), a marker file says the files are stale and the next request of the open-data page or of a file
builds them (with RQ, such a request only makes sure a build is queued). Also nightly, with the
publication scan (``disclosure.schedule``), and by hand:
``manage.py build_open_data``.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import logging
import os
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from core.excel import write_xlsx_rows, xlsx_row

from . import public_queries as pq
from .exports import (
    CSV_HEAD,
    JSON_TAIL,
    OPEN_DATA_FIELDS,
    OPEN_DATA_HEADER,
    XLSX_TITLE,
    csv_line,
    json_head,
    json_line,
    open_data_values,
)

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
STALE_MARKER = ".stale"
LOCK_FILE = ".lock"
DEBOUNCE_SECONDS = 30
RQ_JOB_ID = "ssj-open-data-build"
FORMATS = ("csv", "csv.gz", "json", "json.gz", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv.gz": "application/gzip",
    "json.gz": "application/gzip",
}
ORDER = ("published_at", "id")
_YEAR = OPEN_DATA_FIELDS.index("year")
_QUARTER = OPEN_DATA_FIELDS.index("quarter")
LICENCE = "公开数据，可自由使用，请注明来源"
# Seconds of the last build of this process (for bench/bench_open_data.py): the read, the read plus the
# CSV/JSON files (when the changed data is downloadable), and everything with the .xlsx.
last_timings: dict[str, float] = {}


def root() -> Path:
    return Path(settings.OPEN_DATA_ROOT)


def file_format(name: str) -> str | None:
    for ext in sorted(FORMATS, key=len, reverse=True):
        if name.endswith("." + ext):
            return ext
    return None


def read_manifest() -> dict:
    """``{"built_at": iso, "files": {name: {"size", "sha256", "modified", "rows", "group"}}}`` (empty if none)."""
    try:
        with open(root() / MANIFEST, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {"built_at": None, "files": {}}


def manifest_stamp() -> int:
    """A number that changes whenever the files are rebuilt (the manifest's modification time in ns), 0 when
    there is none: part of the key of the public pages kept whole (``disclosure.middleware``), so the open-data
    page lists the new files as soon as a build renames its manifest into place."""
    try:
        return os.stat(root() / MANIFEST).st_mtime_ns
    except OSError:
        return 0


def is_stale() -> bool:
    return (root() / STALE_MARKER).exists() or not (root() / MANIFEST).exists()


def mark_stale() -> None:
    directory = root()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / STALE_MARKER).touch()


def _write_atomic(directory: Path, name: str, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, directory / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def _build_lock(directory: Path):
    """One build at a time per directory (across processes and hosts sharing it)."""
    with open(directory / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _groups(rows: list[tuple]) -> dict[str, list[tuple]]:
    groups: dict[str, list[tuple]] = defaultdict(list)
    groups["results"] = rows
    for row in rows:
        groups[f"results-{row[_YEAR]}"].append(row)
        groups[f"results-{row[_YEAR]}-q{row[_QUARTER]}"].append(row)
    return groups


def group_filters(group: str) -> dict:
    """The search filters a group's rows answer: ``results-2026-q3`` → ``{"year": 2026, "quarter": 3}``."""
    parts = group.split("-")[1:]
    filters = {"year": int(parts[0])} if parts else {}
    if len(parts) > 1:
        filters["quarter"] = int(parts[1][1:])
    return filters


def _meta(group: str, built_at: str) -> dict:
    """The JSON file's meta: the same as a download filtered on the group's year and quarter."""
    return {
        "title": "双随机抽查结果公示",
        "generated_at": built_at,
        "filters": group_filters(group),
        "licence": LICENCE,
    }


def _entry(directory: Path, name: str, data: bytes, group: str, rows: int) -> dict:
    _write_atomic(directory, name, data)
    return {
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "modified": datetime.fromtimestamp((directory / name).stat().st_mtime, tz=UTC).isoformat(),
        "rows": rows,
        "group": group,
    }


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def _write_manifest(directory: Path, built_at: str, rows: int, files: dict) -> dict:
    manifest = {"built_at": built_at, "rows": rows, "files": dict(sorted(files.items()))}
    _write_atomic(directory, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    return manifest


def build() -> dict:
    """Build every file that changed and the manifest; remove files of groups that no longer exist.

    Two steps, each ending with the manifest written: first the CSV and JSON files (and their .gz) of every
    group whose rows changed, then their .xlsx (the sheet XML written directly by
    :func:`core.excel.write_xlsx_rows`, each row's XML made once for its three files; openpyxl wrote ~2,000
    rows a second here; until the new .xlsx is renamed into place, the previous one stays listed and served).
    Returns the final manifest.
    Safe to run twice at once (the second waits for the first's lock).
    """
    directory = root()
    directory.mkdir(parents=True, exist_ok=True)
    with _build_lock(directory):
        # Cleared before reading: a change committed while this build reads marks the files stale again.
        (directory / STALE_MARKER).unlink(missing_ok=True)
        started = time.perf_counter()
        rows = list(pq.filtered_results(pq.SearchParams()).order_by(*ORDER).values_list(*OPEN_DATA_FIELDS))
        last_timings["select"] = time.perf_counter() - started
        old = read_manifest()["files"]
        built_at = timezone.localtime().isoformat(timespec="seconds")
        files: dict[str, dict] = {}
        changed: list[tuple[str, list[tuple]]] = []
        # Each row is in three groups (all, its year, its quarter): its values and CSV line are made once,
        # its JSON record and its sheet XML once too, when a group of it changed.
        values_of = {id(row): open_data_values(row) for row in rows}
        lines = {key: csv_line(values) for key, values in values_of.items()}
        records_of: dict[int, str] = {}
        last_timings["lines"] = time.perf_counter() - started
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="open-data-gzip") as helper:
            for group, group_rows in _groups(rows).items():
                csv_bytes = (CSV_HEAD + "".join([lines[id(row)] for row in group_rows])).encode("utf-8")
                names = [f"{group}.{ext}" for ext in FORMATS]
                previous = old.get(f"{group}.csv")
                if (
                    previous
                    and previous["sha256"] == hashlib.sha256(csv_bytes).hexdigest()
                    and all(name in old and (directory / name).exists() for name in names)
                ):
                    files.update({name: old[name] for name in names})
                    continue
                # zlib lets go of the GIL: the CSV is compressed on the other CPU while the JSON is made here.
                csv_gz = helper.submit(_gzip, csv_bytes)
                for row in group_rows:
                    if id(row) not in records_of:
                        records_of[id(row)] = json_line(values_of[id(row)])
                records = ",\n".join([records_of[id(row)] for row in group_rows])
                json_bytes = (json_head(_meta(group, built_at)) + records + JSON_TAIL).encode("utf-8")
                json_gz = _gzip(json_bytes)
                contents = {"csv": csv_bytes, "csv.gz": csv_gz.result(), "json": json_bytes, "json.gz": json_gz}
                for ext, data in contents.items():
                    files[f"{group}.{ext}"] = _entry(directory, f"{group}.{ext}", data, group, len(group_rows))
                if f"{group}.xlsx" in old and (directory / f"{group}.xlsx").exists():
                    files[f"{group}.xlsx"] = old[f"{group}.xlsx"]  # served until the new one is in place
                changed.append((group, group_rows))
        if changed:
            _write_manifest(directory, built_at, len(rows), files)
        last_timings["csv_json"] = time.perf_counter() - started
        sheet_rows: dict[int, tuple[str, ...]] = {}
        cells: dict = {}  # the XML of each text or date value, once (names repeat on every row)
        for group, group_rows in changed:
            for row in group_rows:
                if id(row) not in sheet_rows:
                    sheet_rows[id(row)] = xlsx_row(values_of[id(row)], cache=cells)
            data = write_xlsx_rows(OPEN_DATA_HEADER, [sheet_rows[id(row)] for row in group_rows], title=XLSX_TITLE)
            files[f"{group}.xlsx"] = _entry(directory, f"{group}.xlsx", data, group, len(group_rows))
        manifest = _write_manifest(directory, built_at, len(rows), files)
        last_timings["total"] = time.perf_counter() - started
        last_timings["groups_rebuilt"] = len(changed)
        for path in directory.iterdir():
            if path.name.startswith("results") and path.name not in files:
                path.unlink(missing_ok=True)
        return manifest


def ensure_fresh() -> None:
    """Called by the open-data views. Jobs inline (the embedded setup): build now if stale. With RQ: if stale,
    make sure a build is on its way (a change made while Redis was unavailable, or a first deployment)."""
    if not is_stale():
        return
    if settings.JOBS_INLINE:
        build()
    else:
        build_soon()


def build_soon() -> None:
    """Called after every change of what the public site shows (debounced: one build for a burst)."""
    mark_stale()
    if settings.JOBS_INLINE:
        return  # the next request of the open data builds them
    try:
        import django_rq  # noqa: PLC0415 - only with Redis configured
        from redis.exceptions import RedisError  # noqa: PLC0415

        queue = django_rq.get_queue("default")
        try:
            existing = queue.fetch_job(RQ_JOB_ID)
            status = existing.get_status(refresh=False) if existing is not None else None
            if status in ("scheduled", "queued", "deferred"):
                return  # a build is already on its way and will read this change
            if existing is not None and status != "started":
                existing.delete()
            queue.enqueue_in(
                timedelta(seconds=DEBOUNCE_SECONDS),
                "disclosure.opendata.build",
                # while a build runs (it may have read the rows before this change), one more after it
                job_id=None if status == "started" else RQ_JOB_ID,
                description="open data files",
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
            )
        except RedisError as exc:
            logger.warning("open data build not queued (the nightly build or the next change will): %s", exc)
    except ImportError:  # pragma: no cover - django_rq is a dependency
        logger.warning("django_rq missing: open data files are built nightly only")
