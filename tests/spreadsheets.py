"""Building .xlsx files for import tests (the one builder every directory uses)."""

import io
from pathlib import Path

from openpyxl import Workbook


def make_xlsx(header, rows, *, title="Sheet1") -> bytes:
    """An .xlsx with ``header`` in row 1 (none when empty) and ``rows`` below (values written as given)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    if header:
        sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_path(directory: Path, name: str, header, rows) -> str:
    """The same workbook written to ``directory/name`` (for a browser's file chooser)."""
    path = Path(directory) / name
    path.write_bytes(make_xlsx(header, rows))
    return str(path)
