"""Serving a file from disk as a static file server does: ETag, Last-Modified, 304, one byte range.

Django's ``FileResponse`` sends the whole file and ``django.views.static.serve`` knows only
If-Modified-Since; a download of a large open-data file that breaks off must be able to resume
(``Range: bytes=N-``) and a client that has the file must get a 304. One range per request: a request for
several ranges gets the whole file (RFC 9110 §14.2 lets a server ignore Range), an unsatisfiable one 416.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """``(first, last)`` (inclusive) of a single ``bytes=`` range of a file of ``size`` bytes; ``None`` when the
    header is absent, malformed or asks for several ranges (serve the whole file); ``False`` when it cannot
    be satisfied (416)."""
    match = _RANGE.match(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # invalid: ignored
    if start >= size:
        return False
    return start, end


def _read(path: Path, start: int, length: int):
    with open(path, "rb") as handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def ranged_file_response(request, path: Path, *, etag: str, content_type: str, filename: str):
    stat = os.stat(path)
    size, modified = stat.st_size, int(stat.st_mtime)
    conditional = get_conditional_response(request, etag=etag, last_modified=modified)
    if conditional is not None:  # 304 Not Modified (or 412)
        return conditional
    wanted = byte_range(request.headers.get("Range", ""), size)
    if_range = request.headers.get("If-Range")
    if wanted and if_range and if_range != etag and parse_http_date_safe(if_range) != modified:
        wanted = None  # the client's copy is another version: send the whole file
    if wanted is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif wanted:
        start, end = wanted
        length = end - start + 1
        if request.method == "HEAD":
            response = HttpResponse(status=206, content_type=content_type)
        else:
            response = StreamingHttpResponse(_read(path, start, length), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(length)
    else:
        if request.method == "HEAD":
            response = HttpResponse(content_type=content_type)
        else:
            response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115 - closed by Django
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=300"
    return response
