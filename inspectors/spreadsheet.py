"""The inspector spreadsheet: its columns, and reading its cells into values (no database here).

The same columns serve the template, the import and the export (the export adds read-only status
columns that an import ignores, so an exported file can be edited and imported again). Column titles
are recognised in Chinese and in English, with or without the ``*`` that marks a required column.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.excel import Sheet

from .enums import InspectorKind


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # lazy
    required: bool = False
    help: str = ""  # lazy
    example: str = ""


IMPORT_COLUMNS = [
    Column(
        "code",
        pgettext_lazy("inspector sheet", "Staff code"),
        True,
        gettext_lazy("Letters, digits, - and _; unique."),
        "ZF001",
    ),
    Column("name", pgettext_lazy("inspector sheet", "Name"), True, "", "张伟"),
    Column(
        "kind",
        pgettext_lazy("inspector sheet", "Kind of staff"),
        False,
        gettext_lazy("Enforcement officer or daily-supervision staff; empty means enforcement officer."),
        "执法人员",
    ),
    Column("unit", pgettext_lazy("inspector sheet", "Unit"), False, "", "执法大队一中队"),
    Column("phone", pgettext_lazy("inspector sheet", "Phone"), False, "", "13800000000"),
    Column("certificate_number", pgettext_lazy("inspector sheet", "Certificate number"), False, "", "豫环执41100301"),
    Column(
        "certificate_valid_from",
        pgettext_lazy("inspector sheet", "Certificate valid from"),
        False,
        gettext_lazy("A date cell, or text such as 2024-01-01."),
        "2024-01-01",
    ),
    Column(
        "certificate_valid_until", pgettext_lazy("inspector sheet", "Certificate valid until"), False, "", "2028-12-31"
    ),
    Column(
        "specialties",
        pgettext_lazy("inspector sheet", "Specialty industry codes"),
        False,
        gettext_lazy("GB/T 4754-2017 codes separated by 、 , or ;"),
        "2614、2710",
    ),
    Column("specialty_note", pgettext_lazy("inspector sheet", "Specialty note"), False, "", "危险废物"),
    Column(
        "region",
        pgettext_lazy("inspector sheet", "Region"),
        False,
        gettext_lazy("Administrative division code or name."),
        "新元街道",
    ),
]
# Written by the export for reading; an import ignores them (transfers are recorded on the inspector's page).
EXPORT_EXTRA_COLUMNS = [
    Column("status", pgettext_lazy("inspector sheet", "Status")),
    Column("inactive_since", pgettext_lazy("inspector sheet", "Inactive since")),
    Column("inactive_reason", pgettext_lazy("inspector sheet", "Reason inactive")),
    Column("certificate_status", pgettext_lazy("inspector sheet", "Certificate status")),
]
SPECIALTY_SEPARATORS = re.compile(r"[、,，;；\s]+")
DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
EXCEL_EPOCH = date(1899, 12, 30)


def template_titles() -> list[str]:
    """Column titles for the template, in the current language; required ones end with *."""
    return [f"{column.title}*" if column.required else str(column.title) for column in IMPORT_COLUMNS]


def export_titles() -> list[str]:
    return [str(column.title) for column in (*IMPORT_COLUMNS, *EXPORT_EXTRA_COLUMNS)]


def _normalise_title(title: str) -> str:
    return re.sub(r"[\s*＊]+", "", title).casefold()


def _title_aliases() -> dict[str, str]:
    """{normalised title: column key} for every language the site offers, and the keys themselves."""
    aliases: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for column in IMPORT_COLUMNS:
                aliases[_normalise_title(str(column.title))] = column.key
    for column in IMPORT_COLUMNS:
        aliases[_normalise_title(column.key)] = column.key
    return aliases


def _kind_aliases() -> dict[str, str]:
    aliases = {value.casefold(): value for value in InspectorKind.values}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in InspectorKind.choices:
                aliases[str(label).casefold()] = value
    aliases.update({"执法": InspectorKind.ENFORCEMENT, "行政执法人员": InspectorKind.ENFORCEMENT})
    aliases.update({"日常监管": InspectorKind.SUPERVISION, "监管人员": InspectorKind.SUPERVISION})
    return aliases


def column_title(key: str) -> str:
    """A column's title in the current language (for errors about a column missing from the file)."""
    return next(str(column.title) for column in IMPORT_COLUMNS if column.key == key)


