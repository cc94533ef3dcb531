from django.urls import path

from . import views

app_name = "sampling"
urlpatterns = [
    path("list/", views.draw_list, name="draw-list"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/status/", views.plan_status, name="plan-status"),
    path("plans/<int:pk>/filing/", views.plan_filing, name="plan-filing"),
    path("plans/<int:pk>/tasks/new/", views.task_create, name="task-create"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task-edit"),
    path("tasks/<int:pk>/draw/", views.draw_create, name="draw-create"),
    path("policy/", views.policy, name="policy"),
    path("<int:pk>/", views.draw_detail, name="draw-detail"),
    path("<int:pk>/exclusions/", views.draw_exclusions, name="draw-exclusions"),
    path("<int:pk>/pool.json", views.draw_pool_json, name="draw-pool-json"),
    path("<int:pk>/execute/", views.draw_execute, name="draw-execute"),
    path("<int:pk>/approve/", views.draw_approve, name="draw-approve"),
    path("<int:pk>/reject/", views.draw_reject, name="draw-reject"),
    path("<int:pk>/cancel/", views.draw_cancel, name="draw-cancel"),
    path("<int:pk>/record.json", views.draw_record_json, name="draw-record-json"),
    path("<int:pk>/record.pdf", views.draw_record_pdf, name="draw-record-pdf"),
    path("<int:pk>/list.xlsx", views.draw_list_xlsx, name="draw-list-xlsx"),
]
