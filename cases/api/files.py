"""Case photos served through an access check, never as public /media/ URLs: a photo shows
the street, sometimes people and plates; whoever may see the case may see its photos."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from cases.errors import CaseNotFound
from cases.models import Attachment
from cases.selectors import attachment_get_for_user
from config.api import error_responses


class AttachmentUrlsMixin(serializers.Serializer):
    """`url` and `thumbnail_url` pointing at the access-checked file view."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def _absolute(self, name: str, attachment: Attachment) -> str:
        relative = reverse(name, kwargs={"pk": attachment.pk})
        request: Request | None = self.context.get("request")
        return request.build_absolute_uri(relative) if request is not None else relative

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Attachment) -> str:
        return self._absolute("attachment-file", attachment)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, attachment: Attachment) -> str:
        return self._absolute("attachment-thumbnail", attachment)


class _AttachmentFileView(APIView):
    # Citizens read their own report photos here; the selector decides which photo is whose.
    permission_classes = [IsAuthenticated]
    field = "file"

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY, **error_responses(404)})
    def get(self, request: Request, pk: int) -> FileResponse:
        attachment = attachment_get_for_user(request.user, pk)
        name = getattr(attachment, self.field).name
        try:
            handle = default_storage.open(name, "rb")
        except FileNotFoundError:
            raise CaseNotFound(str(pk)) from None
        content_type = "image/jpeg" if self.field == "thumbnail" else attachment.content_type
        response = FileResponse(handle, content_type=content_type)
        # Private: the browser may keep it, shared caches may not.
        response["Cache-Control"] = "private, max-age=86400"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class AttachmentFileView(_AttachmentFileView):
    field = "file"


class AttachmentThumbnailView(_AttachmentFileView):
    field = "thumbnail"
