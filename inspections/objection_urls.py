from django.urls import path

from . import public_views

# The enterprise's objection pages (异议), reached from the notice's second QR code without an account.
app_name = "objection"
urlpatterns = [
    path("<str:token>/", public_views.objection_page, name="page"),
    path("<str:token>/code/", public_views.objection_send_code, name="send-code"),
    path("<str:token>/file/", public_views.objection_submit, name="file"),
]
