"""The shipped PDF font covers GB 2312 and every character of the demo data (scripts/build_pdf_font.py)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from fontTools.ttLib import TTFont

from tests.pdf import assert_shipped_font_embedded, pdf_without_system_fonts, pdffonts, pdftext, shipped_fonts

FONT_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "fonts" / "noto-sans-sc"
FILES = ("files/noto-sans-sc-gb2312-400-normal.woff", "files/noto-sans-sc-gb2312-700-normal.woff")
# The text of the demo data and of the registries' reference data (divisions, GB/T 4754 industries).
DEMO_SOURCES = (
    "demo/generate.py",
    "sampling/demo.py",
    "inspections/demo.py",
    "disclosure/demo.py",
    "enterprises/data/divisions.py",
    "enterprises/data/industries.py",
)
MAX_BYTES = 2_600_000  # per weight (2.4 MB when built)


def gb2312_rows(first: int, last: int) -> set[str]:
    """The characters of GB 2312 rows ``first``..``last`` (row 16-55: level 1, 56-87: level 2)."""
    chars = set()
    for row in range(first, last + 1):
        for cell in range(1, 95):
            try:
                chars.add(bytes((0xA0 + row, 0xA0 + cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


@pytest.fixture(scope="module", params=FILES)
def cmap(request):
    return TTFont(FONT_DIR / request.param).getBestCmap()


def missing(cmap, chars) -> list[str]:
    return sorted(ch for ch in chars if ord(ch) not in cmap)


def test_gb2312_level_1_and_2_are_covered(cmap):
    level_1, level_2 = gb2312_rows(16, 55), gb2312_rows(56, 87)
    assert (len(level_1), len(level_2)) == (3755, 3008)
    assert missing(cmap, level_1) == []
    assert missing(cmap, level_2) == []


def test_characters_the_old_subset_lacked_are_covered(cmap):
    # 潩 of 潩水 / 清潩河 (demo data), rare GB 2312 hanzi and symbols of the seeds' texts.
    assert missing(cmap, "潩邴伲①②≥≤→×℃—…“”《》、。，：；（）【】％") == []


def test_every_character_of_the_demo_data_is_covered(cmap):
    text = "".join((Path(settings.BASE_DIR) / path).read_text(encoding="utf-8") for path in DEMO_SOURCES)
    chars = {ch for ch in text if ord(ch) > 0x7F and ch.isprintable()}
    assert len(chars) > 500  # the demo names, addresses and outcomes
    assert missing(cmap, chars) == []


def test_ascii_and_cjk_punctuation_are_covered(cmap):
    assert missing(cmap, [chr(c) for c in range(0x20, 0x7F)]) == []
    assert missing(cmap, "　、。〃〈〉《》「」『』【】〔〕〖〗") == []


def test_font_files_stay_small():
    sizes = [(FONT_DIR / name).stat().st_size for name in FILES]
    assert all(size < MAX_BYTES for size in sizes), sizes


def test_css_names_the_files():
    for weight, name in zip((400, 700), FILES, strict=True):
        css = (FONT_DIR / f"gb2312-{weight}.css").read_text()
        assert re.search(rf"font-weight: {weight};", css)
        assert f"url(./{name})" in css


def test_a_rare_character_prints_without_any_system_font(tmp_path):
    html = "<html><body><p>清潩河 潩水 邴 伲 ① ≥ →</p><p><b>潩水河段</b></p></body></html>"
    pdf = pdf_without_system_fonts(html, tmp_path)
    fonts = pdffonts(pdf, tmp_path)
    assert shipped_fonts(fonts) == fonts, fonts
    assert_shipped_font_embedded(pdf, tmp_path)
    assert "".join(pdftext(pdf, tmp_path).split()) == "清潩河潩水邴伲①≥→潩水河段1/1"  # and the page counter
