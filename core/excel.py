"""Spreadsheet reading and writing shared by every import and export.

Reading uses python-calamine (fast), after checking the file is a sane .xlsx: size, zip structure,
number of entries and uncompressed size (zip bombs), then the first worksheet's extents, cell count and
formulas, read from its XML as a stream before any parser allocates anything; calamine itself runs in a
child process with a memory and a time limit (``core/sheet_child.py``). Writing uses openpyxl in write-only mode
(or, for large sheets such as the open data, :func:`write_xlsx_rows`: the sheet XML written directly) and
neutralises formula injection: a text cell starting with = + - @ (or a tab / carriage return) is
prefixed with an apostrophe so no spreadsheet program evaluates it.
"""

import io
import logging
import marshal
import math
import os
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from .sheet_child import cell_text  # noqa: F401 - re-exported: a cell as text

logger = logging.getLogger(__name__)
_CHILD = Path(__file__).with_name("sheet_child.py")

MAX_ZIP_ENTRIES = 200
MAX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed for the whole archive
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# What reading a damaged or unusual zip may raise; NotImplementedError: a zip feature Python does not read
# (e.g. "zip file version 6.4", found by fuzzing).
ZIP_READ_ERRORS = (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError, OSError, RuntimeError, ValueError)


class SpreadsheetError(Exception):
    """The file cannot be read as a spreadsheet; the message says why, for the user."""


@dataclass
class Sheet:
    header: list[str]
    rows: list[list[str]]  # data rows as text; row i is spreadsheet row i + 2

    def __len__(self) -> int:
        return len(self.rows)


