"""Files: the open data (CSV, JSON, .xlsx) and the reports (the annual plan table, the quarterly statistics).

The open data carries the national credit-publicity columns (抽查计划编号/名称, 抽查任务编号/名称, 抽查类型,
抽查机关, 抽查完成日期, 抽查结果) and the other public fields of DESIGN §3 rule 10. Column titles and
category names are the Chinese ones of the national system, whatever the reader's language. Every text
cell passes :func:`core.excel.safe_cell`, so a name starting with ``=`` is never a formula — in the
spreadsheet and in the CSV alike.
"""

from __future__ import annotations

import csv
import io
import json
import operator
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from core.excel import FORMULA_PREFIXES, safe_cell, write_xlsx, write_xlsx_rows, xlsx_row
from inspections.enums import DrawType, Outcome, gsxt_code, gsxt_wording

from .queries import TIER_OBJECTS

# (key in the JSON, column title, Publication field)
OPEN_DATA_COLUMNS = [
    ("uscc", "统一社会信用代码", "uscc"),
    ("enterprise", "企业名称", "enterprise_name"),
    ("plan_number", "抽查计划编号", "plan_number"),
    ("plan_name", "抽查计划名称", "plan_name"),
    ("task_number", "抽查任务编号", "plan_task_number"),
    ("task_name", "抽查任务名称", "plan_task_name"),
    ("check_type", "抽查类型", "draw_type"),
    ("authority", "抽查机关", "bureau_name"),
    ("completed_on", "抽查完成日期", "inspected_on"),
    ("result", "抽查结果", "outcome"),
    ("inspected_from", "检查开始日期", "inspected_from"),
    ("items_checked", "抽查事项", "items_checked"),
    ("tier", "监管类别", "tier"),
    ("year", "年度", "year"),
    ("quarter", "季度", "quarter"),
    ("inspection_number", "检查编号", "inspection_number"),
    ("published_on", "公示日期", "published_on"),
    # The national credit publicity system's (GSXT) category and code of the outcome
    # (inspections.enums.GSXT_OUTCOMES): derived from the outcome, not stored.
    ("gsxt_result", "公示系统抽查结果", "outcome:gsxt_wording"),
    ("gsxt_code", "公示系统抽查结果代码", "outcome:gsxt_code"),
]
OPEN_DATA_HEADER = [title for _key, title, _field in OPEN_DATA_COLUMNS]
# The Publication fields to read (``values_list(*OPEN_DATA_FIELDS)``); derived columns read none of their own.
OPEN_DATA_FIELDS = [field for _key, _title, field in OPEN_DATA_COLUMNS if ":" not in field]
_DERIVED = {"gsxt_wording": gsxt_wording, "gsxt_code": gsxt_code}
CSV_BOM = "\ufeff"
CHUNK = 2000

_OUTCOMES = dict(Outcome.choices)
_DRAW_TYPES = dict(DrawType.choices)


_SOURCE_INDEX = {field: i for i, field in enumerate(OPEN_DATA_FIELDS)}
# Each column's value is read from this position of the row, then (for a few) mapped by a function.
_COLUMN_SOURCES = operator.itemgetter(
    *[_SOURCE_INDEX[field.split(":")[0]] for _key, _title, field in OPEN_DATA_COLUMNS]
)
_NAMES = {"outcome": _OUTCOMES, "draw_type": _DRAW_TYPES, "tier": TIER_OBJECTS}
_COLUMN_MAPS = [
    (i, _DERIVED[field.split(":")[1]] if ":" in field else (lambda value, names=_NAMES[field]: names.get(value, value)))
    for i, (_key, _title, field) in enumerate(OPEN_DATA_COLUMNS)
    if ":" in field or field in _NAMES
]


def open_data_values(row: tuple) -> list:
    """A row of ``values_list(*OPEN_DATA_FIELDS)`` as the published values of every column (codes become
    their names; the GSXT columns come from the outcome)."""
    values = list(_COLUMN_SOURCES(row))
    for i, func in _COLUMN_MAPS:
        values[i] = func(values[i])
    return values


def _text(value) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return "" if value is None else str(value)


class _Echo:
    def write(self, value):
        return value


_CSV_WRITER = csv.writer(_Echo())
CSV_HEAD = CSV_BOM + _CSV_WRITER.writerow(OPEN_DATA_HEADER)


def csv_row(row: tuple) -> str:
    """One row of the CSV (formula-safe cells, CRLF)."""
    return csv_line(open_data_values(row))


def _csv_cell(value) -> str:
    kind = type(value)
    if kind is str:
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if kind is date:
        return value.isoformat()
    return _text(safe_cell(value))


def csv_line(values: list) -> str:
    """The CSV line of a row's :func:`open_data_values`."""
    return _CSV_WRITER.writerow(
        [v if type(v) is str and not v.startswith(FORMULA_PREFIXES) else _csv_cell(v) for v in values]
    )


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """CSV with a UTF-8 byte order mark (so Excel reads the Chinese), formula-safe cells, CRLF lines."""
    yield CSV_HEAD
    for row in rows:
        yield csv_row(row)


