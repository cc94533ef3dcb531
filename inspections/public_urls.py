from django.urls import path

from . import public_views

# Pages an enterprise reaches from a task's QR code, without an account.
app_name = "checkin"
urlpatterns = [
    path("<str:token>/", public_views.page, name="page"),
    path("<str:token>/code/", public_views.send_code, name="send-code"),
    path("<str:token>/arrive/", public_views.confirm, name="confirm"),
    path("<str:token>/evaluate/", public_views.evaluate, name="evaluate"),
]
