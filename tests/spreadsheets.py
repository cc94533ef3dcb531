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


def raw_xlsx(sheet_data: str, *, dimension: str = "") -> bytes:
    """A minimal hand-written .xlsx whose first sheet's ``<sheetData>`` is ``sheet_data`` (hostile files)."""
    import zipfile

    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + (f'<dimension ref="{dimension}"/>' if dimension else "")
            + f"<sheetData>{sheet_data}</sheetData></worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def text_cell(ref: str, text: str) -> str:
    """An inline-string cell for :func:`raw_xlsx`."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def far_corner_xlsx(corner: str) -> bytes:
    """The attack file: a title in A1 and one more cell at ``corner`` (XFD1048576: 512 GiB for the parser)."""
    row = "".join(ch for ch in corner if ch.isdigit())
    return raw_xlsx(
        f'<row r="1">{text_cell("A1", "x")}</row><row r="{row}">{text_cell(corner, "y")}</row>',
        dimension=f"A1:{corner}",
    )


def formula_xlsx() -> bytes:
    """A formula cell as LibreOffice saves it: the formula and its cached value."""
    return raw_xlsx(
        f'<row r="1">{text_cell("A1", "名称")}{text_cell("B1", "备注")}</row>'
        f'<row r="2">{text_cell("A2", "甲")}<c r="B2" t="str"><f>HYPERLINK("http://x","y")</f><v>y</v></c></row>'
    )
