"""Words for internal codes a person reads: ``{% load words %}``.

``{{ label|stratum_name }}`` turns a draw's stratum label (``2026Q4/general``, ``2026Q4/key/uncovered``, as
built by ``sampling.quota``) into '一般监管对象 · 2026年第四季度' ('General · Q4 2026'); the raw label stays
in the JSON records. ``core`` imports no app above it, so the tier words live here.
"""

from __future__ import annotations

import re

from django import template
from django.utils.translation import get_language, pgettext

from core.audit_words import action_words, object_words

register = template.Library()

STRATUM = re.compile(r"^(?P<year>\d{4})Q(?P<quarter>[1-4])/(?P<tier>[a-z_]+)(?:/(?P<part>[a-z_]+))?$")


def _tier(code: str) -> str | None:
    return {
        "general": pgettext("stratum", "General"),
        "key": pgettext("stratum", "Key"),
        "special": pgettext("stratum", "Special"),
    }.get(code)


def _quarter(year: str, quarter: str) -> str:
    text = {
        "1": pgettext("stratum", "Q1 %(year)s"),
        "2": pgettext("stratum", "Q2 %(year)s"),
        "3": pgettext("stratum", "Q3 %(year)s"),
        "4": pgettext("stratum", "Q4 %(year)s"),
    }[quarter]
    return text % {"year": year}


def _part(code: str | None) -> str | None:
    if not code:
        return ""
    return {"uncovered": pgettext("stratum", "not yet inspected this year")}.get(code)


def stratum_words(label: str) -> str:
    """The stratum in words; a label of another shape is returned unchanged."""
    match = STRATUM.match(str(label or ""))
    if not match:
        return label
    tier, part = _tier(match["tier"]), _part(match["part"])
    if tier is None or part is None:
        return label
    words = [tier + (f"（{part}）" if part and _is_chinese(tier) else f" ({part})" if part else "")]
    words.append(_quarter(match["year"], match["quarter"]))
    return " · ".join(words)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


_STRATUM_WORDS: dict[tuple, str] = {}


@register.filter
def stratum_name(label):
    """:func:`stratum_words`, once per label and language (a draw page shows 200 rows of a few strata)."""
    key = (str(label or ""), get_language())
    found = _STRATUM_WORDS.get(key)
    if found is None:
        if len(_STRATUM_WORDS) > 1000:
            _STRATUM_WORDS.clear()
        found = _STRATUM_WORDS[key] = stratum_words(label)
    return found


@register.filter
def audit_action(code):
    """An audit action code in words (the code itself only in a title attribute)."""
    return action_words(code)


@register.filter
def audit_object(entry):
    """An audit entry's object: the model's verbose name and its recorded name, never 'app.model id'."""
    return object_words(entry.object_type, entry.object_repr)
