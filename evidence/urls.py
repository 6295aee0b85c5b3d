from django.urls import path

from evidence.views import exhibits, exports, hearing_bundles, jobs

urlpatterns = [
    path("cases/<int:pk>/exhibits/new/", exhibits.exhibit_new, name="exhibit_new"),
    path("cases/<int:pk>/exhibits/<int:exhibit_id>/", exhibits.exhibit_detail, name="exhibit_detail"),
    path(
        "cases/<int:pk>/exhibits/<int:exhibit_id>/files/<int:file_id>/download/",
        exhibits.exhibit_file_download,
        name="exhibit_file_download",
    ),
    path(
        "cases/<int:pk>/exhibits/<int:exhibit_id>/custody.<str:fmt>",
        exhibits.exhibit_custody_export,
        name="exhibit_custody_export",
    ),
    path("cases/<int:pk>/exhibits/<int:exhibit_id>/withdraw/", exhibits.exhibit_withdraw_view, name="exhibit_withdraw"),
    path("cases/<int:pk>/exhibits/<int:exhibit_id>/tier/", exhibits.exhibit_tier_view, name="exhibit_tier"),
    path("cases/<int:pk>/export.zip", exports.case_export, name="case_export"),
    path("cases/<int:pk>/hearing-bundles/", hearing_bundles.hearing_bundle_list, name="hearing_bundle_list"),
    path(
        "cases/<int:pk>/hearing-bundles/<int:bundle_id>/",
        hearing_bundles.hearing_bundle_detail,
        name="hearing_bundle_detail",
    ),
    path(
        "cases/<int:pk>/hearing-bundles/<int:bundle_id>/status/",
        hearing_bundles.hearing_bundle_status,
        name="hearing_bundle_status",
    ),
    path(
        "cases/<int:pk>/hearing-bundles/<int:bundle_id>/bundle.pdf",
        hearing_bundles.hearing_bundle_download,
        name="hearing_bundle_download",
    ),
    path("cases/<int:pk>/jobs/<int:job_id>/", jobs.job_detail, name="job_detail"),
    path("cases/<int:pk>/jobs/<int:job_id>/status/", jobs.job_status, name="job_status"),
    path("cases/<int:pk>/jobs/<int:job_id>/cancel/", jobs.job_cancel_view, name="job_cancel"),
    path("cases/<int:pk>/jobs/<int:job_id>/rerun/", jobs.job_rerun_view, name="job_rerun"),
]
