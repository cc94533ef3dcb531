"""Nothing unpublished or confidential is reachable on the public site.

One crawl of every public page and file, against a world holding a task in every state before
publication, exempt and confidential results, a rejected and a pending draw, a draft plan and another
bureau's unpublished result. Every secret string is looked for in every response.
"""

import csv
import gzip
import io
import json
import re
from urllib.parse import parse_qs, quote, urlsplit

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from disclosure import opendata
from enterprises.models import CheckItem, Enterprise
from inspections import publication as disclosure_services
from inspections.enums import InspectionTaskStatus
from inspections.models import InspectionTask, Publication
from inspectors.models import Inspector
from sampling import plans
from sampling.models import Draw, PlanTask

from .world import INSPECTED_ON

pytestmark = pytest.mark.django_db

UNPUBLISHED_STATES = {
    "assigned": InspectionTaskStatus.ASSIGNED,
    "checked_in": InspectionTaskStatus.CHECKED_IN,
    "result_recorded": InspectionTaskStatus.RESULT_RECORDED,
    "result_approved": InspectionTaskStatus.RESULT_APPROVED,
    "exempt_publication": InspectionTaskStatus.EXEMPT,
    "exempt_confidential": InspectionTaskStatus.EXEMPT,
    "cancelled": InspectionTaskStatus.CANCELLED,
}


def _text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "") == "application/gzip":
        content = gzip.decompress(content)
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8")


def _without_echo(text: str, url: str) -> str:
    """The page without the search words it echoes back (in the search box, links and the JSON's filters)."""
    q = parse_qs(urlsplit(url).query).get("q", [""])[0]
    if not q:
        return text
    text = text.replace(f"next={quote(url, safe='/')}", "")  # the language switch returns to this page
    for echo in (f'value="{q}"', f"q={quote(q)}&", f"q={q}&", f'"q": "{q}"', f'"q": {json.dumps(q)}'):
        text = text.replace(echo, "")
    return text


class Crawler:
    def __init__(self):
        self.client = Client()
        self.pages: dict[str, str] = {}
        self.statuses: dict[str, int] = {}

    def get(self, url: str, expect: int = 200) -> str:
        response = self.client.get(url, follow=True)  # whole downloads redirect to the prebuilt files
        assert response.status_code == expect, (url, response.status_code)
        self.statuses[url] = response.status_code
        text = _text(response) if response.status_code == 200 else ""
        self.pages[url] = _without_echo(text, url)
        return text

    def corpus(self) -> str:
        return "\n".join(self.pages.values())