@dataclass
class HeaderMatch:
    positions: dict[str, int]  # column key -> index in the row
    titles: dict[str, str]  # column key -> the title as written in the file
    errors: list[dict] = field(default_factory=list)


def match_header(header: list[str]) -> HeaderMatch:
    """Find the known columns in the header row (row 1). Unknown columns are ignored."""
    aliases = _title_aliases()
    match = HeaderMatch(positions={}, titles={})
    for index, title in enumerate(header):
        key = aliases.get(_normalise_title(title)) if title else None
        if key is None:
            continue
        if key in match.positions:
            match.errors.append({"row": 1, "column": title, "message": _("This column appears twice.")})
            continue
        match.positions[key] = index
        match.titles[key] = title
    for column in IMPORT_COLUMNS:
        if column.required and column.key not in match.positions:
            match.errors.append(
                {"row": 1, "column": str(column.title), "message": _("This required column is missing.")}
            )
    return match


@dataclass
class ParsedRow:
    row: int  # the spreadsheet's row number (the header is row 1)
    values: dict  # column key -> value, only for the columns present in the file
    errors: dict[str, str] = field(default_factory=dict)  # column key -> message


def parse_date(text: str) -> date:
    """A date typed or formatted in the ways Chinese offices write them; ValueError otherwise."""
    text = text.strip()
    if " " in text:  # a datetime cell: "2024-01-01 08:00:00"
        text = text.split(" ", 1)[0]
    for pattern in DATE_PATTERNS:
        found = pattern.match(text)
        if found:
            year, month, day = (int(part) for part in found.groups())
            return date(year, month, day)
    if text.isdigit() and 20000 <= int(text) <= 80000:  # an Excel serial number left unformatted
        return EXCEL_EPOCH + timedelta(days=int(text))
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError(text) from None


def split_codes(text: str) -> list[str]:
    codes: list[str] = []
    for code in SPECIALTY_SEPARATORS.split(text.strip()):
        if code and code not in codes:
            codes.append(code.upper() if code.isalpha() else code)
    return codes


def parse_rows(sheet: Sheet, header: HeaderMatch) -> list[ParsedRow]:
    """Every non-blank data row as values by column key, with the cells that could not be read."""
    kinds = _kind_aliases()
    parsed: list[ParsedRow] = []
    for offset, cells in enumerate(sheet.rows):
        if not cells or not any(cells):
            continue
        row = ParsedRow(row=offset + 2, values={})
        for key, index in header.positions.items():
            text = cells[index].strip() if index < len(cells) else ""
            if key == "kind":
                if not text:
                    row.values[key] = InspectorKind.ENFORCEMENT
                elif text.casefold() in kinds:
                    row.values[key] = kinds[text.casefold()]
                else:
                    row.errors[key] = _("Unknown kind %(value)s: write %(choices)s.") % {
                        "value": text,
                        "choices": " / ".join(str(label) for label in InspectorKind.labels),
                    }
            elif key in ("certificate_valid_from", "certificate_valid_until"):
                if not text:
                    row.values[key] = None
                else:
                    try:
                        row.values[key] = parse_date(text)
                    except ValueError:
                        row.errors[key] = _("%(value)s is not a date: write it like 2024-01-31.") % {"value": text}
            elif key == "specialties":
                row.values[key] = split_codes(text)
            else:
                row.values[key] = text
        parsed.append(row)
    return parsed
