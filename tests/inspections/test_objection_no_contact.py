"""Issue 16 item 5: an enterprise without a registered contact objects online with the token alone (the notice
is handed to it); the filing attempts are limited per token and per client address, and a refused attempt
writes nothing. The clock stands still on the publication day, 2026-09-21 (see test_objections.py for the
working days: filing closes 2026-10-19, the token's last day is 2026-11-09, a decision is due 2026-10-12)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.signing import Signer
from django.test import Client

from core.models import AuditEntry
from enterprises.models import Enterprise
from inspections import objections, publication
from inspections.models import EnterpriseCode, Objection, ObjectionFile, Publication
from inspections.tokens import make_objection_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM = {"filed_by_name": "周经理", "text": "检查当日企业已提交监测报告，结果有误。"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 9, 21, 10, 0, tzinfo=SHANGHAI), tick=False) as traveller:
        yield traveller


@pytest.fixture
def published(approved, alice):
    """The published result of an enterprise whose contact was since removed from the registry."""
    Enterprise.objects.filter(pk=approved.task.enterprise_id).update(contact_email="", contact_phone="")
    return publication.publication_publish(actor=alice, task=approved.task)


@pytest.fixture
def url(published):
    return f"/o/{make_objection_token(published.task)}/"


def written(task):
    return (
        Objection.objects.filter(task=task).count(),
        ObjectionFile.objects.count(),
        AuditEntry.objects.count(),
        Publication.objects.filter(task=task).values_list("objection", flat=True).first(),
        EnterpriseCode.objects.count(),
    )


def test_the_page_offers_the_form_without_a_code(client, url):
    page = client.get(url).content.decode()
    assert 'id="no-contact"' in page
    assert 'id="file-objection"' in page
    assert 'name="code"' not in page
    assert 'id="send-objection-code"' not in page


def test_the_enterprise_files_with_the_token_alone(client, published, url):
    task = published.task
    response = client.post(url + "file/", FORM)
    assert response.status_code == 302
    objection = Objection.objects.get(task=task)
    assert (objection.status, objection.filed_by_name, objection.due_on) == ("open", "周经理", date(2026, 10, 12))
    assert Publication.objects.get(task=task).objection == "open"
    entry = AuditEntry.objects.get(action="inspections.objection_filed")
    assert (entry.data["code"], entry.data["ip"], entry.data["filed_by"]) == ("none", "127.0.0.1", "周经理")
    assert not EnterpriseCode.objects.filter(purpose="objection").exists()  # no code was sent nor asked for


def test_the_service_files_without_a_code(published):
    objection = objections.objection_file(task=published.task, text="结果有误。", filed_by_name="周经理")
    assert objection.due_on == date(2026, 10, 12)


def test_a_reused_token_is_refused_and_writes_nothing(client, published, url):
    assert client.post(url + "file/", FORM).status_code == 302
    before = written(published.task)
    response = client.post(url + "file/", {**FORM, "text": "再次异议"})
    assert response.status_code == 409
    assert "2026-09-21" in response.content.decode()
    assert written(published.task) == before


@pytest.mark.parametrize("kind", ["forged", "unknown-task", "truncated"])
def test_a_forged_token_is_refused_and_writes_nothing(client, published, kind):
    task = published.task
    token = {
        "forged": Signer(salt="inspections.objection", key="not-the-secret-key").sign_object({"t": task.pk}),
        "unknown-task": Signer(salt="inspections.objection").sign_object({"t": 999999}),
        "truncated": make_objection_token(task)[:-3],
    }[kind]
    before = written(task)
    assert client.post(f"/o/{token}/file/", FORM).status_code == 400
    assert written(task) == before


def test_an_expired_token_is_refused_and_writes_nothing(client, published, url, clock):
    clock.move_to(datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI))
    before = written(published.task)
    response = client.post(url + "file/", FORM)
    assert response.status_code == 410
    assert "2026-11-09" in response.content.decode()
    assert written(published.task) == before


def test_filing_attempts_are_limited_per_token(published, url, clock):
    task = published.task
    # five attempts an hour with one token (here from five addresses): the sixth is refused, writing nothing
    for n in range(objections.FILINGS_PER_TOKEN):
        assert Client(REMOTE_ADDR=f"10.0.0.{n}").post(url + "file/", {**FORM, "text": ""}).status_code == 400
    before = written(task)
    response = Client(REMOTE_ADDR="10.0.0.9").post(url + "file/", FORM)
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
    assert written(task) == before
    # the next hour, the enterprise files
    clock.move_to(datetime(2026, 9, 21, 11, 0, tzinfo=SHANGHAI))
    assert Client(REMOTE_ADDR="10.0.0.9").post(url + "file/", FORM).status_code == 302


def test_filing_attempts_are_limited_per_address(published, url):
    task = published.task
    forged = Signer(salt="inspections.objection", key="not-the-secret-key").sign_object({"t": task.pk})
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _n in range(objections.FILINGS_PER_ADDRESS):
        assert client.post(f"/o/{forged}/file/", FORM).status_code == 400
    before = written(task)
    response = client.post(url + "file/", FORM)  # even with the right token
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
    assert written(task) == before
    assert Client(REMOTE_ADDR="203.0.113.8").post(url + "file/", FORM).status_code == 302
