from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import Resolver404, resolve

from .access import active_bureau, roles_in


class BureauMiddleware:
    """Puts the user's active bureau and his roles in it on the request (one query, staff only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            request.bureau = active_bureau(request)
            request.roles = roles_in(request.user, request.bureau)
        else:
            request.bureau = None
            request.roles = frozenset()
        return self.get_response(request)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def body_limit(request) -> int:
    """The largest request body accepted here (``REQUEST_MAX_BYTES``, or more for the evidence uploads)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return settings.REQUEST_MAX_BYTES
    try:
        name = resolve(request.path_info).view_name
    except Resolver404:
        return settings.REQUEST_MAX_BYTES
    return settings.REQUEST_MAX_BYTES_BY_VIEW.get(name, settings.REQUEST_MAX_BYTES)


class _BoundedStream:
    """A request body of unknown length (chunked) that refuses to be read past ``limit`` bytes."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.seen = stream, limit, 0

    def _count(self, data: bytes) -> bytes:
        self.seen += len(data)
        if self.seen > self.limit:
            raise RequestDataTooBig("request body too large")
        return data

    def read(self, *args):
        return self._count(self.stream.read(*args))

    def readline(self, *args):
        return self._count(self.stream.readline(*args))

    def __iter__(self):
        return iter(self.readline, b"")


def _has_nul(query) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())


class HardeningMiddleware:
    """Outermost guard (right after SecurityMiddleware), on every response including cached public pages:

    - a body larger than :func:`body_limit` is refused (413) from its Content-Length before it is read; a
      chunked body is cut off (400) when it grows past the limit;
    - a NUL byte in any query or form key or value is refused (400) before a view sees it (databases refuse
      it, and no field of this system holds one);
    - ``Content-Security-Policy`` (no inline script or style) on every response that has none;
    - ``Cache-Control: no-store, private`` on every response to a signed-in user that has no Cache-Control
      of its own: staff pages, draw records, PDFs and exports are never kept by a browser or a proxy.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._refuse(request) or self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            response["Cache-Control"] = "no-store, private"
        return response

    def _refuse(self, request):
        limit = body_limit(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest("Bad Content-Length", content_type="text/plain")
        if length > limit:
            return HttpResponse("Request body too large", status=413, content_type="text/plain")
        if not length and request.META.get("wsgi.input_terminated"):
            request._stream = _BoundedStream(request._stream, limit)
        if "\x00" in request.path or _has_nul(request.GET):
            return HttpResponseBadRequest("NUL byte in the request", content_type="text/plain")
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method == "POST"
            and request.content_type
            in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            )
            and _has_nul(request.POST)
        ):
            return HttpResponseBadRequest("NUL byte in the request", content_type="text/plain")
        return None
