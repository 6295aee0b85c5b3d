from django.urls import path

from disputes.views import (
    actions,
    board,
    calendar,
    cases,
    dashboard,
    invitations,
    notifications,
    outbox,
    wizard,
)

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/new/", wizard.request_new, name="request_new"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/tabs/<slug:tab>/", cases.case_tab, name="case_tab"),
    path("cases/<int:pk>/request/<int:step>/", wizard.request_step, name="request_step"),
    path("cases/<int:pk>/request/discard/", wizard.request_discard, name="request_discard"),
    path("cases/<int:pk>/actions/<slug:event>/", actions.case_action, name="case_action"),
    path("cases/<int:pk>/documents/<int:document_id>/", cases.document_download, name="document_download"),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("registry/deadlines/", board.deadline_board, name="deadline_board"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notification_mark_read, name="notifications_mark_read"),
    path("dev/outbox/", outbox.outbox, name="outbox"),
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
]
