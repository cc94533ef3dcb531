"""``manage.py draw_record``: the public record and the stored result for the restore drill."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEntry
from sampling import draws
from sampling.models import DrawData
from tests.sampling.conftest import create_draw, run_draw
from tests.tamper import triggers_disabled

REPO = Path(__file__).resolve().parents[2]


def draw_record(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("draw_record", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def verify(text: str) -> str:
    """Replay a record with the standalone verifier, as the drill does; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "sampling.verify", "-"], input=text, capture_output=True, text=True, cwd=REPO, check=True
    )
    return done.stdout


def test_the_record_is_printed_and_replays_to_the_stored_result(approved):
    assert approved.number == "建环抽查〔2026〕1号-1-2026Q1-1"
    out, err = draw_record(approved.number)
    record = json.loads(out)
    data = DrawData.objects.get(draw=approved)
    assert (record["strata"], record["inspectors"]) == (json.loads(data.pool_json), data.inspectors)
    assert (record["pool_hash"], record["nonce"]) == (approved.pool_hash, approved.nonce)
    assert (record["algorithm"], record["seed"], err) == ("ssj-draw-2", approved.seed, "")
    stored, verdict = draw_record(approved.number, "--result")
    assert json.loads(stored) == DrawData.objects.get(draw=approved).result
    assert verify(out).strip() == stored.strip()  # the drill diffs them: same JSON, same order
    assert verdict.strip() == (
        "建环抽查〔2026〕1号-1-2026Q1-1: the replay matches the stored result (4 drawn; pool hash, "
        "inspector pool hash, nonce hash, seed, selection and teams checked)"
    )


def test_each_use_is_audited(approved):
    draw_record(approved.number)
    draw_record(approved.number, "--result")
    entries = AuditEntry.objects.filter(action="draw.list_viewed", object_id=str(approved.pk)).order_by("id")
    assert [(e.actor_id, e.actor_name.startswith("manage.py draw_record ("), e.data["what"]) for e in entries] == [
        (None, True, "command"),
        (None, True, "result"),
    ]


def test_a_tampered_result_is_reported_and_exits_non_zero(approved):
    data = DrawData.objects.get(draw=approved)
    first = next(iter(data.result["teams"]))
    data.result["teams"][first].reverse()  # two distinct codes: the stored team now differs from the replay's
    with triggers_disabled("sampling_drawdata"):  # the schema owner's way round the triggers
        data.save(update_fields=["result"])
    with pytest.raises(CommandError) as exc:
        draw_record(approved.number, "--result")
    assert str(exc.value) == (
        "建环抽查〔2026〕1号-1-2026Q1-1: the replay does not match the stored draw: selection and teams differ"
    )


def test_a_changed_witness_input_breaks_the_seed_check(approved):
    with triggers_disabled("sampling_draw"):  # the schema owner's way round the triggers
        type(approved).objects.filter(pk=approved.pk).update(witness_input="另一个输入")
    with pytest.raises(CommandError, match=r"seed differ$"):
        draw_record(approved.number, "--result")


def test_a_short_number_finds_the_only_draw_of_the_quarter(approved):
    out, _err = draw_record("建环抽查〔2026〕1号-2026Q1")
    assert json.loads(out)["draw"] == approved.number
    out, _err = draw_record("建环抽查〔2026〕1号-1-2026Q1")
    assert json.loads(out)["draw"] == approved.number


def test_of_several_draws_the_only_approved_one_is_taken_else_they_are_listed(drawn, county, alice, frank):
    draws.draw_reject(actor=frank, draw=drawn, reason="见证人未到场")
    second = run_draw(county, alice, witness_input="04 11 23")
    assert second.number == "建环抽查〔2026〕1号-1-2026Q1-2"
    with pytest.raises(CommandError) as exc:
        draw_record("建环抽查〔2026〕1号-2026Q1")
    assert str(exc.value) == (
        "2 draws answer to 建环抽查〔2026〕1号-2026Q1: 建环抽查〔2026〕1号-1-2026Q1-1 (rejected), "
        "建环抽查〔2026〕1号-1-2026Q1-2 (drawn)"
    )
    draws.draw_approve(actor=frank, draw=second)
    out, _err = draw_record("建环抽查〔2026〕1号-2026Q1")
    assert json.loads(out)["draw"] == second.number
    out, _err = draw_record(drawn.number)  # the rejected one stays on record and can be printed by its number
    assert json.loads(out)["seed"] == drawn.seed


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("建环抽查〔2026〕1号-1-2026Q2-1", "no draw that has been run answers to 建环抽查〔2026〕1号-1-2026Q2-1"),
        ("西环抽查〔2026〕1号-2026Q1", "no draw that has been run answers to 西环抽查〔2026〕1号-2026Q1"),
        (
            "17",
            "'17' is not a draw number like 建环抽查〔2026〕1号-1-2026Q1-1 (the task and the last part may be left out)",
        ),
    ],
)
def test_unknown_and_malformed_numbers_are_refused(approved, number, message):
    with pytest.raises(CommandError) as exc:
        draw_record(number)
    assert str(exc.value) == message


def test_a_draw_not_yet_run_has_no_record(county, alice):
    draw = create_draw(county, alice)
    with pytest.raises(CommandError, match="no draw that has been run"):
        draw_record(draw.number)
