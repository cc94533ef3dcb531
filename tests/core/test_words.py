"""Words for internal codes (issue 17): stratum labels, audit actions and objects."""

import pytest
from django.utils import translation

from core.audit_words import ACTIONS, action_words, object_words
from core.templatetags.words import stratum_words


@pytest.mark.parametrize(
    "label, zh, en",
    [
        ("2026Q4/general", "一般监管对象 · 2026年第四季度", "General · Q4 2026"),
        (
            "2026Q1/key/uncovered",
            "重点监管对象（本年度未检查） · 2026年第一季度",
            "Key (not yet inspected this year) · Q1 2026",
        ),
        ("2027Q2/special", "特殊监管对象 · 2027年第二季度", "Special · Q2 2027"),
        ("something else", "something else", "something else"),
    ],
)
def test_stratum_words(label, zh, en):
    with translation.override("zh-hans"):
        assert stratum_words(label) == zh
    with translation.override("en"):
        assert stratum_words(label) == en


def test_audit_actions_in_words_never_a_code():
    with translation.override("zh-hans"):
        assert action_words("publication.batch_published") == "批量公示检查结果"
        assert action_words("some.unknown_action") == "记录"
        for code in ACTIONS:
            assert "." not in action_words(code) and "_" not in action_words(code), code


def test_audit_objects_by_their_model_name_also_before_the_move():
    with translation.override("zh-hans"):
        assert object_words("sampling.inspectiontask", "JA-2026-0044") == "检查任务：JA-2026-0044"
        assert object_words("inspections.inspectiontask", "JA-2026-0044") == "检查任务：JA-2026-0044"
        assert object_words("gone.model", "X") == "记录：X"
        assert object_words("", "") == ""
