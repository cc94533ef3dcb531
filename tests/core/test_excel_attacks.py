"""Hostile spreadsheets (the attacks of the security review): refused with the numbers, before any parser
allocates for them, and whatever the parser does, the web worker answers."""

import resource

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from core import excel
from core.excel import SpreadsheetError, read_sheet
from core.models import AuditEntry, Job
from enterprises.models import Enterprise
from inspectors.models import Inspector
from tests.spreadsheets import far_corner_xlsx, formula_xlsx, make_xlsx, raw_xlsx, text_cell

COLUMNS = (
    "The sheet reaches column %(letter)s (%(columns)s columns, at cell %(cell)s); at most %(max)s columns are accepted."
)
ROWS = (
    "The sheet reaches row %(row)s (at cell %(cell)s); at most %(max)s rows of data (up to row %(last)s) are accepted."
)
FORMULA = (
    "Cell %(cell)s (row %(row)s, column %(column)s) holds a formula; formulas are not "
    "accepted. Copy the sheet and paste it as values only, then upload it again."
)

ATTACKS = [
    (
        "xfd1048576",
        far_corner_xlsx("XFD1048576"),
        COLUMNS,
        {"letter": "XFD", "columns": 16384, "cell": "XFD1048576", "max": 50},
    ),
    ("z400000", far_corner_xlsx("Z400000"), ROWS, {"row": 400000, "cell": "Z400000", "max": 100000, "last": 100001}),
    ("formula", formula_xlsx(), FORMULA, {"cell": "B2", "row": 2, "column": "B"}),
]


def zh(msgid, params):
    with translation.override("zh-hans"):
        return translation.gettext(msgid) % params


def test_the_attack_file_is_small():
    assert len(far_corner_xlsx("XFD1048576")) < 1600


@pytest.mark.parametrize(("name", "data", "msgid", "params"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_read_sheet_refuses_before_parsing(monkeypatch, name, data, msgid, params):
    def no_parser(data):
        raise AssertionError("the parser must not see this file")

    monkeypatch.setattr(excel, "_parse_in_child", no_parser)
    with translation.override("en"), pytest.raises(SpreadsheetError) as caught:
        read_sheet(data, max_bytes=10_000_000)
    assert str(caught.value) == msgid % params


@pytest.mark.parametrize("url", ["/enterprises/import/", "/inspectors/import/"])
@pytest.mark.parametrize(("name", "data", "msgid", "params"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_import_pages_refuse_the_attack_files(client_for, carol, bureau, url, name, data, msgid, params):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    response = client_for(carol).post(url, {"file": SimpleUploadedFile("攻击.xlsx", data)})
    assert response.status_code == 200
    assert zh(msgid, params) in response.content.decode()
    assert Enterprise.objects.count() == 0
    assert Inspector.objects.count() == 0
    assert Job.objects.count() == 0
    assert not AuditEntry.objects.filter(action__endswith="import").exists()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB: no big allocation here


def test_text_that_looks_like_a_formula_is_kept_as_typed():
    data = raw_xlsx(
        f'<row r="1">{text_cell("A1", "名称")}</row><row r="2">{text_cell("A2", "=HYPERLINK(&quot;x&quot;)")}</row>'
    )
    assert read_sheet(data, max_bytes=10_000_000).rows == [['=HYPERLINK("x")']]


def test_a_declared_dimension_alone_is_harmless():
    data = raw_xlsx(f'<row r="1">{text_cell("A1", "名称")}</row>', dimension="A1:XFD1048576")
    assert read_sheet(data, max_bytes=10_000_000).header == ["名称"]


def test_cells_without_references_are_counted_by_position():
    cells = "".join(f'<c t="inlineStr"><is><t>{n}</t></is></c>' for n in range(60))
    with translation.override("en"), pytest.raises(SpreadsheetError, match="reaches column AY"):
        read_sheet(raw_xlsx(f"<row>{cells}</row>"), max_bytes=10_000_000)


def test_prefixed_formula_is_refused():
    data = raw_xlsx(
        f'<row r="1">{text_cell("A1", "名称")}</row>'
        '<row r="2"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="C2">'
        "<x:f>1+1</x:f><x:v>2</x:v></x:c></row>"
    )
    with translation.override("en"), pytest.raises(SpreadsheetError) as caught:
        read_sheet(data, max_bytes=10_000_000)
    assert str(caught.value) == FORMULA % {"cell": "C2", "row": 2, "column": "C"}


def test_limits_are_keyword_arguments():
    data = make_xlsx(["a", "b", "c"], [[1, 2, 3], [4, 5, 6]])
    with translation.override("en"):
        with pytest.raises(SpreadsheetError, match="reaches column C"):
            read_sheet(data, max_bytes=10_000_000, max_columns=2)
        with pytest.raises(SpreadsheetError, match="reaches row 3"):
            read_sheet(data, max_bytes=10_000_000, max_rows=1)
        with pytest.raises(SpreadsheetError, match="more than 5 cells"):
            read_sheet(data, max_bytes=10_000_000, max_cells=5)
    assert read_sheet(data, max_bytes=10_000_000).rows == [["1", "2", "3"], ["4", "5", "6"]]


def test_a_parser_that_blows_its_memory_limit_is_a_clear_error(settings):
    """With the scan's limits lifted, the parser meets the XFD1048576 file: only the child process dies."""
    settings.IMPORT_PARSE_MAX_MEMORY = 512 * 1024 * 1024
    with translation.override("en"), pytest.raises(SpreadsheetError) as caught:
        read_sheet(
            far_corner_xlsx("XFD1048576"), max_bytes=10_000_000, max_rows=10**7, max_columns=10**6, max_cells=10**9
        )
    assert str(caught.value) == "The workbook could not be read: it needs more memory or time than an import may use."


def test_a_parser_that_takes_too_long_is_stopped(settings, monkeypatch, tmp_path):
    settings.IMPORT_PARSE_TIMEOUT = 1
    sleeper = tmp_path / "sleeper.py"
    sleeper.write_text("import time\ntime.sleep(30)\n")
    monkeypatch.setattr(excel, "_CHILD", sleeper)
    with translation.override("en"), pytest.raises(SpreadsheetError) as caught:
        read_sheet(make_xlsx(["a"], [[1]]), max_bytes=10_000_000)
    assert str(caught.value) == "Reading the workbook took longer than 1 seconds and was stopped."
