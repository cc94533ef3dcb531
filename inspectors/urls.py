from django.urls import path

from . import views

app_name = "inspectors"
urlpatterns = [
    path("", views.inspector_list, name="list"),
    path("new/", views.inspector_create, name="create"),
    path("export.xlsx", views.inspector_export, name="export"),
    path("import/", views.inspector_import, name="import"),
    path("import/template.xlsx", views.import_template, name="import-template"),
    path("<int:pk>/", views.inspector_detail, name="detail"),
    path("<int:pk>/edit/", views.inspector_edit, name="edit"),
    path("<int:pk>/transfer/", views.inspector_transfer, name="transfer"),
    path("<int:pk>/account/", views.inspector_account, name="account"),
    path("<int:pk>/leave/", views.leave_add, name="leave-add"),
    path("<int:pk>/leave/<int:leave_pk>/remove/", views.leave_remove, name="leave-remove"),
    path("<int:pk>/conflicts/", views.conflict_add, name="conflict-add"),
    path("<int:pk>/conflicts/<int:conflict_pk>/withdraw/", views.conflict_remove, name="conflict-remove"),
    path("experts/", views.expert_list, name="expert-list"),
    path("experts/new/", views.expert_create, name="expert-create"),
    path("experts/<int:pk>/edit/", views.expert_edit, name="expert-edit"),
    path("experts/<int:pk>/active/", views.expert_deactivate, name="expert-deactivate"),
]