_JSON_KEYS = [key for key, _title, _field in OPEN_DATA_COLUMNS]
_JSON_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def json_head(meta: dict) -> str:
    columns = {key: title for key, title, _field in OPEN_DATA_COLUMNS}
    return json.dumps({"meta": meta, "columns": columns}, ensure_ascii=False)[:-1] + ', "results": ['


JSON_TAIL = "]}\n"


def json_record(row: tuple) -> str:
    """One result of the JSON file: ``{key: value}`` (dates as ISO text)."""
    return json_line(open_data_values(row))


def json_line(values: list) -> str:
    """The JSON record of a row's :func:`open_data_values`."""
    record = {
        key: value.isoformat() if isinstance(value, date) else value  # a datetime is a date too
        for key, value in zip(_JSON_KEYS, values, strict=True)
    }
    return _JSON_ENCODE(record)


def json_chunks(rows: Iterable[tuple], *, meta: dict) -> Iterator[str]:
    """``{"meta": …, "columns": {key: title}, "results": [{key: value}, …]}``, streamed."""
    yield json_head(meta)
    first = True
    for row in rows:
        yield ("" if first else ",\n") + json_record(row)
        first = False
    yield JSON_TAIL


XLSX_TITLE = "抽查结果"


def open_data_xlsx(rows: Iterable[tuple]) -> bytes:
    """The .xlsx of the open data: one sheet, bold column titles, dates as dates (``yyyy-mm-dd``), every text cell
    an inline string passed through :func:`core.excel.safe_cell` (never a formula)."""
    cells: dict = {}
    sheet_rows = (xlsx_row(open_data_values(row), cache=cells) for row in rows)
    return write_xlsx_rows(OPEN_DATA_HEADER, sheet_rows, title=XLSX_TITLE)


# --- reports -----------------------------------------------------------------------------------------

PLAN_TABLE_HEADER = [
    "序号",
    "抽查计划名称",
    "抽查任务名称",
    "抽查事项",
    "抽查对象",
    "抽查比例",
    "抽取日期自",
    "抽取日期至",
]


def plan_table_title(bureau, year: int) -> str:
    return f"{bureau.name}部门内部抽查工作计划表（{year}年度）"


