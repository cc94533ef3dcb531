"""Fuzzing the four parsers an outsider can feed (security review, item 7): the spreadsheet reader, the
draw-record verifier, the QR check-in token parser and the public search parameters. No crash, no exception
other than the documented one, memory bounded."""

import contextlib
import io
import json
import os
import resource
import tempfile
import zipfile
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.excel import SpreadsheetError, read_sheet
from inspections.tokens import TokenError, _signer, read_token
from sampling import verify
from tests.spreadsheets import make_xlsx

from .conftest import corpus, fuzz_seconds, run_for

pytestmark = pytest.mark.fuzz
FAST = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck), derandomize=False
)


# --- the spreadsheet reader ------------------------------------------------------------------------

VALID = make_xlsx(["名称", "统一社会信用代码"], [["甲", "91320000MA1234567X"], [1, 2.5]])


def read(data: bytes) -> None:
    try:
        sheet = read_sheet(data, max_bytes=2_000_000)
    except SpreadsheetError as exc:
        assert str(exc)
        return
    assert isinstance(sheet.header, list) and all(isinstance(cell, str) for row in sheet.rows for cell in row)


def rezip(data: bytes, part: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry.filename, content if entry.filename == part else source.read(entry.filename))
    return out.getvalue()


XML_PIECES = st.sampled_from(
    [
        b'<c r="A1">',
        b'<c r="XFD1048576" t="s"><v>0</v></c>',
        b'<c r="ZZZZ99999999999">',
        b"<f>1+1</f>",
        b'<row r="1048576">',
        b"</row>",
        b"<c>",
        b'<c t="inlineStr"><is><t>x</t></is></c>',
        b"<![CDATA[<c r='A1'>]]>",
        b"<!-- <f> -->",
        b"&#0;",
        b"\x00",
        b'<dimension ref="A1:XFD1048576"/>',
    ]
)


@st.composite
def mutated_workbooks(draw):
    base = draw(st.sampled_from([VALID, *corpus("spreadsheet")]))
    how = draw(st.sampled_from(["flip", "truncate", "sheet-xml"]))
    if how == "flip":
        data = bytearray(base)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if how == "truncate":
        return base[: draw(st.integers(0, len(base)))]
    try:  # a corpus file Python's zipfile cannot open itself (e.g. zip version 6.4) is mutated as the valid one
        archive = zipfile.ZipFile(io.BytesIO(base))
        parts = [n for n in archive.namelist() if n.startswith("xl/worksheets/")] or archive.namelist()
        xml_of = {n: archive.read(n) for n in parts}
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError, RuntimeError):
        base = VALID
        archive = zipfile.ZipFile(io.BytesIO(base))
        parts = [n for n in archive.namelist() if n.startswith("xl/worksheets/")] or archive.namelist()
        xml_of = {n: archive.read(n) for n in parts}
    part = draw(st.sampled_from(parts))
    xml = xml_of[part]
    at = draw(st.integers(0, len(xml)))
    insert = b"".join(draw(st.lists(XML_PIECES, min_size=1, max_size=4)))
    cut = draw(st.integers(0, 20))
    return rezip(base, part, xml[:at] + insert + xml[at + cut :])


def test_fuzz_spreadsheet_reader(rss_guard):
    for seed in corpus("spreadsheet"):
        read(seed)

    @FAST
    @given(st.one_of(st.binary(max_size=2000), mutated_workbooks()))
    def campaign(data):
        read(data)

    run_for(fuzz_seconds(), campaign)
    rss_guard(200)  # the parser runs in a child process: the test process itself stays small
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert children <= django_settings.IMPORT_PARSE_MAX_MEMORY


