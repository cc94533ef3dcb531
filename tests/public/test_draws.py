"""Public draw records: closed until the results are published, then replayable in one click."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from core.enums import Role
from sampling import verify
from sampling.models import DrawData
from tests.conftest import _member
from tests.inspections.factories import DrawFactory, InspectionTaskFactory
from tests.reference_draw import replay as reference_replay
from tests.tamper import triggers_disabled

from .world import make_publications

pytestmark = pytest.mark.django_db

CHECKS = ["nonce", "pool", "inspectors", "seed", "replay", "selection", "teams", "tasks"]


def test_replay_of_a_public_record_passes_every_check(world):
    response = Client().get(reverse("public:draw-verify", args=[world.draw_a.pk]))
    verification = response.context["verification"]
    assert [(c.name, c.passed) for c in verification["checks"]] == [(name, True) for name in CHECKS]
    assert verification["passed"] is True
    stored = DrawData.objects.get(draw=world.draw_a).result
    assert verification["replay"]["strata"] == stored["strata"]
    assert verification["replay"]["teams"] == stored["teams"]
    html = response.content.decode()
    assert "核验通过" in html
    for uscc in stored["strata"][0]["selected"]:
        assert uscc in html


def test_a_tampered_list_fails_the_replay(world):
    data = DrawData.objects.get(draw=world.draw_a)
    result = data.result
    result["strata"][0]["selected"].reverse()
    with triggers_disabled("sampling_drawdata"):
        DrawData.objects.filter(pk=data.pk).update(result=result)
    verification = Client().get(reverse("public:draw-verify", args=[world.draw_a.pk])).context["verification"]
    assert {c.name: c.passed for c in verification["checks"]} == {
        "nonce": True,
        "pool": True,
        "inspectors": True,
        "seed": True,
        "replay": True,
        "selection": False,
        "teams": True,
        "tasks": True,
    }
    assert verification["passed"] is False


def test_a_changed_nonce_fails_the_hash_and_seed_checks(world):
    with triggers_disabled("sampling_draw"):
        type(world.draw_a).objects.filter(pk=world.draw_a.pk).update(nonce="f" * 64)
    cache.clear()
    response = Client().get(reverse("public:draw-verify", args=[world.draw_a.pk]))
    failed = [c.name for c in response.context["verification"]["checks"] if not c.passed]
    assert failed == ["nonce", "seed"]
    assert "核验未通过" in response.content.decode()


def test_the_record_download_replays_with_the_standalone_verifier(world, tmp_path, capsys):
    response = Client().get(reverse("public:draw-record", args=[world.draw_a.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="draw-{world.draw_a.pk}-record.json"'
    record = json.loads(response.content)
    draw = world.draw_a
    draw.refresh_from_db()
    assert (record["algorithm"], record["seed"], record["pool_hash"], record["nonce_hash"], record["nonce"]) == (
        draw.algorithm,
        draw.seed,
        draw.pool_hash,
        draw.nonce_hash,
        draw.nonce,
    )
    assert record["witness_input"] == draw.witness_input and record["draw"] == draw.number
    assert reference_replay(record) == DrawData.objects.get(draw=draw).result
    path = tmp_path / "record.json"
    path.write_bytes(response.content)
    assert verify.main([str(path)]) == 0
    replayed = json.loads(capsys.readouterr().out)
    stored = DrawData.objects.get(draw=world.draw_a).result
    assert replayed["strata"] == stored["strata"] and replayed["teams"] == stored["teams"]


def test_a_draw_with_results_pending_shows_its_hashes_but_not_its_list(world):
    html = Client().get(reverse("public:draw-detail", args=[world.draw_b.pk])).content.decode()
    assert world.draw_b.pool_hash in html and world.draw_b.nonce_hash in html
    assert world.draw_b.seed not in html and world.draw_b.nonce not in html
    assert "全部结果公示后" in html
    assert "此前被否决的摇号" in html  # the rejected draw of the same task and quarter is counted, not shown


def test_the_public_draw_page_lists_its_enterprises_with_their_results(world):
    response = Client().get(reverse("public:draw-detail", args=[world.draw_a.pk]))
    rows = response.context["rows"]
    stored = DrawData.objects.get(draw=world.draw_a).result
    assert sorted(r["uscc"] for r in rows) == sorted(stored["strata"][0]["selected"])
    assert all(r["publication"] and r["outcome"] == "未发现问题" for r in rows)
    assert world.draw_a.seed in response.content.decode()


def test_draw_list_shows_approved_draws_only(world):
    response = Client().get(reverse("public:draws"))
    shown = {d.pk: d.record_public for d in response.context["page"]}
    assert shown == {world.draw_a.pk: True, world.draw_b.pk: False, world.other_published.draw_id: False}


@pytest.mark.parametrize("rows", [1, 3])
def test_draw_list_queries(bureau, rows, django_assert_num_queries):
    made = [InspectionTaskFactory(draw=DrawFactory(task__plan__bureau=bureau)).draw for _ in range(rows)]
    cache.clear()
    client = Client()
    client.get(reverse("public:draws"))  # fills the cached choices (and keeps this URL's page whole)
    # the years (cached), the bureaus (cached), the count and the page of draws: another URL of the same
    # page, so that the view runs (disclosure.middleware would answer the same URL with no query)
    with django_assert_num_queries(2):
        response = client.get(reverse("public:draws") + "?page=1")
    assert response.status_code == 200
    assert sorted(d.pk for d in response.context["page"]) == sorted(d.pk for d in made)


@pytest.mark.parametrize("rows", [1, 3])
def test_public_draw_page_queries(bureau, rows, django_assert_num_queries):
    lead = _member("lead", bureau, Role.TEAM_LEAD)
    draw = DrawFactory(task__plan__bureau=bureau, created_by=lead, seed="a" * 64)
    make_publications(bureau, lead, [f"摇号页{n}有限公司" for n in range(rows)], draw=draw)
    cache.clear()
    # the draw with its counts (published, open, tasks, rejected draws before it), the page of tasks, their
    # published rows, the changes made to the list before its tasks (issue 14), the substitutions
    with django_assert_num_queries(5):
        response = Client().get(reverse("public:draw-detail", args=[draw.pk]))
    assert response.context["record_public"] is True
    assert response.context["page"].paginator.count == rows
    assert response.context["rejected"] == 0
    assert [r["publication"]["enterprise_name"] for r in response.context["rows"]] == [
        f"摇号页{n}有限公司" for n in range(rows)
    ]


def test_a_large_replay_is_not_printed_whole(world, monkeypatch):
    monkeypatch.setattr("disclosure.public_views.REPLAY_SHOWN_MAX", 3)
    response = Client().get(reverse("public:draw-verify", args=[world.draw_a.pk]))
    assert response.context["replay_json"] == ""
    assert response.context["verification"]["passed"] is True


def test_the_stored_result_is_public_with_the_record_and_not_before(world):
    response = Client().get(reverse("public:draw-result", args=[world.draw_a.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content) == DrawData.objects.get(draw=world.draw_a).result
    assert json.loads(response.content)["algorithm"] == world.draw_a.algorithm == "ssj-draw-2"
    assert Client().get(reverse("public:draw-result", args=[world.draw_b.pk])).status_code == 404


def test_the_draw_page_offers_the_browser_replay_and_the_algorithm_text(world):
    page = Client().get(reverse("public:draw-detail", args=[world.draw_a.pk])).content.decode()
    assert 'data-record-url="{}"'.format(reverse("public:draw-record", args=[world.draw_a.pk])) in page
    assert 'data-result-url="{}"'.format(reverse("public:draw-result", args=[world.draw_a.pk])) in page
    assert "在本浏览器中验证" in page and 'id="replay-messages" type="application/json"' in page
    assert "<script>" not in page  # every script is a static file (CSP script-src 'self')
    pending = Client().get(reverse("public:draw-detail", args=[world.draw_b.pk])).content.decode()
    assert reverse("public:draw-algorithm") in pending and "data-draw-replay" not in pending


def test_the_algorithm_text_is_public_in_both_languages():
    response = Client().get(reverse("public:draw-algorithm"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Fisher–Yates" in text and "ssj-draw-1" in text
    assert "候选顺序" in text and "The candidate order" in text
