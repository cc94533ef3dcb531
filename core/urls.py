from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("bureau/switch/", views.bureau_switch, name="bureau-switch"),
    path("audit/", views.audit_list, name="audit-list"),
    path("calendar/", views.calendar, name="calendar"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job-detail"),
    path("account/notifications/", views.notification_preferences, name="notifications"),
]
