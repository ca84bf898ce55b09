"""Photo uploads: bytes in, an Attachment row and two stored files out.

Photos are uploaded first (a handheld on a weak link sends them one by one) and referred to
by id when the report or action is submitted; the service that takes the action claims them.
A retried upload of the same bytes by the same user returns the first row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from cases.errors import InvalidInput
from cases.models import Attachment
from cases.photos import PhotoError, process_photo

# HTTP statuses for the photo errors (the API maps them).
PHOTO_ERROR_STATUS = {
    "too_large": 413,
    "unsupported_type": 415,
    "corrupt": 422,
    "too_many_pixels": 422,
}


class PhotoRejected(InvalidInput):
    def __init__(self, error: PhotoError) -> None:
        super().__init__(error.message, field_errors={"photo": [error.message]})
        self.code = error.code
        self.http_status = PHOTO_ERROR_STATUS.get(error.code, 400)


def attachment_upload(
    *, actor: AbstractBaseUser | None, data: Any, now: datetime | None = None
) -> Attachment:
    """Check, strip and store one photo; returns its unclaimed Attachment."""
    try:
        photo = process_photo(data, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    except PhotoError as exc:
        raise PhotoRejected(exc) from exc
    if actor is not None:
        earlier = Attachment.objects.filter(
            uploaded_by_id=actor.pk, sha256=photo.sha256, event__isnull=True
        ).first()
        if earlier is not None:
            return earlier
    now = now or timezone.now()
    stem = f"cases/{now:%Y/%m/%d}/{photo.sha256[:32]}"
    # Files first, then the row: a failure between them leaves an orphan file, never a row
    # that points at nothing.
    stored = default_storage.save(f"{stem}.{photo.extension}", ContentFile(photo.stored_bytes))
    thumbnail = default_storage.save(f"{stem}.thumb.jpg", ContentFile(photo.thumbnail_bytes))
    return Attachment.objects.create(
        uploaded_by_id=actor.pk if actor is not None else None,
        created_at=now,
        file=stored,
        thumbnail=thumbnail,
        content_type=photo.content_type,
        original_format=photo.original_format,
        size=len(photo.stored_bytes),
        width=photo.width,
        height=photo.height,
        sha256=photo.sha256,
        taken_at=photo.taken_at,
        taken_point=Point(*photo.gps, srid=4326) if photo.gps else None,
        exif=photo.exif,
    )