def crawl(world) -> Crawler:
    crawler = Crawler()
    c = crawler.get
    for name in (
        "home",
        "results",
        "plans",
        "checklist",
        "draws",
        "open-data",
        "results-csv",
        "results-json",
        "results-xlsx",
    ):
        c(reverse(f"public:{name}"))
    opendata.build()  # as the worker does after each change (inline, the views do it)
    for name in opendata.read_manifest()["files"]:  # every prebuilt file: each year and quarter, .gz too
        c(reverse("public:open-data-file", args=[name]))
    secrets_names = list(Enterprise.objects.values_list("name", flat=True))
    queries = [
        *[f"q={n}" for n in secrets_names],
        *[f"q={u}" for u in Enterprise.objects.values_list("uscc", flat=True)],
        "q=有限公司",
        "q=91411003",
        "year=2026",
        "quarter=4",
        "bureau=jianan",
        "bureau=yanling",
        *[f"tier={t}" for t in ("general", "key", "special")],
        *[f"outcome={o}" for o in ("no_problem", "case_filed", "rectification_ordered", "corrected")],
    ]
    for query in queries:
        html = c(f"{reverse('public:results')}?{query}")
        for cursor in re.findall(r"after=([0-9.]+)", html):
            c(f"{reverse('public:results')}?{query}&after={cursor}")
    for fmt in ("csv", "json", "xlsx"):
        for query in ("bureau=jianan", "bureau=yanling", "year=2026", "q=一般保密测试"):
            c(f"{reverse(f'public:results-{fmt}')}?{query}")
    published = set(Publication.objects.values_list("uscc", flat=True))
    for pub in Publication.objects.all():
        c(reverse("public:result-detail", args=[pub.pk]))
    for uscc in Enterprise.objects.values_list("uscc", flat=True):
        c(reverse("public:enterprise", args=[uscc]), 200 if uscc in published else 404)
    c(reverse("public:plan-detail", args=[world.plan.pk]))
    c(reverse("public:plan-detail", args=[world.draft_plan.pk]), 404)
    for task in PlanTask.objects.all():
        c(reverse("public:task-detail", args=[task.pk]), 404 if task.plan_id == world.draft_plan.pk else 200)
    c(f"{reverse('public:plans')}?year=2027")
    c(f"{reverse('public:checklist')}?bureau=yanling")
    for draw in Draw.objects.all():
        approved = draw.pk in (world.draw_a.pk, world.draw_b.pk) or draw.bureau_id == world.other.pk
        c(reverse("public:draw-detail", args=[draw.pk]), 200 if approved else 404)
        record = 200 if draw.pk == world.draw_a.pk else 404
        c(reverse("public:draw-record", args=[draw.pk]), record)
        c(reverse("public:draw-verify", args=[draw.pk]), record)
    return crawler


@pytest.fixture
def world_with_draft_task(world):
    plans.plan_task_create(
        actor=world.alice,
        plan=world.draft_plan,
        check_items=list(CheckItem.objects.filter(bureau=world.bureau)),
        name="草案任务（未公布）",
        include_key=True,
        draw_from=INSPECTED_ON.replace(year=2027),
        draw_until=INSPECTED_ON.replace(year=2027),
        inspect_from=INSPECTED_ON.replace(year=2027),
        inspect_until=INSPECTED_ON.replace(year=2027),
    )
    return world


def _task_secrets(task: InspectionTask) -> list[str]:
    return [task.enterprise.name, task.enterprise.uscc, task.number]


def test_every_unpublished_state_is_covered(world):
    states = {task.status for task in InspectionTask.objects.all()}
    before_published = {s for s in InspectionTaskStatus.values if s != InspectionTaskStatus.PUBLISHED}
    assert before_published <= states
    assert {world.tasks_b[name].status for name in UNPUBLISHED_STATES} == set(UNPUBLISHED_STATES.values())
    for name, status in UNPUBLISHED_STATES.items():
        world.tasks_b[name].refresh_from_db()
        assert world.tasks_b[name].status == status, name


def test_nothing_unpublished_or_confidential_is_reachable(world_with_draft_task):
    world = world_with_draft_task
    crawler = crawl(world)
    corpus = crawler.corpus()

    # What is published is there (the crawl is not empty).
    for pub in Publication.objects.all():
        assert pub.enterprise_name in corpus and pub.uscc in corpus
    assert world.draw_a.seed in corpus and world.draw_a.nonce in corpus

    secrets: dict[str, list[str]] = {}
    for name in UNPUBLISHED_STATES:
        task = InspectionTask.objects.select_related("enterprise").get(pk=world.tasks_b[name].pk)
        secrets[f"task {name}"] = _task_secrets(task)
    for label, draw in (
        ("draw B (results pending)", world.draw_b),
        ("rejected draw", world.rejected),
        ("pending draw", world.pending),
    ):
        secrets[label] = [draw.seed, draw.nonce]
    secrets["rejected draw"] += [world.rejected.number, world.rejected.rejection_reason]
    secrets["pending draw"] += [world.pending.number]
    secrets["pending draw enterprises"] = [
        e for pair in Enterprise.objects.filter(tier="special").values_list("name", "uscc") for e in pair
    ]
    secrets["draw B pool"] = [
        e
        for pair in Enterprise.objects.filter(tier="general")
        .exclude(inspection_tasks__status=InspectionTaskStatus.PUBLISHED)
        .values_list("name", "uscc")
        for e in pair
    ]
    secrets["exemption reasons"] = ["涉及国家秘密（豁免理由A）", "涉及公共安全（豁免理由B）"]
    secrets["internal summary"] = ["现场检查情况（内部记录）"]
    secrets["draft plan"] = [world.draft_plan.name, world.draft_plan.number, "草案任务（未公布）"]
    secrets["other bureau, approved not published"] = _task_secrets(
        InspectionTask.objects.select_related("enterprise").get(pk=world.other_unpublished.pk)
    )
    secrets["inspector names"] = list(Inspector.objects.values_list("name", flat=True))
    secrets["enterprise addresses"] = ["建安区某路"]
    secrets["people"] = ["张组长", "李组长", "刘见证", "外局组长"]

    leaks = {label: [s for s in values if s and s in corpus] for label, values in secrets.items()}
    assert {label: found for label, found in leaks.items() if found} == {}
    # Each secret set is real: none is empty.
    assert all(secrets.values())


