from django.urls import path

from evidence import order_views, report_views

urlpatterns = [
    path("cases/<int:pk>/analyses/new/<str:kind>/", order_views.order_analysis, name="order_analysis"),
    path("cases/<int:pk>/jobs/<int:job_id>/report/", report_views.job_report, name="job_report"),
    path("cases/<int:pk>/jobs/<int:job_id>/report.pdf", report_views.job_report_pdf, name="job_report_pdf"),
    path("cases/<int:pk>/jobs/<int:job_id>/charts/<slug:name>.svg", report_views.job_chart, name="job_chart"),
]
