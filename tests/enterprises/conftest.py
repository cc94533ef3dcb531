"""Helpers for the enterprise registry's tests: spreadsheets built in memory, enterprises in bureau jianan."""

import pytest
from django.utils import translation

from enterprises.models import Division, Industry
from enterprises.spreadsheet import HEADER, example_row
from tests.factories import EnterpriseFactory, valid_uscc
from tests.spreadsheets import make_xlsx


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the msgids) unless a test switches to Chinese itself."""
    with translation.override("en"):
        yield


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
