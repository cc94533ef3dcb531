"""The draw replay in the visitor's browser (static/js/draw-replay.js): every vector of both versions exactly,
a tampered record shown as a mismatch naming its stratum, and the button on a real public draw page."""

import copy
import json
from pathlib import Path

import pytest
from django.core.cache import cache
from django.templatetags.static import static
from django.urls import reverse

from sampling import algorithm
from sampling.models import DrawData
from tests.public.world import build_world
from tests.reference_draw import replay as reference_replay
from tests.tamper import triggers_disabled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VECTORS = Path(__file__).resolve().parents[2] / "sampling" / "vectors"
VECTOR_NAMES = sorted(p.name.removesuffix(".record.json") for p in VECTORS.glob("*.record.json"))


def load(name: str, kind: str):
    return json.loads((VECTORS / f"{name}.{kind}.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def js(page):
    """A public page with the replay script loaded: window.ssjDraw."""
    page.goto(page.base_url + reverse("public:draw-algorithm"))
    page.add_script_tag(url=page.base_url + static("js/draw-replay.js"))
    page.wait_for_function("window.ssjDraw !== undefined")
    return page


def test_the_javascript_replays_every_vector_exactly(js):
    assert {load(name, "record")["algorithm"] for name in VECTOR_NAMES} == {"ssj-draw-1", "ssj-draw-2"}
    for name in VECTOR_NAMES:
        replayed = js.evaluate("record => window.ssjDraw.replay(record)", load(name, "record"))
        expected = load(name, "expected")
        assert replayed == expected, name
        assert list(replayed["teams"]) == list(expected["teams"]), name  # teams in selection order


def test_the_javascript_refuses_what_the_python_verifier_refuses_with_the_same_message(js):
    record = load("v2-small-unweighted", "record")
    bad = []
    for path, value in [
        (("inspectors", "team_size"), 1),
        (("inspectors", "max_per_inspector"), 0),
        (("inspectors", "pool"), ["ZF001", "ZF002", "ZF001"]),
        (("inspectors", "exclusions"), [["91411063534621880T", "ZF099"]]),
        (("algorithm",), "ssj-draw-3"),
        (("strata", 0, "count"), -1),
    ]:
        changed = copy.deepcopy(record)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        bad.append(changed)
    twice = copy.deepcopy(record)
    twice["strata"][0]["members"].append(dict(twice["strata"][0]["members"][2]))
    two_strata = copy.deepcopy(record)
    two_strata["strata"].append({"label": "other", "count": 0, "members": [dict(record["strata"][0]["members"][2])]})
    bad += [twice, two_strata]
    for changed in bad:
        with pytest.raises(algorithm.RecordError) as info:
            algorithm.replay(changed)
        message = js.evaluate(
            "record => window.ssjDraw.replay(record).then(() => 'accepted', error => error.message)", changed
        )
        assert message == str(info.value)
    zero = copy.deepcopy(record)
    zero["strata"].append({"label": "zero", "count": 0, "members": [zero["strata"][0]["members"].pop()]})
    assert js.evaluate("record => window.ssjDraw.replay(record)", zero) == reference_replay(zero)


def test_a_tampered_record_is_a_mismatch_naming_its_stratum(js):
    record, expected = load("v2-two-strata-weighted", "record"), load("v2-two-strata-weighted", "expected")
    second = record["strata"][1]
    dropped = expected["strata"][1]["selected"][2]
    second["members"] = [m for m in second["members"] if m["id"] != dropped]
    report = js.evaluate(
        "([record, published]) => window.ssjDraw.replay(record).then(r => window.ssjDraw.compare(r, published))",
        [record, expected],
    )
    assert report["ok"] is False
    assert [(row["label"], row["ok"]) for row in report["strata"]] == [
        ("2024Q2/key/uncovered", True),
        ("2024Q2/general", False),
    ]
    first_problem = report["strata"][1]["problems"][0]
    assert (first_problem["what"], first_problem["index"], first_problem["published"]) == ("selected", 2, dropped)


@pytest.fixture
def world(bureau, other_bureau):
    return build_world(bureau, other_bureau)


def _verify_on_the_draw_page(page, draw):
    page.goto(page.base_url + reverse("public:draw-detail", args=[draw.pk]))
    page.get_by_role("button", name="在本浏览器中验证").click()
    page.wait_for_selector("[data-draw-replay][data-replay-state=done], [data-draw-replay][data-replay-state=error]")
    return page.locator("[data-draw-replay]")


def test_the_button_on_a_public_draw_page_verifies_the_draw(page, world):
    draw = world.draw_a
    box = _verify_on_the_draw_page(page, draw)
    assert box.get_attribute("data-replay-state") == "done"
    verdict = box.locator("[data-replay-verdict]")
    assert verdict.get_attribute("data-replay-verdict") == "pass"
    assert verdict.inner_text().startswith("✔ 核验通过")
    labels = [s["label"] for s in DrawData.objects.get(draw=draw).result["strata"]]
    assert box.locator("li.check-pass").evaluate_all("items => items.map(i => i.dataset.stratum)") == labels
    assert box.locator("progress").evaluate("bar => bar.value") == 100
    assert page.locator("a", has_text="算法的公开文本").first.get_attribute("href") == reverse("public:draw-algorithm")


def test_a_stored_result_that_differs_is_shown_stratum_by_stratum(page, world):
    draw = world.draw_a
    data = DrawData.objects.get(draw=draw)
    stratum = data.result["strata"][0]
    stratum["selected"][0], stratum["selected"][1] = stratum["selected"][1], stratum["selected"][0]
    with triggers_disabled("sampling_drawdata"):  # the schema owner's way round the triggers
        data.save(update_fields=["result"])
    box = _verify_on_the_draw_page(page, draw)
    assert box.locator("[data-replay-verdict]").get_attribute("data-replay-verdict") == "fail"
    wrong = box.locator(f'li.check-fail[data-stratum="{stratum["label"]}"]')
    assert "入选名单第 1 位" in wrong.inner_text()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"algorithm": "ssj-draw-2", "seed": "ab', "不是有效的 JSON"),
        (
            json.dumps({"algorithm": "ssj-draw-9", "seed": "x", "strata": [], "inspectors": {}}),
            "ssj-draw-1、ssj-draw-2",
        ),
        (json.dumps({"algorithm": "ssj-draw-2", "seed": "x", "strata": []}), "inspectors is missing"),
    ],
)
def test_a_bad_record_gets_a_clear_message_and_no_verdict(page, world, body, message):
    page.route("**/record.json", lambda route: route.fulfill(status=200, content_type="application/json", body=body))
    box = _verify_on_the_draw_page(page, world.draw_a)
    assert box.get_attribute("data-replay-state") == "error"
    assert message in box.locator("[data-replay-error]").inner_text()
    assert box.locator("[data-replay-verdict]").count() == 0


