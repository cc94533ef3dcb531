"""The whole open data as prebuilt files: what is built, how it is replaced, and how it is served."""

import csv
import gzip
import hashlib
import io
import json
import os
from datetime import datetime, timedelta

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.http import http_date

from core.enums import Role
from core.public_cache import bump_public_version
from disclosure import opendata
from inspections.models import Publication
from tests.conftest import _member
from tests.inspections.factories import DrawFactory

from .world import make_publications

pytestmark = pytest.mark.django_db

GROUPS = ["results", "results-2025", "results-2025-q2", "results-2026", "results-2026-q3", "results-2026-q4"]
FORMATS = ["csv", "csv.gz", "json", "json.gz", "xlsx"]


@pytest.fixture
def lead(bureau):
    return _member("lead", bureau, Role.TEAM_LEAD)


def _draw(bureau, lead, year, quarter):
    return DrawFactory(task__plan__bureau=bureau, created_by=lead, year=year, quarter=quarter)


@pytest.fixture
def pubs(bureau, lead):
    """Four results: 2025 Q2 (one), 2026 Q3 (one), 2026 Q4 (two), published in that order."""
    return [
        *make_publications(bureau, lead, ["甲公司"], draw=_draw(bureau, lead, 2025, 2), quarter=2),
        *make_publications(bureau, lead, ["乙公司"], draw=_draw(bureau, lead, 2026, 3), quarter=3),
        *make_publications(bureau, lead, ["丙公司", "丁公司"], draw=_draw(bureau, lead, 2026, 4)),
    ]


def _csv_names(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8")[1:])))
    return [row[1] for row in rows[1:]]


def _read(name: str) -> bytes:
    return (opendata.root() / name).read_bytes()


def test_build_writes_every_group_in_every_format(pubs):
    manifest = opendata.build()
    assert sorted(manifest["files"]) == sorted(f"{g}.{ext}" for g in GROUPS for ext in FORMATS)
    assert manifest["rows"] == 4
    assert _csv_names(_read("results.csv")) == ["甲公司", "乙公司", "丙公司", "丁公司"]
    assert _csv_names(_read("results-2026.csv")) == ["乙公司", "丙公司", "丁公司"]
    assert _csv_names(_read("results-2026-q4.csv")) == ["丙公司", "丁公司"]
    assert _csv_names(_read("results-2025-q2.csv")) == ["甲公司"]
    assert gzip.decompress(_read("results-2026.csv.gz")) == _read("results-2026.csv")
    data = json.loads(gzip.decompress(_read("results-2026-q3.json.gz")))
    assert data["meta"]["filters"] == {"year": 2026, "quarter": 3}
    assert [r["enterprise"] for r in data["results"]] == ["乙公司"]
    book = openpyxl.load_workbook(io.BytesIO(_read("results-2025.xlsx")), read_only=True)
    assert [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)] == ["甲公司"]
    for name, entry in manifest["files"].items():
        content = _read(name)
        assert entry["size"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()

    assert json.loads(_read("manifest.json")) == manifest
    assert not [p.name for p in opendata.root().iterdir() if p.name.endswith(".tmp")]


def test_a_reader_of_the_old_file_never_sees_a_partial_new_one(pubs, bureau, lead):
    opendata.build()
    with open(opendata.root() / "results.csv", "rb") as old:  # a download in progress
        make_publications(bureau, lead, ["戊公司"], draw=_draw(bureau, lead, 2026, 4))
        opendata.build()
        assert _csv_names(old.read()) == ["甲公司", "乙公司", "丙公司", "丁公司"]  # the whole old file
    assert _csv_names(_read("results.csv")) == ["甲公司", "乙公司", "丙公司", "丁公司", "戊公司"]


def test_groups_whose_rows_did_not_change_keep_their_files(pubs, bureau, lead):
    first = opendata.build()
    inode = {name: os.stat(opendata.root() / name).st_ino for name in first["files"]}
    make_publications(bureau, lead, ["戊公司"], draw=_draw(bureau, lead, 2026, 4))
    second = opendata.build()
    rewritten = sorted(name for name in second["files"] if os.stat(opendata.root() / name).st_ino != inode[name])
    assert rewritten == sorted(f"{g}.{ext}" for g in ("results", "results-2026", "results-2026-q4") for ext in FORMATS)
    assert second["files"]["results-2025.xlsx"] == first["files"]["results-2025.xlsx"]


def test_files_of_a_group_that_no_longer_exists_are_removed(pubs):
    opendata.build()
    Publication.objects.filter(year=2025).delete()
    manifest = opendata.build()
    assert not [name for name in manifest["files"] if "2025" in name]
    assert not [p.name for p in opendata.root().iterdir() if "2025" in p.name]


def test_the_command_builds_them(pubs, capsys):
    call_command("build_open_data")
    assert "4 published results, 30 files" in capsys.readouterr().out
    assert (opendata.root() / "results-2026-q4.json").exists()


# --- served as static files ---------------------------------------------------------------------------


def _url(name):
    return reverse("public:open-data-file", args=[name])


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def built(pubs):
    return opendata.build()


def test_a_file_is_served_whole_with_its_validators(built):
    response = Client().get(_url("results.csv"))
    assert response.status_code == 200
    assert _body(response) == _read("results.csv")
    assert response["ETag"] == f'"{built["files"]["results.csv"]["sha256"]}"'
    assert response["Last-Modified"] == http_date(int(os.stat(opendata.root() / "results.csv").st_mtime))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(_read("results.csv")))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="results.csv"'
    gz = Client().get(_url("results.json.gz"))
    assert gz["Content-Type"] == "application/gzip" and "Content-Encoding" not in gz
    assert gzip.decompress(_body(gz)) == _read("results.json")


