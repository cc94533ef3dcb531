from django.urls import path  # noqa: F401

# The public site: no account needed. Every view here is marked @login_not_required.
app_name = "public"
urlpatterns = []
