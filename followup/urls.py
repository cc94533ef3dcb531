from django.urls import path

from . import views

app_name = "followup"
urlpatterns = [
    path("", views.visits, name="visits"),
    path("settings/", views.policy, name="policy"),
    path("penalties/", views.penalties, name="penalties"),
    path("task/<int:pk>/", views.task_followup, name="task"),
    path("task/<int:pk>/visit/files/", views.visit_files, name="visit-files"),
    path("task/<int:pk>/visit/", views.visit_record, name="visit"),
    path("task/<int:pk>/case/open/", views.case_open, name="case-open"),
    path("task/<int:pk>/case/file/", views.case_file, name="case-file"),
    path("task/<int:pk>/case/decide/", views.case_decide, name="case-decide"),
    path("task/<int:pk>/case/close/", views.case_close, name="case-close"),
    path("task/<int:pk>/transfer/", views.transfer_send, name="transfer-send"),
    path("task/<int:pk>/transfer/files/", views.transfer_files, name="transfer-files"),
    path("task/<int:pk>/transfer/receive/", views.transfer_receive, name="transfer-receive"),
    path("task/<int:pk>/transfer/close/", views.transfer_close, name="transfer-close"),
    path("task/<int:pk>/files/<int:file_pk>/", views.file_download, name="file"),
    path("enterprise/<int:pk>/credit/", views.credit_record, name="credit-record"),
    path("abnormal/", views.abnormal, name="abnormal"),
]
