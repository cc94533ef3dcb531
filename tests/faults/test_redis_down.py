"""Redis down (issue 7 §3): a page that hands work to a background job still saves it and shows it pending;
the job runs once Redis is back — exactly once."""

import os

import django_rq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rq import SimpleWorker

from core.enums import JobStatus
from core.excel import read_sheet
from core.imports import sheet_unpack
from core.jobs import requeue_jobs
from core.models import Job
from enterprises.models import Enterprise, EnterpriseImport
from enterprises.spreadsheet import HEADER
from tests.enterprises.conftest import row_for
from tests.factories import valid_uscc
from tests.spreadsheets import make_xlsx

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = [
    pytest.mark.skipif(not REDIS_URL and not os.environ.get("SSJ_REQUIRE_SERVICES"), reason="REDIS_URL not set"),
    pytest.mark.django_db(transaction=True),
]
DOWN = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 60}}


def test_an_import_submitted_while_redis_is_down_is_kept_and_runs_once_it_is_back(settings, client_for, carol, bureau):
    settings.JOBS_INLINE = False
    settings.IMPORT_INLINE_MAX_ROWS = 2  # three rows: a background job
    settings.RQ_QUEUES = DOWN
    names = ["雷达测试一号有限公司", "雷达测试二号有限公司", "雷达测试三号有限公司"]
    data = make_xlsx(HEADER, [row_for(valid_uscc(700 + i), name) for i, name in enumerate(names)])
    client = client_for(carol)
    upload = SimpleUploadedFile("名录.xlsx", data, content_type="application/octet-stream")
    response = client.post("/enterprises/import/", {"file": upload})

    job = Job.objects.get(kind="enterprises.import")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.PENDING
    assert sheet_unpack(EnterpriseImport.objects.get().sheet).rows == read_sheet(data, max_bytes=len(data)).rows  # kept
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "等待中" in page  # shown as pending
    assert 'hx-trigger="every 1s"' in page
    assert not Enterprise.objects.filter(name__in=names).exists()
    assert requeue_jobs() == 0  # still down: nothing lost, nothing run

    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/14", "DEFAULT_TIMEOUT": 60}}
    queue = django_rq.get_queue("default")
    queue.empty()
    assert requeue_jobs() == 1
    assert requeue_jobs() == 1  # handed over again: same RQ job id, still one in the queue
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert sorted(Enterprise.objects.filter(name__in=names).values_list("name", flat=True)) == sorted(names)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "hx-trigger" not in page
