"""/api/v1/: cases through a router, the routes nested under a case spelled out (they are not model viewsets)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from disputes.api.views import auth, deadlines, invitations, records, transitions
from disputes.api.views.cases import CaseViewSet
from disputes.api.views.docket import DocketDocumentView, DocketView, MessageView

app_name = "api"

# No ".json" suffix routes: content negotiation is by the Accept header.
router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.register("cases", CaseViewSet, basename="case")

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="token"),
    path("me/", auth.MeView.as_view(), name="me"),
    path("cases/<int:case_pk>/transitions/", transitions.CaseTransitionView.as_view(), name="case-transitions"),
    path("cases/<int:case_pk>/events/", records.CaseEventListView.as_view(), name="case-events"),
    path("cases/<int:case_pk>/deadlines/", records.CaseDeadlineListView.as_view(), name="case-deadlines"),
    path("cases/<int:case_pk>/participants/", records.CaseParticipantListView.as_view(), name="case-participants"),
    path("cases/<int:case_pk>/docket/", DocketView.as_view(), name="case-docket"),
    path(
        "cases/<int:case_pk>/docket/<int:number>/documents/<int:document_pk>/",
        DocketDocumentView.as_view(),
        name="docket-document",
    ),
    path("cases/<int:case_pk>/messages/", MessageView.as_view(), name="case-messages"),
    path("deadlines/", deadlines.DeadlineBoardView.as_view(), name="deadline-board"),
    path("deadlines/mine/", deadlines.MyDeadlineListView.as_view(), name="my-deadlines"),
    path("invitations/accept/", invitations.InvitationAcceptView.as_view(), name="invitation-accept"),
    *router.urls,
]
