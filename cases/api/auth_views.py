"""Log in (a token for a handheld), log out (revoke it), revoke all of a user's tokens."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from cases.api.auth import token_issue, token_revoke, token_revoke_all
from cases.api.case_serializers import ErrorSerializer
from cases.models import ApiToken
from config.lockout import raise_if_locked_out


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})
    device = serializers.CharField(max_length=100, required=False, allow_blank=True)


TokenResponse = inline_serializer(
    "TokenResponse",
    {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()},
)


class LoginView(APIView):
    """A token for a handheld. Wrong passwords lock the account and the address for a while
    (config.lockout): 429 `locked_out`."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=LoginSerializer,
        responses={200: TokenResponse, 400: ErrorSerializer, 429: ErrorSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise_if_locked_out(request)
        if user is None or not user.is_active:
            return Response(
                {
                    "code": "invalid_credentials",
                    "message": str(_("Wrong username or password.")),
                    "errors": {},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        issued = token_issue(user=user, device=data.validated_data.get("device", ""))
        return Response({"token": issued.token, "expires_at": issued.expires_at})


class LogoutView(APIView):
    # Citizens log out here too.
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RevokeAllView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: inline_serializer("Revoked", {"revoked": serializers.IntegerField()})},
    )
    def post(self, request: Request) -> Response:
        return Response({"revoked": token_revoke_all(user=request.user)})
