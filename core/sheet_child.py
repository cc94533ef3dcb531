"""Parse the first worksheet of an .xlsx in a child process, under a memory limit.

Standard library and python-calamine only (no Django): ``core.excel.read_sheet`` runs this file as a
script with ``sys.executable``, writes the workbook to its standard input, and reads back one
``marshal``-encoded tuple from its standard output:

- ``("ok", header, rows)``: the header row and the data rows, every cell as text;
- ``("error", code, detail)``: ``code`` is ``"no-sheet"`` or ``"unreadable"`` (``detail``: the parser's message).

Before importing the parser the child limits its own address space (``argv[1]``: bytes) so whatever the
parser tries to allocate, only the child dies; the parent turns a crash, a timeout or a MemoryError into a
message for the user.
"""

import io
import marshal
import resource
import sys
from datetime import date, datetime, time


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


def parse(data: bytes) -> tuple:
    from python_calamine import CalamineError, CalamineWorkbook  # noqa: PLC0415 - after the memory limit

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            return ("error", "no-sheet", "")
        sheet = workbook.get_sheet_by_index(0)
        header: list[str] | None = None
        rows: list[list[str]] = []
        for raw in sheet.iter_rows():
            texts = [v.strip() if v.__class__ is str else cell_text(v) for v in raw]  # most cells are text
            if header is None:
                header = texts
            else:
                rows.append(texts)
    except (CalamineError, ValueError, OSError) as exc:
        return ("error", "unreadable", str(exc)[:500])
    return ("ok", header or [], rows)


def main() -> int:
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    data = sys.stdin.buffer.read()
    result = parse(data)
    del data
    sys.stdout.buffer.write(marshal.dumps(result))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