def plan_table_xlsx(table: list[dict], *, bureau, year: int) -> bytes:
    """Seed 001's plan table: a title row, the column titles, then one row per task; a plan's 序号 and
    name are merged over its tasks' rows, as on the paper form."""
    from openpyxl import Workbook  # noqa: PLC0415 - heavy, only for exports
    from openpyxl.styles import Alignment, Border, Font, Side  # noqa: PLC0415

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{year}年度抽查计划"
    thin = Side(style="thin", color="444444")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.append([plan_table_title(bureau, year)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(PLAN_TABLE_HEADER))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(PLAN_TABLE_HEADER)
    for cell in sheet[2]:
        cell.font, cell.border = Font(bold=True), border
    for entry in table:
        first = sheet.max_row + 1
        rows = entry["rows"] or [None]
        for row in rows:
            sheet.append(
                [
                    entry["number"],
                    safe_cell(entry["plan"].name),
                    safe_cell(row["name"]) if row else None,
                    safe_cell(row["items"]) if row else None,
                    safe_cell(row["objects"]) if row else None,
                    safe_cell(row["ratio"]) if row else None,
                    row["draw_from"] if row else None,
                    row["draw_until"] if row else None,
                ]
            )
            for cell in sheet[sheet.max_row]:
                cell.border, cell.alignment = border, wrap
            for cell in sheet[sheet.max_row][6:8]:
                cell.number_format = "yyyy-mm-dd"
        last = sheet.max_row
        if last > first:
            sheet.merge_cells(start_row=first, start_column=1, end_row=last, end_column=1)
            sheet.merge_cells(start_row=first, start_column=2, end_row=last, end_column=2)
    for letter, width in zip("ABCDEFGH", (6, 28, 28, 30, 24, 36, 12, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


QUARTERLY_HEADER = [
    "抽查计划编号",
    "抽查任务名称",
    "监管类别",
    "应抽查对象数",
    "应抽取数",
    "已抽取数",
    "已检查数",
    "发现问题数",
    "按时公示数",
    "逾期数(逾期公示及逾期未公示)",
    "不予公开数",
    "联合检查占比(%)",
    "企业评价数",
    "企业评价平均分",
]


def _quarterly_values(row: dict, *, total: bool = False) -> list:
    return [
        "合计" if total else row["plan_number"],
        "" if total else row["task_name"],
        "" if total else row["tier_label"],
        row["population"],
        row["quota"],
        row["drawn"],
        row["inspected"],
        row["problems"],
        row["published_on_time"],
        row["overdue"],
        row["exempt"],
        float(row["joint_share"]) if row["joint_share"] is not None else None,
        row["evaluations"],
        float(row["rating_avg"]) if row["rating_avg"] is not None else None,
    ]


TARGETS_HEADER = ["考核指标", "实际值", "目标值", "差距", "说明"]


def _target_rows(sheet, targets, font) -> None:
    """The seed targets under the table (disclosure.targets): name, value, target, gap."""
    if not targets:
        return
    sheet.append([])
    sheet.append(TARGETS_HEADER)
    for cell in sheet[sheet.max_row]:
        cell.font = font(bold=True)
    for t in targets:
        value = t.text or (float(t.value) if t.value is not None else None)
        target = float(t.target) if t.target is not None else ("12月31日前" if t.key == "plan_filing" else None)
        gap = float(t.gap) if t.gap is not None else ("未按期" if t.met is False else None)
        sheet.append([safe_cell(t.name_zh), safe_cell(value), target, gap, safe_cell(t.detail)])


def quarterly_xlsx(stats: dict, *, bureau, year: int, quarter: int, today: date) -> bytes:
    """The quarterly statistics: a title row, a note with the due date, the column titles, rows, a total."""
    from openpyxl import Workbook  # noqa: PLC0415 - heavy, only for exports
    from openpyxl.styles import Font  # noqa: PLC0415

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{year}年第{quarter}季度"
    sheet.append([safe_cell(f"{bureau.name}{year}年第{quarter}季度“双随机、一公开”监管工作统计表")])
    sheet["A1"].font = Font(bold=True, size=13)
    due = stats["due"].isoformat() + ("（暂定）" if stats["due_provisional"] else "")
    sheet.append([f"统计截至{today.isoformat()}；报送期限：{due}（季度结束后3个工作日内）"])
    sheet.append(QUARTERLY_HEADER)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in stats["rows"]:
        sheet.append([safe_cell(v) for v in _quarterly_values(row)])
    sheet.append(_quarterly_values(stats["totals"], total=True))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    _target_rows(sheet, stats.get("targets") or [], Font)
    for letter, width in zip("ABCDEFGHIJKLMN", (26, 28, 14, *([11] * 11)), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the GSXT results exchange file (双随机抽查检查结果, issue 16 item 4) ------------------------------------
# The column layout of the national enterprise credit publicity system's (GSXT) import of 双随机 inspection
# results. No authoritative copy of GSXT's import template could be found (searched 2026-12: the public
# pages and code available to us show GSXT's published result pages, not its import template), so these
# columns follow the brief's list and the national credit-publicity columns already in the open data:
# one row per published result, every value text, dates as YYYY-MM-DD, the result as GSXT's wording with
# its code (inspections.enums.gsxt_wording / gsxt_code). Check against the template before a real import.
GSXT_COLUMNS = [
    ("统一社会信用代码/注册号", "uscc"),
    ("企业名称", "enterprise_name"),
    ("抽查计划编号", "plan_number"),
    ("抽查任务编号", "plan_task_number"),
    ("抽查任务名称", "plan_task_name"),
    ("抽查检查类型", "draw_type"),
    ("抽查检查日期", "inspected_on"),
    ("抽查检查结果", "outcome:gsxt_wording"),
    ("抽查检查结果代码", "outcome:gsxt_code"),
    ("检查实施机关", "bureau_name"),
    ("公示日期", "published_on"),
]
GSXT_HEADER = [title for title, _field in GSXT_COLUMNS]
GSXT_FIELDS = list(dict.fromkeys(field.split(":")[0] for _title, field in GSXT_COLUMNS))
GSXT_DATE_FORMAT = "%Y-%m-%d"


def gsxt_values(row: tuple) -> list[str]:
    """A row of ``values_list(*GSXT_FIELDS)`` as the exchange file's text cells."""
    values = dict(zip(GSXT_FIELDS, row, strict=True))
    cells = []
    for _title, field in GSXT_COLUMNS:
        source, _sep, derive = field.partition(":")
        value = values[source]
        if derive:
            value = _DERIVED[derive](value)
        elif source == "draw_type":
            value = _DRAW_TYPES.get(value, value)
        elif isinstance(value, date):
            value = value.strftime(GSXT_DATE_FORMAT)
        cells.append("" if value is None else str(value))
    return cells


def gsxt_csv(rows: Iterable[tuple]) -> str:
    """The exchange file as CSV (UTF-8 with a byte order mark, CRLF lines, formula-safe cells)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(GSXT_HEADER)
    for row in rows:
        writer.writerow([safe_cell(v) for v in gsxt_values(row)])
    return CSV_BOM + buffer.getvalue()


def gsxt_xlsx(rows: Iterable[tuple]) -> bytes:
    """The exchange file as a workbook of text cells (formula-safe, :func:`core.excel.write_xlsx`)."""
    return write_xlsx(GSXT_HEADER, (gsxt_values(row) for row in rows), title="抽查检查结果")
