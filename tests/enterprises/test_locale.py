"""Every UI string of the registry has a Chinese translation, compiled."""

from pathlib import Path

import polib
from django.utils import translation

import enterprises
from enterprises.enums import EnterpriseStatus, Tier

LOCALE = Path(enterprises.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_entry_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(LOCALE / "django.po"))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_the_compiled_catalogue_matches_the_po_file():
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    compiled = {(e.msgid, e.msgstr or e.msgstr_plural.get(0)) for e in mo if e.msgid}
    written = {(e.msgid, e.msgstr or e.msgstr_plural.get(0)) for e in po.translated_entries()}
    assert written <= compiled


def test_tier_and_status_names_in_chinese():
    with translation.override("zh-hans"):
        assert [str(label) for label in Tier.labels] == ["一般", "重点", "特殊"]
        assert [str(label) for label in EnterpriseStatus.labels] == ["正常生产", "停产", "关闭", "搬迁"]