def test_the_javascript_sha256_equals_hashlib_around_the_padding_boundaries(js):
    import hashlib
    import random

    rng = random.Random(20261204)
    texts = ["", "abc", "清潩河", "𠀋" * 20]
    texts += ["a" * n for n in (55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000)]
    alphabet = "0123456789abcdefXYZ|/年季度重点𠀋é"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300))) for _ in range(300)]
    digests = js.evaluate("texts => texts.map(window.ssjDraw.sha256Hex)", texts)
    assert digests == [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    # FIPS 180-4's two-block example, written out (not computed by hashlib)
    two_block = js.evaluate(
        "t => window.ssjDraw.sha256Hex(t)", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    )
    assert two_block == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"


WEB_CRYPTO_DISAGREES_ON_TICKETS = """
(() => {
  const digest = crypto.subtle.digest.bind(crypto.subtle);
  crypto.subtle.digest = (name, data) => {
    const text = new TextDecoder().decode(data);
    if (/^[0-9a-f]{64}\\|/.test(text)) data = new TextEncoder().encode(text + "!");  // a ticket: lie
    return digest(name, data);
  };
})();
"""


def test_a_web_crypto_disagreement_stops_the_replay_with_no_verdict(page, world):
    page.add_init_script(WEB_CRYPTO_DISAGREES_ON_TICKETS)
    box = _verify_on_the_draw_page(page, world.draw_a)
    assert box.get_attribute("data-replay-state") == "error"
    message = box.locator("[data-replay-error]").inner_text()
    assert "本浏览器自带的 SHA-256（Web Crypto）与复核程序的哈希计算结果不一致" in message
    assert "未给出结论" in message
    assert box.locator("[data-replay-verdict]").count() == 0
