"""The project's URLs plus ``/bench/bare/``: a bare Django view doing one query (the benchmark's baseline).

With ``BENCH_SEARCH_CACHE=off`` in the environment, the public search keeps no page in the cache (its
``SEARCH_CACHE_SECONDS`` is set to 0: the page is neither looked up nor stored), so every request runs the
search query and renders the page; the form's cached choices and the public version stay as shipped.
"""

import os

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from disclosure import public_queries
from inspections.models import Publication

if os.environ.get("BENCH_SEARCH_CACHE") == "off":
    if not hasattr(public_queries, "SEARCH_CACHE_SECONDS"):
        raise RuntimeError("disclosure.public_queries.SEARCH_CACHE_SECONDS is gone: update bench/urls.py")
    public_queries.SEARCH_CACHE_SECONDS = 0


@login_not_required
@require_GET
def bare(request):
    """One indexed query (the 20 newest published results, five columns) returned as JSON, no template."""
    rows = list(
        Publication.objects.order_by("-published_at", "-id").values_list(
            "id", "enterprise_name", "uscc", "outcome", "published_on"
        )[:20]
    )
    return JsonResponse({"results": rows})


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("", include("config.urls")),
]