def _check_archive(data: bytes, max_bytes: int) -> None:
    if not data:
        raise SpreadsheetError(_("The file is empty."))
    if len(data) > max_bytes:
        raise SpreadsheetError(
            _("The file is too large (%(size)s MB; at most %(max)s MB).")
            % {"size": round(len(data) / 1048576, 1), "max": round(max_bytes / 1048576, 1)}
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise SpreadsheetError(_("The file is not an Excel workbook (.xlsx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if len(entries) > MAX_ZIP_ENTRIES:
                raise SpreadsheetError(_("The workbook has too many parts to be a data sheet."))
            total = sum(entry.file_size for entry in entries)
            if total > MAX_UNCOMPRESSED or total > MAX_RATIO * max(len(data), 1):
                raise SpreadsheetError(_("The workbook expands to an implausible size and was refused."))
    except ZIP_READ_ERRORS as exc:
        raise SpreadsheetError(_("The file is not an Excel workbook (.xlsx).")) from exc
    if "xl/workbook.xml" not in names:
        raise SpreadsheetError(_("The file is not an Excel workbook (.xlsx)."))


def read_sheet(
    data: bytes,
    *,
    max_bytes: int,
    max_rows: int | None = None,
    max_columns: int | None = None,
    max_cells: int | None = None,
) -> Sheet:
    """The first worksheet: its header row and its data rows (blank rows dropped), all as text.

    Before any parser sees the file: the archive checks, then a streaming scan of the worksheet's XML that
    refuses a sheet reaching beyond ``max_columns`` columns or ``max_rows`` data rows, holding more than
    ``max_cells`` cells, or holding a formula (defaults: the ``IMPORT_MAX_*`` settings). Then the parser runs
    in a child process with a memory and a time limit (``IMPORT_PARSE_MAX_MEMORY``,
    ``IMPORT_PARSE_TIMEOUT``): whatever it does, the caller gets a ``SpreadsheetError``.
    """
    max_rows = settings.IMPORT_MAX_ROWS if max_rows is None else max_rows
    max_columns = settings.IMPORT_MAX_COLUMNS if max_columns is None else max_columns
    max_cells = settings.IMPORT_MAX_CELLS if max_cells is None else max_cells
    _check_archive(data, max_bytes)
    _check_extents(data, max_rows=max_rows, max_columns=max_columns, max_cells=max_cells)
    header, rows = _parse_in_child(data)
    if not header or not any(header):
        raise SpreadsheetError(_("The sheet is empty: the first row must hold the column titles."))
    if len(rows) > max_rows:  # the scan counted declared rows; this is the parser's own count
        raise SpreadsheetError(_("The sheet has more than %(max)s rows.") % {"max": max_rows})
    # Keep rows aligned with the spreadsheet's row numbers: blank rows stay as empty lists.
    rows = [row if any(row) else [] for row in rows]
    while rows and not rows[-1]:
        rows.pop()
    return Sheet(header=[h.strip() for h in header], rows=rows)


# --- the worksheet scan ---------------------------------------------------------------------------

# The elements the scan needs (any namespace prefix), with their attributes; quoted values may hold ">".
_ELEMENT = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?(dimension|row|c|f)(?=[\s/>])((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_ATTR_R = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ATTR_ID = re.compile(rb"""(?:^|\s)(?:[A-Za-z_][\w.-]*:)?id\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(rb"\$?([A-Za-z]+)\$?([0-9]+)")
_SHEET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\s((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\s((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTR = re.compile(rb"""([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CHUNK = 1 << 20
_HUGE = 10**9  # a reference too long to be anything but beyond every limit
_MAX_TAG = 1 << 20


def column_letter(number: int) -> str:
    """1 → A, 26 → Z, 27 → AA, 16384 → XFD."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters.upper():
        number = number * 26 + byte - 64
    return number


def _attrs(text: bytes) -> dict[bytes, bytes]:
    """Attributes by local name (``r:id`` → ``id``)."""
    found = {}
    for match in _ATTR.finditer(text):
        found[match.group(1).split(b":")[-1]] = match.group(2) if match.group(2) is not None else match.group(3)
    return found


def _first_sheet_part(archive: zipfile.ZipFile) -> list[str]:
    """The part holding the workbook's first sheet (what the parser reads), else every worksheet part."""
    names = set(archive.namelist())
    worksheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    try:
        with archive.open("xl/workbook.xml") as handle:
            workbook = handle.read(_MAX_TAG * 4)
        with archive.open("xl/_rels/workbook.xml.rels") as handle:
            rels = handle.read(_MAX_TAG * 4)
    except KeyError:
        return worksheets
    first = _SHEET.search(workbook)
    rel_id = _attrs(first.group(1)).get(b"id") if first else None
    for match in _RELATIONSHIP.finditer(rels):
        attrs = _attrs(match.group(1))
        if attrs.get(b"Id") == rel_id and attrs.get(b"Target"):
            target = attrs[b"Target"].decode("utf-8", "replace")
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            parts: list[str] = []
            for piece in path.split("/"):
                if piece == "..":
                    if parts:
                        parts.pop()
                elif piece not in {"", "."}:
                    parts.append(piece)
            path = "/".join(parts)
            if path in names:
                return [path]
    return worksheets


def _check_extents(data: bytes, *, max_rows: int, max_columns: int, max_cells: int) -> None:
    """Scan the first worksheet's XML as a stream (no tree is built) and refuse what cannot be a data sheet.

    A quick pass (a few regular expressions over each decompressed megabyte) accepts an ordinary sheet; only
    when it sees something to refuse, or cells without a reference, does the exact pass run, which walks the
    cells in order and names the first offending one.
    """
    last_row = max_rows + 1  # the title row, then the data rows
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for part in _first_sheet_part(archive):
                with archive.open(part) as handle:
                    clean = _quick_scan(handle, last_row=last_row, max_columns=max_columns, max_cells=max_cells)
                if not clean:
                    with archive.open(part) as handle:
                        _scan_worksheet(handle, last_row=last_row, max_columns=max_columns, max_cells=max_cells)
    except SpreadsheetError:
        raise
    except ZIP_READ_ERRORS as exc:
        # A damaged entry (bad CRC, bad deflate stream), an encrypted or unsupported one.
        raise SpreadsheetError(_("The workbook could not be read: %(error)s") % {"error": exc}) from exc


# The quick pass is a few searches for literal-led patterns (fast in C, no match objects for ordinary cells).
# ``<c r="A1"`` with the reference first is how Excel, LibreOffice, WPS and openpyxl write cells; any other
# form (a namespace prefix, another attribute order, no reference), a formula, or a reference beyond the
# limits sends the sheet to the exact pass.
_ODD_CELL = re.compile(rb'<c(?! r="[A-Z]{1,3}[0-9]{1,7}")[\s/>]')
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_FORMULA = re.compile(rb"<f[\s/>]")
_PREFIXED_FORMULA = re.compile(rb":f[\s/>]")
_STANDARD_CELL = b'<c r="'


def _greater_than(text: str, alphabet: str) -> str:
    """A regular expression matching the strings of ``alphabet`` that sort after ``text`` as numbers do
    (longer is greater; same length: by position), e.g. column letters after "AX" or row numbers after "1001".
    """
    low, high = alphabet[0], alphabet[-1]
    options = [f"[{low}-{high}]{{{len(text) + 1},}}"]
    for index, char in enumerate(text):
        after = alphabet[alphabet.index(char) + 1 :]
        if after:
            rest = len(text) - index - 1
            options.append(
                re.escape(text[:index]) + f"[{after[0]}-{after[-1]}]" + (f"[{low}-{high}]{{{rest}}}" if rest else "")
            )
    return "(?:" + "|".join(options) + ")"


def _beyond(max_columns: int, last_row: int) -> tuple[re.Pattern, re.Pattern]:
    letters = column_letter(max_columns) if max_columns > 0 else ""
    columns = _greater_than(letters, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") if letters else "[A-Z]+"
    rows = _greater_than(str(last_row), "0123456789")
    return (
        re.compile(b'<c r="' + columns.encode() + b"[0-9]"),
        re.compile(b'<c r="[A-Z]{1,3}' + rows.encode() + b'"'),
    )


def _bodies(handle):
    """The decompressed XML in pieces of about a megabyte, each cut just before a ``<``."""
    tail = b""
    head = True
    while True:
        chunk = handle.read(_CHUNK)
        if head and chunk:
            head = False
            if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:200]:
                raise SpreadsheetError(_("The workbook could not be read: %(error)s") % {"error": "UTF-16"})
        if not chunk:
            if tail:
                yield tail
            return
        buffer = tail + chunk
        cut = buffer.rfind(b"<")
        if cut < 0:
            cut = len(buffer)
        body, tail = buffer[:cut], buffer[cut:]
        if len(tail) > _MAX_TAG:
            raise SpreadsheetError(_("The workbook could not be read: %(error)s") % {"error": "tag too long"})
        yield body


def _quick_scan(handle, *, last_row: int, max_columns: int, max_cells: int) -> bool:
    """True when every cell has a reference within the limits, there are few enough and no formula."""
    column_beyond, row_beyond = _beyond(max_columns, last_row)
    checks = (_FORMULA, _ODD_CELL, _PREFIXED_CELL, _PREFIXED_FORMULA, column_beyond, row_beyond)
    cells = 0
    for body in _bodies(handle):
        if any(check.search(body) for check in checks):
            return False
        cells += body.count(_STANDARD_CELL)
        if cells > max_cells:
            return False
    return True


def _scan_worksheet(handle, *, last_row: int, max_columns: int, max_cells: int) -> None:
    row = 0
    column = 0
    cells = 0
    for body in _bodies(handle):
        for match in _ELEMENT.finditer(body):
            name = match.group(1)
            if name == b"c":
                cells += 1
                ref = _ATTR_R.search(match.group(2))
                found = _CELL_REF.fullmatch(ref.group(1) or ref.group(2) or b"") if ref else None
                if found:
                    letters, digits = found.group(1), found.group(2).lstrip(b"0") or b"0"
                    column = _column_number(letters) if len(letters) <= 4 else _HUGE
                    row = int(digits) if len(digits) <= 9 else _HUGE
                else:
                    column += 1
                if column > max_columns:
                    raise SpreadsheetError(
                        _(
                            "The sheet reaches column %(letter)s (%(columns)s columns, at cell %(cell)s); "
                            "at most %(max)s columns are accepted."
                        )
                        % {
                            "letter": column_letter(column),
                            "columns": column,
                            "cell": f"{column_letter(column)}{row}",
                            "max": max_columns,
                        }
                    )
                if row > last_row:
                    raise SpreadsheetError(
                        _(
                            "The sheet reaches row %(row)s (at cell %(cell)s); at most %(max)s rows of data "
                            "(up to row %(last)s) are accepted."
                        )
                        % {"row": row, "cell": f"{column_letter(column)}{row}", "max": last_row - 1, "last": last_row}
                    )
                if cells > max_cells:
                    raise SpreadsheetError(_("The sheet holds more than %(max)s cells.") % {"max": max_cells})
            elif name == b"row":
                # Only cells cost the parser memory: an empty <row r="1048576"/> is harmless.
                ref = _ATTR_R.search(match.group(2))
                value = (ref.group(1) or ref.group(2) or b"").strip() if ref else b""
                row = int(value) if value.isdigit() and len(value) < 9 else row + 1
                column = 0
            elif name == b"f":
                cell = f"{column_letter(max(column, 1))}{max(row, 1)}"
                raise SpreadsheetError(
                    _(
                        "Cell %(cell)s (row %(row)s, column %(column)s) holds a formula; formulas are not "
                        "accepted. Copy the sheet and paste it as values only, then upload it again."
                    )
                    % {"cell": cell, "row": max(row, 1), "column": column_letter(max(column, 1))}
                )
            # <dimension ref> is only the writer's claim: the cells above are what the parser allocates for.


# --- the parser, in a child process ---------------------------------------------------------------


def _parse_in_child(data: bytes) -> tuple[list[str], list[list[str]]]:
    limit = settings.IMPORT_PARSE_MAX_MEMORY
    try:
        completed = subprocess.run(  # noqa: S603 - our own script, no shell
            [sys.executable, "-I", str(_CHILD), str(limit)],
            input=data,
            capture_output=True,
            timeout=settings.IMPORT_PARSE_TIMEOUT,
            check=False,
            env={**os.environ, "RUST_BACKTRACE": "0"},
        )
    except subprocess.TimeoutExpired as exc:
        logger.warning("spreadsheet parser timed out after %s s", settings.IMPORT_PARSE_TIMEOUT)
        raise SpreadsheetError(
            _("Reading the workbook took longer than %(seconds)s seconds and was stopped.")
            % {"seconds": settings.IMPORT_PARSE_TIMEOUT}
        ) from exc
    result = None
    if completed.returncode == 0:
        try:
            result = marshal.loads(completed.stdout)  # noqa: S302 - written by our own child script
        except (EOFError, ValueError, TypeError):
            result = None
    if not isinstance(result, tuple) or not result:
        logger.warning(
            "spreadsheet parser failed (exit %s): %s",
            completed.returncode,
            completed.stderr[-2000:].decode("utf-8", "replace"),
        )
        raise SpreadsheetError(
            _("The workbook could not be read: it needs more memory or time than an import may use.")
            if b"MemoryError" in completed.stderr or completed.returncode < 0
            else _("The workbook could not be read.")
        )
    if result[0] == "ok":
        return result[1], result[2]
    if result[1] == "no-sheet":
        raise SpreadsheetError(_("The workbook has no worksheet."))
    raise SpreadsheetError(_("The workbook could not be read: %(error)s") % {"error": result[2]})


def safe_cell(value):
    """Neutralise formula injection in text; pass numbers and dates through."""
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal, date, datetime)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def xlsx_response(data: bytes, filename: str):
    """An .xlsx download (``data`` from :func:`write_xlsx`) named ``filename`` (ASCII)."""
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence], *, title: str = "Sheet1") -> bytes:
    """A one-sheet workbook; every cell passes through :func:`safe_cell`."""
    from openpyxl import Workbook  # noqa: PLC0415 - heavy, only for exports
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header_cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=safe_cell(name))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- a fast writer: the sheet's XML written directly ------------------------------------------------
#
# openpyxl (write-only) builds an object per cell and writes ~2,000–8,000 rows a second here; the open data
# writes tens of thousands of rows per build. :func:`xlsx_row` turns a row into its sheet XML once (inline
# strings, so no shared-string table to build; dates as serial numbers with a date style), split where the
# row number goes, so the same row is placed in several files at the cost of a ``str.join``;
# :func:`write_xlsx_rows` zips those rows with the few fixed parts of a workbook. Every text cell is an
# inline string (``t="inlineStr"``): never a formula, whatever it starts with — and it passes
# :func:`safe_cell` as well, so the values are the same as openpyxl's writer gave.

_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
# Characters XML 1.0 cannot carry at all (openpyxl refuses them): dropped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_EPOCH_TIME = datetime(1899, 12, 30)  # noqa: DTZ001 - a spreadsheet's times are naive (local)
STYLE_BOLD, STYLE_DATE, STYLE_DATETIME = 1, 2, 3
_XLSX_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_XLSX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_XLSX_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    "</Relationships>"
)
_XLSX_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    "</Relationships>"
)
_XLSX_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Microsoft Excel</Application></Properties>"
)
_XLSX_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created></cp:coreProperties>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


_XML_WORK = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CELL_OPEN: list[str] = []  # '<c r="A', '<c r="B', … (the row number follows)


def _text_cell(text: str, s: str = "") -> str:
    """A text cell's XML after its reference: an inline string (never a formula), :func:`safe_cell` applied."""
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    if _XML_WORK.search(text):
        text = _XML_ILLEGAL.sub("", text).translate(_XML_ESCAPES)
    if text[:1].isspace() or text[-1:].isspace():
        return f'"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'"{s} t="inlineStr"><is><t>{text}</t></is></c>'


def _xml_cell(value, style: int = 0) -> str:
    """A cell's XML after its ``<c r="A`` + row number (``""`` for an empty cell)."""
    value = safe_cell(value)
    s = f' s="{style}"' if style else ""
    if value is None:
        return ""
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - _EXCEL_EPOCH_TIME
        serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
        return f'" s="{style or STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'" s="{style or STYLE_DATE}"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, (int, float, Decimal)) and (not isinstance(value, float) or math.isfinite(value)):
        return f'"{s}><v>{value}</v></c>'
    return _text_cell(str(value), s)


def xlsx_row(values: Sequence, style: int = 0, cache: dict | None = None) -> tuple[str, ...]:
    """The sheet XML of one row, in pieces to join with its row number (``str(n).join(pieces)``).

    ``cache`` (a dict the caller keeps for one workbook or build, ``style`` 0 only) holds the XML of the text
    and date values already seen: the plan, task and authority names of the open data repeat on every row.
    """
    while len(_CELL_OPEN) < len(values):
        _CELL_OPEN.append(f'<c r="{column_letter(len(_CELL_OPEN) + 1)}')
    pieces = ['<row r="']
    tail = '">'
    for index, value in enumerate(values):
        if value is None:
            continue
        kind = type(value)
        if cache is not None and (kind is str or kind is date or kind is int):
            cell = cache.get(value)
            if cell is None:
                cell = cache[value] = _text_cell(value) if kind is str else _xml_cell(value)
        elif kind is str:
            cell = _text_cell(value, f' s="{style}"' if style else "")
        else:
            cell = _xml_cell(value, style)
        pieces.append(tail + _CELL_OPEN[index])
        tail = cell
    pieces.append(tail + "</row>")
    return tuple(pieces)


def write_xlsx_rows(header: Sequence[str], rows: Iterable[tuple[str, ...]], *, title: str = "Sheet1") -> bytes:
    """A one-sheet workbook: a bold header row, then ``rows`` made by :func:`xlsx_row` (numbered from 2)."""
    buffer = io.BytesIO()
    title = title[:31].translate(_XML_ESCAPES)
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", _XLSX_CONTENT_TYPES)
        archive.writestr("_rels/.rels", _XLSX_ROOT_RELS)
        archive.writestr("docProps/app.xml", _XLSX_APP)
        archive.writestr("docProps/core.xml", _XLSX_CORE.format(created=created))
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", _XLSX_WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _XLSX_STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((_SHEET_HEAD + "1".join(xlsx_row(header, STYLE_BOLD))).encode("utf-8"))
            batch: list[str] = []
            number = 2
            for pieces in rows:
                batch.append(str(number).join(pieces))
                number += 1
                if len(batch) == 2000:
                    sheet.write("".join(batch).encode("utf-8"))
                    batch = []
            sheet.write(("".join(batch) + _SHEET_TAIL).encode("utf-8"))
    return buffer.getvalue()
