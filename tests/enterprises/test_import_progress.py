"""Issue 17 item 8: the job page of a 50,000-row enterprise import shows its progress while a real RQ worker
(another process) imports the file, then a clear final state; and the final states of a failed job."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import django_rq
import pytest
from django.db import connection
from django.urls import reverse

from core.enums import JobStatus
from core.models import Job
from enterprises.models import Enterprise
from enterprises.spreadsheet import HEADER
from tests.enterprises.conftest import row_for
from tests.factories import valid_uscc
from tests.spreadsheets import make_xlsx

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL")
ROWS = 50_000
PROGRESS = re.compile(r'<progress id="job-progress" value="(\d+)"')
STATUS = re.compile(r'data-status="(\w+)"')


def distinct_usccs(count: int) -> list[str]:
    found, n = {}, 0
    while len(found) < count:
        found.setdefault(valid_uscc(100_000 + n), None)
        n += 1
    return list(found)


def upload(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def worker_env() -> dict:
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["REDIS_URL"] = REDIS_URL
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@pytest.mark.skipif(
    not os.environ.get("SSJ_REQUIRE_SERVICES") and (not REDIS_URL or not os.environ.get("DATABASE_URL")),
    reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
)
@pytest.mark.django_db(transaction=True)
def test_a_50000_row_import_shows_its_progress_then_its_counts(client_for, carol, bureau, settings):
    settings.JOBS_INLINE = False
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 1800}}
    queue = django_rq.get_queue("default")
    queue.empty()
    rows = [row_for(uscc, f"进度测试{n}号有限公司") for n, uscc in enumerate(distinct_usccs(ROWS))]
    client = client_for(carol)
    response = client.post(reverse("enterprises:import"), {"file": upload(make_xlsx(HEADER, rows), "五万行.xlsx")})
    job = Job.objects.get(kind="enterprises.import")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert PROGRESS.search(page).group(1) == "0" and 'hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page  # without JavaScript too
    worker = subprocess.Popen([sys.executable, "-m", "tests.faults.worker", "--burst"], cwd=ROOT, env=worker_env())
    seen, status, deadline = [], "pending", time.monotonic() + 900
    try:
        while status in ("pending", "running") and time.monotonic() < deadline:
            page = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
            status = STATUS.search(page).group(1)
            found = PROGRESS.search(page)
            if found and (not seen or int(found.group(1)) != seen[-1]):
                seen.append(int(found.group(1)))
            time.sleep(0.1)
        worker.wait(120)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert status == "done", seen
    assert seen == sorted(seen), f"progress went back: {seen}"
    between = [value for value in seen if 0 < value < 100]
    assert len(between) >= 4, f"too few progress values observed: {seen}"  # reading, rows checked…, writing
    assert max(between) >= 65
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-status="done"' in page and "hx-trigger" not in page and "<noscript><meta" not in page
    assert '<span class="badge badge-ok">已完成</span>' in page
    assert f"已导入 {ROWS} 行：新增 {ROWS} 家，更新 0 家，未变 0 家。" in page
    assert Enterprise.objects.filter(bureau=bureau).count() == ROWS


@pytest.fixture
def inline(settings):
    settings.JOBS_INLINE = True
    settings.IMPORT_INLINE_MAX_ROWS = 2


def test_an_import_with_errors_ends_with_each_row_and_message(
    inline, client_for, carol, django_capture_on_commit_callbacks
):
    rows = [row_for(valid_uscc(700 + n), f"错误测试{n}号有限公司") for n in range(5)]
    rows[3] = row_for(valid_uscc(703), "错误测试3号有限公司", 企业分类="一般")  # spreadsheet row 5
    rows[4] = row_for(valid_uscc(700), "错误测试4号有限公司")  # row 6: the USCC of row 2 again
    client = client_for(carol)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enterprises:import"), {"file": upload(make_xlsx(HEADER, rows), "有错.xlsx")})
    job = Job.objects.get()
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-status="done"' in page and "<progress" not in page
    assert '<span class="badge badge-bad">发现错误：未做任何更改</span>' in page
    assert "未导入任何数据：发现 2 个错误。请改正后重新上传文件。" in page
    cells = re.findall(r"<tr><td class=\"nowrap\">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    assert [(row, column) for row, column, _message in cells] == [("5", "企业分类"), ("6", "统一社会信用代码")]
    assert cells[1][2] == f"统一社会信用代码 {valid_uscc(700)} 已在第 2 行出现。"
    assert not Enterprise.objects.exists()


def test_a_failed_job_shows_its_message_and_where_it_stopped(client_for, carol, bureau):
    job = Job.objects.create(
        kind="enterprises.import",
        bureau=bureau,
        status=JobStatus.FAILED,
        progress=80,
        message="正在写入…",
        error="IntegrityError…",
        result={"failure": "导入期间名录发生了变化，未导入任何数据；请重新上传文件。"},
    )
    page = client_for(carol).get(f"/jobs/{job.pk}/").content.decode()
    assert '<span class="badge badge-bad">失败</span>' in page
    assert "导入期间名录发生了变化，未导入任何数据；请重新上传文件。" in page
    assert "最后一步：正在写入… · 停在 80%" in page
    assert "hx-trigger" not in page and "IntegrityError" not in page
    Job.objects.filter(pk=job.pk).update(result={})
    page = client_for(carol).get(f"/jobs/{job.pk}/").content.decode()
    assert "任务失败，未做任何更改；错误已记录。" in page
