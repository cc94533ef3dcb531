from django.urls import path

from . import views

app_name = "enterprises"
urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("new/", views.enterprise_create, name="create"),
    path("import/", views.enterprise_import, name="import"),
    path("import/template.xlsx", views.import_template, name="import-template"),
    path("export.xlsx", views.enterprise_export, name="export"),
    path("<int:pk>/", views.enterprise_detail, name="detail"),
    path("<int:pk>/edit/", views.enterprise_edit, name="edit"),
    path("<int:pk>/status/", views.enterprise_status, name="status"),
    path("<int:pk>/records/", views.record_add, name="record-add"),
    path("risk-rule/", views.risk_rule, name="risk-rule"),
    path("checklist/", views.checklist, name="checklist"),
    path("checklist/new/", views.checklist_create, name="checklist-create"),
    path("checklist/<int:pk>/", views.checklist_detail, name="checklist-detail"),
    path("checklist/<int:pk>/edit/", views.checklist_edit, name="checklist-edit"),
    path("checklist/<int:pk>/deactivate/", views.checklist_deactivate, name="checklist-deactivate"),
    path("checklist/<int:pk>/reactivate/", views.checklist_reactivate, name="checklist-reactivate"),
]
