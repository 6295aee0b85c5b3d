"""Deadlines across cases: the registrar's board and each user's own list (what the iCalendar feed carries)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from disputes import selectors
from disputes.api.filters import DeadlineBoardQuerySerializer, validated_query
from disputes.api.pagination import DeadlinePagination
from disputes.api.permissions import CanViewBoard
from disputes.api.schema import error_responses
from disputes.api.serializers import BoardDeadlineSerializer


@extend_schema(
    summary="Registrar's board: every open deadline of every filed case, soonest first",
    parameters=[DeadlineBoardQuerySerializer],
    responses={200: BoardDeadlineSerializer(many=True), **error_responses(400, 403)},
    tags=["deadlines"],
)
class DeadlineBoardView(generics.ListAPIView):
    permission_classes = [IsAuthenticated, CanViewBoard]
    serializer_class = BoardDeadlineSerializer
    pagination_class = DeadlinePagination
    filter_backends = ()  # validated by DeadlineBoardQuerySerializer, applied by the selector

    def get_queryset(self) -> Any:
        query = validated_query(DeadlineBoardQuerySerializer, self.request.query_params)
        return selectors.deadline_board(
            user=self.request.user,
            window=query["window"],
            case_ref=query["case"],
            responsible=query["responsible"],
            stage=query["stage"],
        )


@extend_schema(
    summary="Open deadlines of the cases you take part in, soonest first",
    responses={200: BoardDeadlineSerializer(many=True), **error_responses(400)},
    tags=["deadlines"],
)
class MyDeadlineListView(generics.ListAPIView):
    serializer_class = BoardDeadlineSerializer
    pagination_class = DeadlinePagination
    filter_backends = ()

    def get_queryset(self) -> Any:
        return selectors.deadlines_for_user(user=self.request.user)