def test_pages_of_unpublished_things_answer_404(world):
    client = Client()
    hidden = InspectionTask.objects.select_related("enterprise").get(pk=world.tasks_b["result_approved"].pk)
    assert client.get(reverse("public:enterprise", args=[hidden.enterprise.uscc])).status_code == 404
    assert client.get(reverse("public:draw-detail", args=[world.rejected.pk])).status_code == 404
    assert client.get(reverse("public:draw-detail", args=[world.pending.pk])).status_code == 404
    assert client.get(reverse("public:draw-record", args=[world.draw_b.pk])).status_code == 404
    assert client.get(reverse("public:draw-verify", args=[world.draw_b.pk])).status_code == 404
    assert client.get(reverse("public:plan-detail", args=[world.draft_plan.pk])).status_code == 404
    assert client.get(reverse("public:result-detail", args=[999999])).status_code == 404


def test_publishing_makes_a_result_public_at_once(world, django_capture_on_commit_callbacks):
    client = Client()
    task = InspectionTask.objects.select_related("enterprise").get(pk=world.tasks_b["result_approved"].pk)
    url = f"{reverse('public:results')}?q={task.enterprise.uscc}"
    assert task.enterprise.name not in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        disclosure_services.publication_publish(actor=world.alice, task=task)
    html = client.get(url).content.decode()
    assert task.enterprise.name in html
    response = client.get(reverse("public:enterprise", args=[task.enterprise.uscc]))
    assert response.status_code == 200 and task.enterprise.name in response.content.decode()


def test_the_record_opens_when_the_last_result_is_published(world, django_capture_on_commit_callbacks):
    """Draw A's record is public; a draw whose results are all published or cancelled opens too."""
    client = Client()
    assert client.get(reverse("public:draw-record", args=[world.draw_a.pk])).status_code == 200
    record = json.loads(client.get(reverse("public:draw-record", args=[world.draw_a.pk])).content)
    assert record["seed"] == world.draw_a.seed
    # Draw B: exempt results keep it closed even when everything else is published.
    for name in ("assigned", "checked_in", "result_recorded"):
        InspectionTask.objects.filter(pk=world.tasks_b[name].pk).update(status=InspectionTaskStatus.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        disclosure_services.publication_publish(actor=world.alice, task=world.tasks_b["result_approved"])
    assert client.get(reverse("public:draw-record", args=[world.draw_b.pk])).status_code == 404
    InspectionTask.objects.filter(draw=world.draw_b, status=InspectionTaskStatus.EXEMPT).update(
        status=InspectionTaskStatus.CANCELLED
    )
    response = client.get(reverse("public:draw-record", args=[world.draw_b.pk]))
    assert response.status_code == 200 and json.loads(response.content)["seed"] == world.draw_b.seed


def _rows(text):
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