# --- the draw-record verifier ----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@st.composite
def records(draw):
    """Records shaped like ssj-draw-1 with random holes and wrong types, or any JSON at all."""
    if draw(st.booleans()):
        return draw(json_values)
    member = st.fixed_dictionaries({"id": st.text(min_size=1, max_size=4), "weight": st.integers(-2, 5) | json_values})
    stratum = st.fixed_dictionaries(
        {
            "label": st.text(max_size=4) | json_values,
            "count": st.integers(-1, 6) | json_values,
            "members": st.lists(member, max_size=6),
        }
    )
    record = {
        "algorithm": draw(st.sampled_from(["ssj-draw-1", "ssj-draw-2", ""]) | json_values),
        "seed": draw(st.text(max_size=16) | json_values),
        "strata": draw(st.lists(stratum, max_size=3) | json_values),
        "inspectors": {
            "pool": draw(st.lists(st.text(min_size=1, max_size=4), max_size=8) | json_values),
            "team_size": draw(st.integers(-1, 4) | json_values),
            "max_per_inspector": draw(st.integers(-1, 4) | json_values),
            "exclusions": draw(st.lists(st.lists(st.text(max_size=3), max_size=3), max_size=3) | json_values),
        },
    }
    for key in draw(st.lists(st.sampled_from(sorted(record)), max_size=2)):
        record.pop(key, None)
    return record


def verify_text(text: str) -> None:
    """The documented contract of ``python -m sampling.verify``: exit 0 with JSON, or exit 2 with an error."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as handle:
        handle.write(text)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = verify.main([handle.name])
    finally:
        os.unlink(handle.name)
    assert status in (0, verify.EXIT_INVALID)
    if status == 0:
        json.loads(out.getvalue())
    else:
        assert err.getvalue().startswith("error: ")


def test_fuzz_draw_record_verifier(rss_guard):
    for seed in corpus("verify"):
        verify_text(seed.decode("utf-8", "replace"))

    @FAST
    @given(records())
    def campaign(record):
        verify_text(json.dumps(record))

    @FAST
    @given(st.text(max_size=200))
    def raw(text):
        verify_text(text)

    run_for(fuzz_seconds() * 0.8, campaign)
    run_for(fuzz_seconds() * 0.2, raw)
    rss_guard(300)


# --- the QR check-in token ------------------------------------------------------------------------


def check_token(token: str) -> None:
    try:
        task_id = read_token(token)
    except TokenError:
        return
    assert isinstance(task_id, int)


def test_fuzz_checkin_token(rss_guard):
    for seed in corpus("token"):
        check_token(seed.decode("utf-8", "replace").strip())

    @FAST
    @given(st.text(max_size=300))
    def random_text(token):
        check_token(token)

    @FAST
    @given(json_values)
    def signed_payloads(payload):
        # Validly signed but shaped by the attacker's guesses (as if the key had leaked): still only TokenError.
        check_token(_signer().sign_object(payload))

    @FAST
    @given(st.integers(0, 2**40), st.text(max_size=12), st.integers(0, 80), st.text(max_size=3))
    def tampered(task_id, until, cut, extra):
        token = _signer().sign_object({"t": task_id, "x": until})
        check_token(token[:cut] + extra + token[cut + len(extra) :])

    run_for(fuzz_seconds() / 3, random_text)
    run_for(fuzz_seconds() / 3, signed_payloads)
    run_for(fuzz_seconds() / 3, tampered)
    assert isinstance(signing.dumps({"a": 1}), str)
    rss_guard(100)


# --- the public search parameters ------------------------------------------------------------------

PARAMETER_NAMES = ["q", "year", "quarter", "tier", "outcome", "bureau", "after", "page", "division", "industry"]


@pytest.mark.django_db
def test_fuzz_public_search_parameters(rss_guard):
    client = Client(raise_request_exception=False)

    def search(query: str) -> None:
        response = client.get("/public/results/?" + query)
        assert response.status_code < 500, (query, response.status_code)

    for seed in corpus("search"):
        search(seed.decode("utf-8", "replace").strip())
    # the corpus replayed, every part of the page is loaded: the guard measures what the random queries add
    # (first in a fresh process, loading the apps' pages and catalogues alone grew the peak by ~200 MiB)
    rss_guard.start()

    values = st.text(max_size=30) | st.integers(-(10**30), 10**30).map(str) | st.sampled_from(["", "%00", "0", "2026"])

    @FAST
    @given(st.dictionaries(st.sampled_from(PARAMETER_NAMES) | st.text(max_size=5), values, max_size=6))
    def campaign(params):
        search(urlencode(params))

    @FAST
    @given(st.binary(max_size=60))
    def raw(query):
        search(query.decode("latin-1"))

    run_for(fuzz_seconds() * 0.7, campaign)
    run_for(fuzz_seconds() * 0.3, raw)
    rss_guard(200)
