from django.urls import path

from . import views

app_name = "disclosure"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("publish/", views.publish_batch, name="publish-batch"),
    path("results.xlsx", views.results_xlsx, name="results-xlsx"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/exempt/", views.exempt, name="exempt"),
    path("reports/", views.reports, name="reports"),
    path("gsxt/", views.gsxt_export, name="gsxt"),
    path("reports/plan-<int:year>.xlsx", views.plan_table_xlsx, name="plan-table-xlsx"),
    path("reports/plan-<int:year>.pdf", views.plan_table_pdf, name="plan-table-pdf"),
    path("reports/quarterly-<int:year>-q<int:quarter>.xlsx", views.quarterly_xlsx, name="quarterly-xlsx"),
]
