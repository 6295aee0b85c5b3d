"""Analysis jobs of a case: list, detail (live status and result), ordering one, and the tribunal's cancel/re-run."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.parsers import JSONParser  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE, depth-safe
from disputes.api.views.base import CaseScopedMixin, signed_in_user
from disputes.exceptions import GuardFailed, NotPermitted
from evidence import permissions, selectors
from evidence.api.inputs import JobOrderRequestSerializer
from evidence.api.pagination import JobPagination
from evidence.api.schema import error_responses
from evidence.api.serializers import JobSerializer
from evidence.jobs import job_cancel, job_rerun
from evidence.models import AnalysisJob
from evidence.services.analyses import analysis_order


class JobScopedMixin(CaseScopedMixin):
    def get_job(self) -> AnalysisJob:
        return permissions.job_for_user_or_404(self.request.user, self.get_case(), self.kwargs["job_pk"])

    def get_managed_job(self) -> AnalysisJob:
        """404 when the job is invisible, then 403 unless the tribunal manages it."""
        job = self.get_job()
        if not self.request.user.has_perm("evidence.manage_job", job):
            raise NotPermitted("Only the tribunal can cancel or re-run an analysis.")
        return job


def _detail(job_pk: int) -> dict[str, Any]:
    job = AnalysisJob.objects.prefetch_related("inputs__file__exhibit").get(pk=job_pk)
    return JobSerializer(job, context={"with_result": True}).data


@extend_schema(tags=["analyses"])
class JobListView(CaseScopedMixin, generics.ListAPIView):
    serializer_class = JobSerializer
    filter_backends = ()
    pagination_class = JobPagination
    parser_classes = [JSONParser]

    def get_queryset(self) -> Any:
        return selectors.job_list(user=self.request.user, case=self.get_case())

    @extend_schema(
        summary="The case's analysis jobs you may see (those whose every input you may see), newest first",
        responses={200: JobSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Order an analysis: the tribunal on any file it sees, a party on its own side's files",
        request=JobOrderRequestSerializer,
        responses={201: JobSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_case()
        body = JobOrderRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = analysis_order(
            user=signed_in_user(request),
            case=case,
            kind=body.validated_data["kind"],
            inputs=body.validated_data["inputs"],
            parameters=body.validated_data["parameters"],
        )
        return Response(_detail(job.pk), status=status.HTTP_201_CREATED)


@extend_schema(tags=["analyses"])
class JobDetailView(JobScopedMixin, APIView):
    @extend_schema(
        summary="One job: status, progress, attempts, failure reason or result",
        responses={200: JobSerializer, **error_responses(404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(_detail(self.get_job().pk))


@extend_schema(tags=["analyses"])
class JobCancelView(JobScopedMixin, APIView):
    @extend_schema(
        summary="Cancel a job (tribunal): a queued job stops at once, a running one at its next progress report",
        request=None,
        responses={200: JobSerializer, **error_responses(403, 404)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        job = self.get_managed_job()
        job_cancel(job_id=job.pk)
        return Response(_detail(job.pk))


@extend_schema(tags=["analyses"])
class JobRerunView(JobScopedMixin, APIView):
    @extend_schema(
        summary="Re-run a finished job (tribunal): a new job with the same inputs; the old one stays on record",
        request=None,
        responses={201: JobSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        job = self.get_managed_job()
        if not job.is_finished:
            raise GuardFailed("This job has not finished; cancel it first or wait for it.")
        rerun = job_rerun(job_id=job.pk, user_id=signed_in_user(request).pk)
        return Response(_detail(rerun.pk), status=status.HTTP_201_CREATED)
