from django.urls import path

from . import views

app_name = "inspections"
urlpatterns = [
    path("", views.task_list, name="task-list"),
    path("tasks.xlsx", views.task_list_xlsx, name="task-list-xlsx"),
    path("mine/", views.my_tasks, name="my-tasks"),
    path("mine/tasks.xlsx", views.my_tasks_xlsx, name="my-tasks-xlsx"),
    path("evaluations/", views.evaluation_list, name="evaluations"),
    path("offsite/", views.offsite_list, name="offsite"),
    path("offsite/<int:pk>/", views.offsite_record, name="offsite-record"),
    path("objections/", views.objection_list, name="objections"),
    path("objections/<int:pk>/", views.objection_detail, name="objection-detail"),
    path("objections/<int:pk>/uphold/", views.objection_uphold, name="objection-uphold"),
    path("objections/<int:pk>/reject/", views.objection_reject, name="objection-reject"),
    path("objections/<int:pk>/files/<int:file_pk>/", views.objection_file_download, name="objection-file"),
    path("<int:pk>/", views.task_detail, name="task-detail"),
    path("<int:pk>/notice.pdf", views.notice_pdf, name="notice"),
    path("<int:pk>/checkin/", views.checkin_manual, name="checkin-manual"),
    path("<int:pk>/evaluation/paper/", views.evaluation_paper, name="evaluation-paper"),
    path("<int:pk>/scans/<int:scan_pk>/", views.scan_download, name="scan-download"),
    path("flagged/", views.flagged_list, name="flagged"),
    path("<int:pk>/result/", views.result_form, name="result"),
    path("<int:pk>/no-arrival/", views.no_arrival, name="no-arrival"),
    path("<int:pk>/approve/", views.result_approve, name="approve"),
    path("<int:pk>/outcome/", views.outcome_change, name="outcome-change"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment-add"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment-download"),
    path("<int:pk>/attachments/<int:attachment_pk>/remove/", views.attachment_remove, name="attachment-remove"),
    path("<int:pk>/substitute-enterprise/", views.substitute_enterprise, name="substitute-enterprise"),
    path("<int:pk>/substitute-inspector/", views.substitute_inspector, name="substitute-inspector"),
    path("<int:pk>/substitution/approve/", views.substitution_approve, name="substitution-approve"),
    path("<int:pk>/substitution/reject/", views.substitution_reject, name="substitution-reject"),
]
