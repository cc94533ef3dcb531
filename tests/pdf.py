"""Helpers for the PDF tests: poppler's pdffonts/pdftotext, and rendering a PDF without any system font.

The project ships its CJK font (static/vendor/fonts/noto-sans-sc); pdffonts prints it as
"ABCDEF+Noto-Sans-SC" and "ABCDEF+Noto-Sans-SC-Bold". Debian's fonts-noto-cjk would print
"Noto-Sans-CJK-SC", which :func:`shipped_fonts` does not count.
"""

import os
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

from core.pdf import render_html

SHIPPED_FONT = "NotoSansSC"

EMPTY_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig></fontconfig>
"""

# Runs in a child process: fontconfig reads its configuration once per process.
HTML_TO_PDF = """
import sys
import django
django.setup()
from core.pdf import html_to_pdf
sys.stdout.buffer.write(html_to_pdf(sys.stdin.read()))
"""


def require_poppler(tool: str) -> None:
    if not shutil.which(tool):
        if os.environ.get("SSJ_REQUIRE_SERVICES"):
            pytest.fail(f"{tool} (poppler-utils) is missing but SSJ_REQUIRE_SERVICES is set")
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils)")


def pdffonts(data: bytes, tmp_path) -> list[tuple[str, bool]]:
    """(font name, embedded) for each font of a PDF, read by poppler's pdffonts."""
    require_poppler("pdffonts")
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    output = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = []
    for line in output.splitlines()[2:]:
        # name type… encoding emb sub uni object id: the flags are the 5th–3rd fields from the end.
        parts = line.split()
        fonts.append((parts[0], parts[-5] == "yes"))
    return fonts


def pdfinfo(data: bytes, tmp_path) -> str:
    """What poppler's pdfinfo prints about a PDF (pages, page size, ...)."""
    require_poppler("pdfinfo")
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def pdfpages(data: bytes, tmp_path) -> int:
    """The number of pages of a PDF (pdfinfo)."""
    return int(next(line.split()[1] for line in pdfinfo(data, tmp_path).splitlines() if line.startswith("Pages:")))


def pdftext(data: bytes, tmp_path, *options: str) -> str:
    require_poppler("pdftotext")
    path = tmp_path / "text.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout


def shipped_fonts(fonts: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """The fonts of :func:`pdffonts` that are the project's own Noto Sans SC (regular or bold)."""
    return [(name, embedded) for name, embedded in fonts if SHIPPED_FONT in name.split("+")[-1].replace("-", "")]


def assert_shipped_font_embedded(data: bytes, tmp_path, *, bold: bool = True) -> None:
    fonts = pdffonts(data, tmp_path)
    ours = shipped_fonts(fonts)
    assert ours and all(embedded for _name, embedded in ours), f"the shipped Noto Sans SC is not embedded: {fonts}"
    if bold:
        assert any(name.endswith("-Bold") for name, _embedded in ours), f"no bold Noto Sans SC: {fonts}"


def capture_html(monkeypatch, views_module) -> list[str]:
    """Make ``views_module.render_pdf`` keep the HTML it would print (and answer a stub PDF)."""
    pages = []

    def capture(template_name, context, *, request=None):
        pages.append(render_html(template_name, context, request=request))
        return b"%PDF-captured"

    monkeypatch.setattr(views_module, "render_pdf", capture)
    return pages


def pdf_without_system_fonts(html: str, tmp_path) -> bytes:
    """``core.pdf.html_to_pdf(html)`` in a child process whose fontconfig knows no font at all."""
    config = tmp_path / "fonts.conf"
    config.write_text(EMPTY_FONTCONFIG)
    env = {
        **os.environ,
        "FONTCONFIG_FILE": str(config),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    env.pop("FONTCONFIG_PATH", None)
    child = subprocess.run(
        [sys.executable, "-c", HTML_TO_PDF],
        input=html.encode(),
        capture_output=True,
        cwd=settings.BASE_DIR,
        env=env,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr.decode(errors="replace")[-3000:]
    assert child.stdout.startswith(b"%PDF-")
    return child.stdout
