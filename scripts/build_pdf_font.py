"""Build the PDF font the project ships: Noto Sans SC, one file per weight (400, 700), subset to
GB 2312 (its 6,763 hanzi of levels 1 and 2 and its 682 symbols), ASCII, CJK and general punctuation,
full-width forms, and every character of the project's own text (demo data, registries' reference
data, translations, templates).

Source: Debian's ``fonts-noto-cjk`` (the "Noto Sans CJK SC" face of ``NotoSansCJK-Regular.ttc`` and
``-Bold.ttc``, SIL OFL 1.1). It need not be installed system-wide::

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb /tmp/noto
    .venv/bin/python scripts/build_pdf_font.py --source /tmp/noto/usr/share/fonts/opentype/noto

Without ``--source`` it looks in /usr/share/fonts/opentype/noto. Extra text files whose characters
must be covered (e.g. a bureau's own data) may be given with ``--text FILE``. Needs fontTools
(requirements-dev.txt); the result is written to static/vendor/fonts/noto-sans-sc/files/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, newTable

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "vendor" / "fonts" / "noto-sans-sc" / "files"
FACE = "Noto Sans CJK SC"
WEIGHTS = {400: ("Regular", "NotoSansCJK-Regular.ttc"), 700: ("Bold", "NotoSansCJK-Bold.ttc")}
# The project's own text: every non-ASCII character in these files is covered.
TEXT_GLOBS = (
    "demo/**/*.py",
    "*/demo.py",
    "enterprises/data/*.py",
    "locale/**/*.po",
    "*/locale/**/*.po",
    "templates/**/*.html",
    "*/templates/**/*.html",
    "*/templates/**/*.txt",
)
RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 (×, ·, °, ©)
    (0x2000, 0x206F),  # general punctuation (—, …, ‰, ※)
    (0x2100, 0x214F),  # letter-like symbols (℃, №)
    (0x2160, 0x217F),  # Roman numerals
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed numbers (①)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3200, 0x32FF),  # enclosed CJK (㈠)
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half- and full-width forms
)


def gb2312() -> set[str]:
    """Every character of GB 2312: rows 1-9 (symbols), 16-55 (level 1 hanzi) and 56-87 (level 2)."""
    chars = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def project_text(extra: list[Path]) -> set[str]:
    chars = set()
    paths = [path for pattern in TEXT_GLOBS for path in ROOT.glob(pattern)] + extra
    for path in paths:
        chars.update(ch for ch in path.read_text(encoding="utf-8") if ord(ch) > 0x7F and ch.isprintable())
    return chars


def wanted(extra: list[Path]) -> set[int]:
    codepoints = {ord(ch) for ch in gb2312() | project_text(extra)}
    for first, last in RANGES:
        codepoints.update(range(first, last + 1))
    return codepoints


def sc_face(path: Path):
    for font in TTCollection(str(path)).fonts:
        if font["name"].getDebugName(1) == FACE:
            return font
    raise SystemExit(f"{path}: no {FACE!r} face")


def cff_to_truetype(font) -> None:
    """Replace the CFF outlines by TrueType ones (fontTools' otf2ttf recipe, cubic curves → quadratic).

    WeasyPrint subsets an embedded CFF font keeping every glyph slot (a 150 KB font in a one-page PDF);
    with TrueType outlines the same page embeds a few kilobytes.
    """
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = glyph_order, glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones, maxp.maxTwilightPoints, maxp.maxStorage = 1, 0, 0
    maxp.maxFunctionDefs = maxp.maxInstructionDefs = maxp.maxStackElements = maxp.maxSizeOfInstructions = 0
    maxp.maxComponentElements = 0
    maxp.compile(font)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 3.0, [], {}
    font["head"].indexToLocFormat = 1
    font.sfntVersion = "\x00\x01\x00\x00"


def build(source: Path, extra: list[Path]) -> None:
    codepoints = wanted(extra)
    OUT.mkdir(parents=True, exist_ok=True)
    for weight, (style, filename) in WEIGHTS.items():
        font = sc_face(source / filename)
        options = subset.Options()
        options.flavor = "woff"
        options.layout_features = ["*"]
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14]
        options.notdef_outline = True
        options.hinting = False  # PDFs and screens at print sizes do without; about 10 % smaller
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints)
        subsetter.subset(font)
        # The family the CSS and the PDFs name ("Noto Sans SC", "NotoSansSC-Bold"), as the fontsource files.
        names = font["name"]
        for record in list(names.names):
            if record.nameID in (1, 3, 4, 6, 16, 17):
                names.removeNames(nameID=record.nameID)
        names.setName("Noto Sans SC", 1, 3, 1, 0x409)
        names.setName(style, 2, 3, 1, 0x409)
        names.setName(f"Noto Sans SC {style}" if style != "Regular" else "Noto Sans SC", 4, 3, 1, 0x409)
        names.setName(f"NotoSansSC-{style}", 6, 3, 1, 0x409)
        names.setName(f"2.004;GOOG;NotoSansSC-{style};subset", 3, 3, 1, 0x409)
        cff_to_truetype(font)
        target = OUT / f"noto-sans-sc-gb2312-{weight}-normal.woff"
        font.flavor = "woff"
        font.save(str(target))
        covered, size = len(font.getBestCmap()), target.stat().st_size / 1048576
        sys.stdout.write(f"{target.relative_to(ROOT)}: {covered} characters, {size:.2f} MB\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=Path("/usr/share/fonts/opentype/noto"))
    parser.add_argument("--text", type=Path, action="append", default=[], help="more text to cover")
    args = parser.parse_args(argv)
    for _weight, (_style, filename) in WEIGHTS.items():
        if not (args.source / filename).exists():
            sys.exit(f"{args.source / filename} not found: see the instructions at the top of this script")
    build(args.source, args.text)


if __name__ == "__main__":
    main()
