"""Whole public pages from the cache: the busiest public pages cost one cache round trip when unchanged.

The public pages are the same for every visitor (no account, no form token, nothing per user): only the
language and the URL change them, and only a publication, a plan or an approved draw changes what they
show (each bumps the public version, :mod:`core.public_cache`). A view opts in with :func:`public_page`;
this middleware, placed before the session, language and authentication middleware, then answers the same
URL in the same language from the cache until the version changes or the view's time runs out. The key also
holds the open-data manifest's stamp (:func:`disclosure.opendata.manifest_stamp`): a rebuild of the files,
which follows a publication by some seconds or runs nightly, makes the kept pages stale too (the open-data
page lists the files with their sizes and dates).

The views that opt in (``disclosure.public_views``) show only what those events change: the home page, the
search, a result, an enterprise's history, the list of draws and a draw's page, the algorithm's text and the
open-data page. Pages that staff edits change without a bump (the checklist, plans and their tasks) are not
kept. Under the load benchmark (``bench/bench_load.py``) this is what keeps a popular page from queueing
behind the searches that miss.

A URL whose view does not opt in (the open-data files, the downloads, the plans) is passed on without
looking in the cache: its URL is resolved first, which costs less than a round trip with Redis.

Only what would be the same for anyone is kept: a 200 response to a GET, not streamed, that sets no
cookie and is not marked private. Security headers are added by SecurityMiddleware, outside this one,
to every response as usual; the headers of the inner middleware (X-Frame-Options, Vary, Content-Language)
are kept with the page.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import get_max_age

from core import public_cache

from . import opendata

PAGE_ATTRIBUTE = "public_page_seconds"
VIEW_ATTRIBUTE = "public_page"  # on the views that opt in (functools.wraps carries it through decorators)
MAX_PAGE_BYTES = 512 * 1024


def public_page(seconds: Callable[[], int]):
    """Let :class:`PublicPageCacheMiddleware` keep the view's pages ``seconds()`` seconds (0: not kept)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            setattr(response, PAGE_ATTRIBUTE, seconds())
            return response

        setattr(wrapped, VIEW_ATTRIBUTE, True)
        return wrapped

    return decorator


def _keepable(response: HttpResponse) -> int:
    seconds = getattr(response, PAGE_ATTRIBUTE, 0)
    if not seconds or response.status_code != 200 or response.streaming or response.cookies:
        return 0
    cache_control = response.get("Cache-Control", "")
    if "private" in cache_control or "no-store" in cache_control or get_max_age(response) == 0:
        return 0
    if len(response.content) > MAX_PAGE_BYTES:
        return 0
    return seconds


def _opted_in(request: HttpRequest) -> bool:
    """Whether the URL's view keeps its pages: the others (files, downloads, plans…) cost no cache round trip."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(match.func, VIEW_ATTRIBUTE, False)


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._prefix = None

    def prefix(self) -> str:
        if self._prefix is None:
            self._prefix = reverse("public:home")
        return self._prefix

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not request.path.startswith(self.prefix()) or not _opted_in(request):
            return self.get_response(request)
        request.get_host()  # a host not in ALLOWED_HOSTS is refused (400) before anything is served
        language = translation.get_language_from_request(request)
        path_hash = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:40]
        name = f"{language}:{opendata.manifest_stamp()}:{path_hash}"
        found = public_cache.current_page(name)
        if found is not None:
            content, headers = found
            response = HttpResponse(content)
            for header, value in headers:
                response[header] = value
            return response
        response = self.get_response(request)
        seconds = _keepable(response)
        if seconds:
            public_cache.store_page(name, (response.content, list(response.items())), seconds)
        return response
