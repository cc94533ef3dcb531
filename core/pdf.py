"""Printable PDFs from templates (WeasyPrint), shared by every app.

``render_pdf(template_name, context, request=request)`` renders a Django template to PDF bytes.

* WeasyPrint is imported inside the function: importing it costs about a second.
* Resources are fetched only from the project's static files (``{% static %}`` URLs) and ``data:``
  URLs; everything else (other hosts, ``file:``, media) is refused, so a template or user text can
  never make the server read a file or call the network.
* The font is the project's own: "Noto Sans SC" (weights 400 and 700), vendored under
  ``static/vendor/fonts/noto-sans-sc/`` with its ``@font-face`` CSS (:data:`FONT_STYLESHEETS`). Those
  stylesheets reach WeasyPrint through the same static-only fetcher and with a ``FontConfiguration``
  (without one WeasyPrint silently ignores ``@font-face``), so a PDF looks the same on any machine and
  needs no system CJK font; it even renders with no font configured at all.
* :data:`PRINT_CSS` is the shared print stylesheet (A4, "Noto Sans SC" everywhere, ``.nowrap`` for
  names and codes that must not break across lines). It is always applied; templates may also inline
  it (``<style>{{ print_css }}</style>``) for an HTML preview.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

# Any host works as the base: the fetcher serves only its static path, from disk, whatever the host.
BASE_URL = "https://ssj.invalid/"

# The vendored font's @font-face rules (static paths); their url()s are relative to the CSS file.
FONT_STYLESHEETS = (
    "vendor/fonts/noto-sans-sc/gb2312-400.css",
    "vendor/fonts/noto-sans-sc/gb2312-700.css",
)

PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; } }
html { font-family: "Noto Sans SC", sans-serif; font-size: 10pt; line-height: 1.45; color: #000; }
h1 { font-size: 17pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 12.5pt; margin: 6mm 0 2mm; border-bottom: 0.6pt solid #333; padding-bottom: 1mm; }
h3 { font-size: 11pt; margin: 4mm 0 1.5mm; }
p { margin: 1mm 0 2mm; }
table { width: 100%; border-collapse: collapse; margin: 1mm 0 3mm; }
th, td { border: 0.5pt solid #444; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #eee; font-weight: 700; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
.mono { font-family: "DejaVu Sans Mono", "Noto Sans SC", monospace; font-size: 8pt; word-break: break-all; }
.nowrap, .mono.nowrap { white-space: nowrap; word-break: keep-all; }
.muted { color: #555; }
.small { font-size: 8.5pt; }
.center { text-align: center; }
.right { text-align: right; }
dl.fields { display: grid; grid-template-columns: 32mm 1fr; gap: 1mm 4mm; margin: 0 0 3mm; }
dl.fields dt { color: #444; }
dl.fields dd { margin: 0; }
.signatures { display: flex; justify-content: space-between; margin-top: 14mm; }
.signatures div { width: 30%; border-top: 0.6pt solid #000; padding-top: 1mm; text-align: center; }
"""


def _static_roots() -> list[Path]:
    roots = [Path(p) for p in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT))
    return [r.resolve() for r in roots]


def static_file_for(url: str) -> Path | None:
    """The local file a ``{% static %}`` URL names, or None if the URL is not one of ours."""
    parts = urlsplit(url)
    static_url = urlsplit(settings.STATIC_URL).path
    if parts.scheme not in ("http", "https") or not parts.path.startswith(static_url):
        return None
    relative = unquote(parts.path[len(static_url) :])
    if not relative or relative.startswith("/") or ".." in Path(relative).parts:
        return None
    found = finders.find(relative)
    if not found:
        return None
    path = Path(found).resolve()
    allowed = [*_static_roots(), *(Path(p).resolve() for p in _app_static_dirs())]
    if not any(path.is_relative_to(root) for root in allowed):
        return None
    return path


def _app_static_dirs() -> list[str]:
    dirs = []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                dirs.append(location)
    return dirs


def static_url(path: str) -> str:
    """The absolute URL of a static file under :data:`BASE_URL`, as :func:`static_file_for` accepts it."""
    return urljoin(BASE_URL, urlsplit(settings.STATIC_URL).path + path)


class RefusedURL(ValueError):
    """A PDF asked for a resource outside the project's static files."""


def render_html(template_name: str, context: dict, *, request=None) -> str:
    """The HTML that :func:`render_pdf` turns into a PDF (``print_css`` added to the context)."""
    return render_to_string(template_name, {**context, "print_css": PRINT_CSS}, request=request)


def render_pdf(template_name: str, context: dict, *, request=None) -> bytes:
    """Render ``template_name`` with ``context`` to PDF bytes (see the module docstring)."""
    return html_to_pdf(render_html(template_name, context, request=request))


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of an HTML document, with the vendored font and :data:`PRINT_CSS`."""
    from weasyprint import CSS, HTML  # noqa: PLC0415 - importing WeasyPrint takes ~1 s; only PDF views pay it
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = static_file_for(url)
            if path is None:
                raise RefusedURL(f"refused to fetch {url!r}: only the project's static files are served")
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})

    fetcher = StaticOnlyFetcher(allowed_protocols=["http", "https", "data"])
    # @font-face rules are honoured only with a FontConfiguration given to both the CSS and write_pdf.
    font_config = FontConfiguration()
    stylesheets = [
        *(CSS(url=static_url(path), url_fetcher=fetcher, font_config=font_config) for path in FONT_STYLESHEETS),
        CSS(string=PRINT_CSS, url_fetcher=fetcher, font_config=font_config),
    ]
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=stylesheets, font_config=font_config)
