"""Helpers for the inspector registry tests."""

import pytest

from enterprises.models import Division, Industry
from tests.spreadsheets import make_xlsx

# The template's titles in Chinese (the default language), without the * of required columns.
HEADER = [
    "人员编号",
    "姓名",
    "人员类别",
    "所属单位",
    "联系电话",
    "执法证号",
    "执法证有效期起",
    "执法证有效期止",
    "专长行业代码",
    "专长说明",
    "所在区域",
]


def xlsx(rows) -> bytes:
    """An .xlsx whose first sheet holds ``rows`` (the first one is the header)."""
    rows = list(rows)
    return make_xlsx(rows[0] if rows else [], rows[1:])


@pytest.fixture
def industry(db):
    """industry("2614") -> the Industry with that code (shipped reference data)."""
    return lambda code: Industry.objects.get(code=code)


@pytest.fixture
def division(db):
    return lambda code: Division.objects.get(code=code)