def test_a_client_that_has_the_file_gets_304(built):
    etag = f'"{built["files"]["results.xlsx"]["sha256"]}"'
    assert Client().get(_url("results.xlsx"), headers={"if-none-match": etag}).status_code == 304
    since = http_date(int(os.stat(opendata.root() / "results.xlsx").st_mtime))
    assert Client().get(_url("results.xlsx"), headers={"if-modified-since": since}).status_code == 304
    assert Client().get(_url("results.xlsx"), headers={"if-none-match": '"other"'}).status_code == 200


def test_a_broken_download_resumes_with_a_range(built):
    whole = _read("results.json")
    size = len(whole)
    first = Client().get(_url("results.json"), headers={"range": "bytes=0-9"})
    assert first.status_code == 206
    assert first["Content-Range"] == f"bytes 0-9/{size}"
    assert _body(first) == whole[:10]
    rest = Client().get(_url("results.json"), headers={"range": "bytes=10-"})
    assert rest.status_code == 206 and _body(rest) == whole[10:]
    tail = Client().get(_url("results.json"), headers={"range": "bytes=-5"})
    assert tail["Content-Range"] == f"bytes {size - 5}-{size - 1}/{size}" and _body(tail) == whole[-5:]
    beyond = Client().get(_url("results.json"), headers={"range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"
    several = Client().get(_url("results.json"), headers={"range": "bytes=0-1,5-6"})
    assert several.status_code == 200 and _body(several) == whole  # several ranges: the whole file
    stale_copy = Client().get(_url("results.json"), headers={"range": "bytes=0-9", "if-range": '"old"'})
    assert stale_copy.status_code == 200 and _body(stale_copy) == whole  # the client's copy changed


def test_only_the_files_of_the_manifest_are_served(built):
    for name in ("manifest.json", ".lock", "..%2Fmanifest.json", "results.txt", "results-1999.csv"):
        assert Client().get(f"/public/data/files/{name}").status_code == 404


def test_nginx_sends_the_file_when_configured(built, settings):
    settings.OPEN_DATA_ACCEL_PREFIX = "/_open-data/"
    response = Client().get(_url("results-2026.csv"))
    assert response["X-Accel-Redirect"] == "/_open-data/results-2026.csv"
    assert response.content == b""


def test_whole_downloads_redirect_to_the_files_and_a_selection_streams(built):
    cases = {
        (): "results.csv",
        (("year", 2026),): "results-2026.csv",
        (("year", 2026), ("quarter", 4)): "results-2026-q4.csv",
    }
    for params, name in cases.items():
        response = Client().get(reverse("public:results-csv"), dict(params))
        assert response.status_code == 302 and response["Location"] == _url(name)
    selection = Client().get(reverse("public:results-csv"), {"quarter": 3})  # every year's third quarter
    assert selection.status_code == 200 and _csv_names(_body(selection)) == ["乙公司"]


# --- when they are built ------------------------------------------------------------------------------


def test_the_embedded_setup_rebuilds_on_the_next_request_after_a_change(
    built, bureau, lead, django_capture_on_commit_callbacks, settings
):
    settings.JOBS_INLINE = True
    assert not opendata.is_stale()
    with django_capture_on_commit_callbacks(execute=True):  # the publication bumps the public version
        make_publications(bureau, lead, ["戊公司"], draw=_draw(bureau, lead, 2026, 4))
    assert opendata.is_stale()
    page = Client().get(reverse("public:open-data")).content.decode()
    assert not opendata.is_stale()
    assert _csv_names(_read("results.csv"))[-1] == "戊公司"
    assert f'href="{_url("results-2026-q4.xlsx")}"' in page
    assert opendata.read_manifest()["files"]["results.csv"]["sha256"] in page


def test_the_page_lists_every_file_with_size_date_and_digest(built, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        page = Client().get(reverse("public:open-data")).content.decode()
    for name, entry in built["files"].items():
        assert f'href="{_url(name)}"' in page
        assert entry["sha256"] in page
    assert "全部年度" in page and "2026年第4季度" in page and "2025年" in page
    assert page.index("全部年度") < page.index("2026年") < page.index("2025年")


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (RQ)")
def test_with_rq_a_burst_of_changes_schedules_one_build(built, settings):
    import django_rq

    settings.JOBS_INLINE = False
    queue = django_rq.get_queue("default")
    old = queue.fetch_job(opendata.RQ_JOB_ID)
    if old is not None:
        old.delete()
    before = datetime.now().astimezone()
    for _ in range(5):
        bump_public_version()
    registry = queue.scheduled_job_registry
    ids = [job_id for job_id in registry.get_job_ids() if "open-data" in job_id]
    assert ids == [opendata.RQ_JOB_ID]
    at = registry.get_scheduled_time(opendata.RQ_JOB_ID)
    assert timedelta(seconds=25) <= at - before <= timedelta(seconds=40)
    job = queue.fetch_job(opendata.RQ_JOB_ID)
    assert job.func_name == "disclosure.opendata.build"
    job.perform()  # what the worker runs: the files are rebuilt and no longer stale
    assert not opendata.is_stale()
    job.delete()
