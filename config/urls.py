from functools import wraps

import django_rq.urls
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.urls import URLPattern, include, path
from django.views.i18n import set_language

from core.views import favicon, healthz


def superuser_only(view):
    """The queue dashboard shows every bureau's jobs: superusers only; anyone else gets a 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_authenticated and request.user.is_superuser):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


rq_urlpatterns = [
    URLPattern(entry.pattern, superuser_only(entry.callback), entry.default_args, entry.name)
    for entry in django_rq.urls.urlpatterns
]

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("django-rq/", include((rq_urlpatterns, django_rq.urls.app_name))),
    path("enterprises/", include("enterprises.urls")),
    path("inspectors/", include("inspectors.urls")),
    path("draws/", include("sampling.urls")),
    path("inspections/", include("inspections.urls")),
    path("followup/", include("followup.urls")),
    path("publication/", include("disclosure.urls")),
    path("c/", include("inspections.public_urls")),
    path("o/", include("inspections.objection_urls")),
    path("public/", include("disclosure.public_urls")),
    path("", include("core.urls")),
]
