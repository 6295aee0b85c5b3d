"""/api/v1/: the tus upload endpoint and the evidence routes nested under a case."""

from django.urls import path

from evidence.api import tus
from evidence.api.views import custody, exhibits, exports, hearing_bundles, jobs

app_name = "evidence_api"

EXHIBIT = "cases/<int:case_pk>/exhibits/<int:exhibit_pk>/"
JOB = "cases/<int:case_pk>/jobs/<int:job_pk>/"
BUNDLE = "cases/<int:case_pk>/hearing-bundles/<int:bundle_pk>/"

urlpatterns = [
    path("uploads/", tus.UploadCreateView.as_view(), name="uploads"),
    path("uploads/<uuid:upload_id>/", tus.UploadView.as_view(), name="upload"),
    path("cases/<int:case_pk>/exhibits/", exhibits.ExhibitListView.as_view(), name="case-exhibits"),
    path(EXHIBIT, exhibits.ExhibitDetailView.as_view(), name="exhibit"),
    path(f"{EXHIBIT}withdraw/", exhibits.ExhibitWithdrawView.as_view(), name="exhibit-withdraw"),
    path(f"{EXHIBIT}tier/", exhibits.ExhibitTierView.as_view(), name="exhibit-tier"),
    path(
        f"{EXHIBIT}files/<int:file_pk>/download/",
        exhibits.ExhibitFileDownloadView.as_view(),
        name="exhibit-file-download",
    ),
    path(f"{EXHIBIT}custody/", custody.CustodyView.as_view(), name="exhibit-custody"),
    path(f"{EXHIBIT}custody.csv", custody.CustodyCSVView.as_view(), name="exhibit-custody-csv"),
    path("cases/<int:case_pk>/export/", exports.CaseExportView.as_view(), name="case-export"),
    path(
        "cases/<int:case_pk>/hearing-bundles/",
        hearing_bundles.HearingBundleListView.as_view(),
        name="case-hearing-bundles",
    ),
    path(BUNDLE, hearing_bundles.HearingBundleDetailView.as_view(), name="hearing-bundle"),
    path(f"{BUNDLE}download/", hearing_bundles.HearingBundleDownloadView.as_view(), name="hearing-bundle-download"),
    path("cases/<int:case_pk>/jobs/", jobs.JobListView.as_view(), name="case-jobs"),
    path(JOB, jobs.JobDetailView.as_view(), name="job"),
    path(f"{JOB}cancel/", jobs.JobCancelView.as_view(), name="job-cancel"),
    path(f"{JOB}rerun/", jobs.JobRerunView.as_view(), name="job-rerun"),
]
