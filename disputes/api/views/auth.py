"""Signing in for API clients (a token in exchange for email, password and second factor) and who am I."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from disputes.api.inputs import TokenObtainSerializer
from disputes.api.schema import error_responses
from disputes.api.serializers import ErrorSerializer, MeSerializer, TokenSerializer
from disputes.api.throttling import TOKEN_SCOPE, TokenObtainThrottle
from disputes.api.views.base import signed_in_user
from disputes.exceptions import TransitionError


class TokenView(APIView):
    # POST is the one route open to anonymous callers, hence its own throttle.
    throttle_classes = [TokenObtainThrottle]
    throttle_scope = TOKEN_SCOPE

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Sign in: a token for your email, password and (when enrolled) second-factor code",
        request=TokenObtainSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Wrong credentials, unverified email or missing code."),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts; retry after Retry-After seconds."),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        from accounts.mfa import mfa_required

        if mfa_required(user):
            raise TransitionError(
                "Your role requires a second factor: enrol an authenticator app (Profile → Two-factor) first.",
                code="mfa_enrolment_required",
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response(TokenSerializer({"token": token.key}).data)

    @extend_schema(
        operation_id="auth_token_destroy",
        summary="Sign out every API client: revoke your token",
        request=None,
        responses={204: None, **error_responses()},
        tags=["auth"],
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # One token per user: revoking it signs every API client of this user out.
        Token.objects.filter(user=signed_in_user(request)).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: MeSerializer, **error_responses()}, tags=["auth"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(MeSerializer(request.user).data)
