"""What a case's participants read: its timeline, its deadlines and who takes part."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics

from disputes import selectors
from disputes.api import queries
from disputes.api.pagination import TimelinePagination
from disputes.api.schema import error_responses
from disputes.api.serializers import CaseEventSerializer, DeadlineSerializer, ParticipantSerializer
from disputes.api.views.base import CaseScopedMixin


@extend_schema(
    summary="The case's timeline, newest first (sealed tribunal events only for the tribunal side)",
    responses={200: CaseEventSerializer(many=True), **error_responses(400, 404)},
    tags=["case records"],
)
class CaseEventListView(CaseScopedMixin, generics.ListAPIView):
    serializer_class = CaseEventSerializer
    filter_backends = ()  # the lists under a case take no filters
    pagination_class = TimelinePagination

    def get_queryset(self) -> Any:
        return selectors.case_timeline(user=self.request.user, case=self.get_case())


@extend_schema(
    summary="Every deadline of the case, open and closed, soonest first",
    responses={200: DeadlineSerializer(many=True), **error_responses(403, 404)},
    tags=["case records"],
)
class CaseDeadlineListView(CaseScopedMixin, generics.ListAPIView):
    case_permission = "disputes.view_deadlines"
    serializer_class = DeadlineSerializer
    filter_backends = ()
    pagination_class = None  # a case has a few dozen deadlines at most

    def get_queryset(self) -> Any:
        return queries.case_deadlines(case=self.get_case())


@extend_schema(
    summary="Who takes part in the case, in which role",
    responses={200: ParticipantSerializer(many=True), **error_responses(403, 404)},
    tags=["case records"],
)
class CaseParticipantListView(CaseScopedMixin, generics.ListAPIView):
    case_permission = "disputes.view_participants"
    serializer_class = ParticipantSerializer
    filter_backends = ()
    pagination_class = None

    def get_queryset(self) -> Any:
        return queries.case_participants(case=self.get_case())
