"""Chinese is the default UI language: every message of every .po file is translated and compiled."""

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
PO_FILES = sorted(p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def test_there_are_translation_files():
    assert ROOT / "locale/zh_Hans/LC_MESSAGES/django.po" in PO_FILES


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in {po_path}: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in {po_path}: {fuzzy[:10]}"


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_is_up_to_date(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run python3 dev.py messages"
    # keyed by (context, msgid): the same msgid may be translated differently in two contexts
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo_path)) if not e.msgid_plural}
    source = {
        (e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(po_path)).translated_entries() if not e.msgid_plural
    }
    assert compiled == source, f"{mo_path} is stale: run python3 dev.py messages"
