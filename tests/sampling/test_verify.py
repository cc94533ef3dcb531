"""The stand-alone verifier ``python -m sampling.verify`` called in-process (tests/sampling/test_algorithm.py runs
it as a subprocess): exact output, exact messages and exit statuses. Pure: no database.

Expected outputs are the published vectors in sampling/vectors/, never the replay function.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from sampling import verify

VECTORS = Path(__file__).resolve().parents[2] / "sampling" / "vectors"


def test_verify_prints_the_vector_outcome_as_one_line_of_json_and_exits_0(capsys):
    record = VECTORS / "v2-two-strata-weighted.record.json"
    expected = json.loads((VECTORS / "v2-two-strata-weighted.expected.json").read_text(encoding="utf-8"))

    assert verify.main([str(record)]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    assert out.endswith("\n") and out.count("\n") == 1
    assert json.loads(out) == expected


def test_verify_output_keeps_chinese_labels_unescaped():
    assert verify.output_json({"label": "重点"}) == '{"label": "重点"}'


def test_verify_reads_the_record_from_standard_input_when_given_a_dash(capsys, monkeypatch):
    text = (VECTORS / "small-unweighted.record.json").read_text(encoding="utf-8")
    expected = json.loads((VECTORS / "small-unweighted.expected.json").read_text(encoding="utf-8"))
    monkeypatch.setattr("sys.stdin", io.StringIO(text))

    assert verify.main(["-"]) == 0

    assert json.loads(capsys.readouterr().out) == expected


def test_verify_names_a_missing_file_and_exits_2(capsys, tmp_path):
    missing = tmp_path / "nope.json"

    assert verify.main([str(missing)]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: cannot read {missing}: ")
    assert err.endswith("\n")


def test_verify_names_standard_input_when_it_is_not_json(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"algorithm": '))

    assert verify.main(["-"]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: standard input is not valid JSON: ")


def test_verify_names_the_file_that_is_not_json(capsys, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("[1,", encoding="utf-8")

    assert verify.main([str(broken)]) == 2

    assert capsys.readouterr().err.startswith(f"error: {broken} is not valid JSON: ")


def test_verify_reports_a_malformed_record_with_the_record_error_and_exits_2(capsys, tmp_path):
    record = json.loads((VECTORS / "small-unweighted.record.json").read_text(encoding="utf-8"))
    record["inspectors"]["team_size"] = 1
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record), encoding="utf-8")

    assert verify.main([str(path)]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err == "error: inspectors.team_size must be an integer >= 2\n"


def test_verify_refuses_a_file_that_is_not_utf8(capsys, tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"label": "\xe9"}')

    assert verify.main([str(path)]) == 2

    assert capsys.readouterr().err.startswith(f"error: cannot read {path}: ")


def test_verify_without_a_record_argument_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        verify.main([])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m sampling.verify [-h] record")
    assert "the following arguments are required: record" in err


def test_verify_help_names_both_algorithm_versions(capsys):
    with pytest.raises(SystemExit) as exc:
        verify.main(["--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps at the terminal width
    assert out == (
        "usage: python -m sampling.verify [-h] record "
        "Replay a published draw record (ssj-draw-2 or ssj-draw-1) and print its outcome as JSON. "
        "positional arguments: record path to the record JSON file, or - for stdin "
        "options: -h, --help show this help message and exit"
    )
