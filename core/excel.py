"""Spreadsheet reading and writing shared by every import and export.

Reading uses python-calamine (fast), after checking the file is a sane .xlsx: size, zip structure,
number of entries and uncompressed size (zip bombs). Writing uses openpyxl in write-only mode and
neutralises formula injection: a text cell starting with = + - @ (or a tab / carriage return) is
prefixed with an apostrophe so no spreadsheet program evaluates it.
"""

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.utils.translation import gettext as _

MAX_ZIP_ENTRIES = 200
MAX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed for the whole archive
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SpreadsheetError(Exception):
    """The file cannot be read as a spreadsheet; the message says why, for the user."""


@dataclass
class Sheet:
    header: list[str]
    rows: list[list[str]]  # data rows as text; row i is spreadsheet row i + 2

    def __len__(self) -> int:
        return len(self.rows)


def cell_text(value) -> str:
    """A cell as text: integral floats lose their '.0' (calamine returns numbers as floats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


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
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError(_("The file is not an Excel workbook (.xlsx).")) from exc
    if "xl/workbook.xml" not in names:
        raise SpreadsheetError(_("The file is not an Excel workbook (.xlsx)."))


def read_sheet(data: bytes, *, max_bytes: int, max_rows: int = 500_000) -> Sheet:
    """The first worksheet: its header row and its data rows (blank rows dropped), all as text."""
    from python_calamine import CalamineError, CalamineWorkbook  # noqa: PLC0415 - native module, load lazily

    _check_archive(data, max_bytes)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise SpreadsheetError(_("The workbook has no worksheet."))
        sheet = workbook.get_sheet_by_index(0)
        rows_iter = sheet.iter_rows()
        header: list[str] | None = None
        rows: list[list[str]] = []
        for raw in rows_iter:
            texts = [v.strip() if v.__class__ is str else cell_text(v) for v in raw]  # most cells are text
            if header is None:
                header = texts
                continue
            if len(rows) >= max_rows:
                raise SpreadsheetError(_("The sheet has more than %(max)s rows.") % {"max": max_rows})
            rows.append(texts)
    except SpreadsheetError:
        raise
    except (CalamineError, ValueError, OSError) as exc:
        raise SpreadsheetError(_("The workbook could not be read: %(error)s") % {"error": exc}) from exc
    if not header or not any(header):
        raise SpreadsheetError(_("The sheet is empty: the first row must hold the column titles."))
    # Keep rows aligned with the spreadsheet's row numbers: blank rows stay as empty lists.
    rows = [row if any(row) else [] for row in rows]
    while rows and not rows[-1]:
        rows.pop()
    return Sheet(header=[h.strip() for h in header], rows=rows)


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
