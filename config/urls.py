from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from core.views import healthz

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("django-rq/", include("django_rq.urls")),
    path("enterprises/", include("enterprises.urls")),
    path("inspectors/", include("inspectors.urls")),
    path("draws/", include("sampling.urls")),
    path("inspections/", include("inspections.urls")),
    path("publication/", include("disclosure.urls")),
    path("c/", include("inspections.public_urls")),
    path("public/", include("disclosure.public_urls")),
    path("", include("core.urls")),
]
