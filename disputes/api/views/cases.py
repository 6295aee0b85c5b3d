"""Cases: the scoped list, one case, and the claimant's draft Request (create, edit, discard)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes import selectors
from disputes.api.filters import CaseListQuerySerializer, validated_query
from disputes.api.inputs import DraftSerializer
from disputes.api.pagination import CasePagination
from disputes.api.permissions import IsDraftOwner
from disputes.api.schema import error_responses
from disputes.api.serializers import CaseDetailSerializer, CaseListSerializer
from disputes.api.views.base import signed_in_user
from disputes.models import Case
from disputes.services.cases import case_draft_create, case_draft_discard, case_draft_update


def _draft_changes(data: dict[str, Any]) -> dict[str, Any]:
    """Validated draft fields, in the shape case_draft_update takes."""
    fields = {name: value for name, value in data.items() if name not in {"claimant", "respondent"}}
    return {"fields": fields, "claimant": data.get("claimant"), "respondent": data.get("respondent")}


@extend_schema(tags=["cases"])
class CaseViewSet(viewsets.GenericViewSet):
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends = ()  # filters are validated by CaseListQuerySerializer and applied by the selector
    serializer_class = CaseListSerializer
    pagination_class = CasePagination

    def get_permissions(self) -> list[BasePermission]:
        if self.action in {"partial_update", "destroy"}:
            return [IsAuthenticated(), IsDraftOwner()]
        return [IsAuthenticated()]

    def get_queryset(self) -> Any:
        return selectors.case_list(user=self.request.user)

    def get_object(self) -> Case:
        case = selectors.case_detail(user=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, case)
        return case

    def _detail(self, case_pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        case = selectors.case_detail(user=self.request.user, pk=case_pk)
        return Response(CaseDetailSerializer(case, context={"request": self.request}).data, status=status_code)

    @extend_schema(
        summary="Cases you take part in (registrar: every filed case)",
        parameters=[CaseListQuerySerializer],
        responses={200: CaseListSerializer(many=True), **error_responses(400)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = validated_query(CaseListQuerySerializer, request.query_params)
        cases = selectors.case_list(user=request.user, state=query["state"], search=query["search"])
        if query["rule_pack"]:
            cases = cases.filter(rule_pack=query["rule_pack"])
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(CaseListSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(responses={200: CaseDetailSerializer, **error_responses(404)})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        return Response(CaseDetailSerializer(case, context={"request": request}).data)

    @extend_schema(
        summary="Start a draft Request for Arbitration",
        request=DraftSerializer,
        responses={201: CaseDetailSerializer, **error_responses(400)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = DraftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = _draft_changes(dict(serializer.validated_data))
        fields = changes["fields"]
        # Creation and the first save are one step for the client: all or nothing.
        with transaction.atomic():
            case = case_draft_create(
                user=signed_in_user(request),
                title=fields.pop("title", ""),
                rule_pack=fields.pop("rule_pack", "standard"),
            )
            if fields or changes["claimant"] or changes["respondent"]:
                case_draft_update(case_id=case.pk, **changes)
        return self._detail(case.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Save changes to the draft (claimant's counsel; 409 once filed)",
        request=DraftSerializer,
        responses={200: CaseDetailSerializer, **error_responses(400, 403, 404, 409)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        serializer = DraftSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        case_draft_update(case_id=case.pk, **_draft_changes(dict(serializer.validated_data)))
        return self._detail(case.pk)

    @extend_schema(
        summary="Discard the draft (claimant's counsel; 409 once filed: withdraw instead)",
        responses={204: None, **error_responses(403, 404, 409)},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        case_draft_discard(case_id=case.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
