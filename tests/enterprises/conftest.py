"""Helpers for the enterprise registry's tests: spreadsheets built in memory, enterprises in bureau jianan."""

import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from enterprises.data.industries import INDUSTRIES
from enterprises.models import Division, Industry
from enterprises.reference import load_reference_data
from enterprises.spreadsheet import HEADER, example_row
from tests.factories import EnterpriseFactory, valid_uscc


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the msgids) unless a test switches to Chinese itself."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def reference_data(request):
    """Divisions and industries come from a data migration; a transactional test elsewhere may have
    flushed them, so make sure they are there (one query when they are)."""
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            if Industry.objects.count() < len(INDUSTRIES):
                load_reference_data(Division, Industry)
            return


def make_xlsx(header, rows, *, title="Sheet1") -> bytes:
    """An .xlsx with ``header`` in row 1 and ``rows`` below (values written as given)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row_for(uscc: str, name: str, **cells) -> list:
    """A full row under HEADER: the template's example row with the given cells (by column title) replaced."""
    values = dict(zip(HEADER, example_row(), strict=True))
    values.update({"统一社会信用代码": uscc, "企业名称": name})
    values.update(cells)
    return [values[title] for title in HEADER]


@pytest.fixture
def xlsx():
    return make_xlsx


@pytest.fixture
def town(db):
    return Division.objects.get(code="411003100")  # 将官池镇


@pytest.fixture
def chem(db):
    return Industry.objects.get(code="2614")


@pytest.fixture
def enterprise(bureau, town, chem):
    return EnterpriseFactory(
        bureau=bureau, uscc=valid_uscc(1), name="许昌宏达化工有限公司", division=town, industry=chem, pollutes_air=True
    )


@pytest.fixture
def foreign_enterprise(other_bureau):
    return EnterpriseFactory(bureau=other_bureau, uscc=valid_uscc(2), name="鄢陵外局企业有限公司")
