"""Auth endpoints: register, token, refresh, logout, me."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts import services, tokens
from accounts.api.serializers import (
    LoginInput,
    MeOutput,
    RefreshInput,
    RegisterInput,
    TokenPairOutput,
    UserOutput,
)
from accounts.models import User
from accounts.throttles import FailedLoginThrottle, LoginIPThrottle


class PublicAuthView(APIView):
    """Anonymous auth endpoints: no authentication, IP-throttled, 401s say ``Bearer``."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [LoginIPThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class RegisterView(PublicAuthView):
    @extend_schema(request=RegisterInput, responses={201: UserOutput}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class TokenView(PublicAuthView):
    @extend_schema(request=LoginInput, responses={200: TokenPairOutput}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"]
        account_throttle = FailedLoginThrottle()
        account_throttle.check(email)
        try:
            pair = services.user_login(email=email, password=data.validated_data["password"])
        except services.InvalidCredentials:
            account_throttle.record_failure(email)
            raise
        return Response(pair)


class TokenRefreshView(PublicAuthView):
    @extend_schema(request=RefreshInput, responses={200: TokenPairOutput}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            pair = tokens.rotate(data.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        return Response(pair)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RefreshInput, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        assert isinstance(request.user, User)
        try:
            tokens.revoke(data.validated_data["refresh"], user=request.user)
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeOutput}, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(MeOutput(request.user).data)
