"""The public site, mounted at /public/: no account needed (every view is @login_not_required)."""

from django.urls import path

from . import public_views as views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.language, name="language"),
    path("results/", views.results, name="results"),
    path("results/<int:pk>/", views.result_detail, name="result-detail"),
    path("enterprises/<str:uscc>/", views.enterprise, name="enterprise"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("checklist/", views.checklist, name="checklist"),
    path("draws/", views.draws, name="draws"),
    path("draws/<int:pk>/", views.draw_detail, name="draw-detail"),
    path("draws/algorithm/", views.draw_algorithm, name="draw-algorithm"),
    path("draws/risk-weights/", views.risk_rule, name="risk-rule"),
    path("draws/<int:pk>/record.json", views.draw_record, name="draw-record"),
    path("draws/<int:pk>/result.json", views.draw_result, name="draw-result"),
    path("draws/<int:pk>/verify/", views.draw_verify, name="draw-verify"),
    path("data/", views.open_data, name="open-data"),
    path("data/results.csv", views.results_csv, name="results-csv"),
    path("data/results.json", views.results_json, name="results-json"),
    path("data/results.xlsx", views.results_xlsx, name="results-xlsx"),
    path("data/files/<str:name>", views.open_data_file, name="open-data-file"),
    path("audit-anchors/", views.audit_anchors, name="audit-anchors"),
]
