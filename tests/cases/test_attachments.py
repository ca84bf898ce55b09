import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from cases.attachments import PhotoRejected, attachment_upload
from cases.errors import InvalidInput
from cases.models import Attachment
from grids.models import Role


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def jpeg_bytes(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    Image.new("RGB", (640, 480), color).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_upload_stores_a_stripped_copy_and_a_thumbnail(world):
    inspector = world.users[Role.INSPECTOR]
    attachment = attachment_upload(actor=inspector, data=jpeg_bytes())
    assert attachment.content_type == "image/jpeg"
    assert attachment.exif.get("make") == "PhoneMaker"
    with default_storage.open(attachment.file.name) as stored:
        assert b"PhoneMaker" not in stored.read()
    assert default_storage.exists(attachment.thumbnail.name)
    assert attachment.case is None


def test_the_same_bytes_uploaded_twice_by_one_user_are_one_attachment(world):
    inspector = world.users[Role.INSPECTOR]
    data = jpeg_bytes()
    assert (
        attachment_upload(actor=inspector, data=data).pk
        == attachment_upload(actor=inspector, data=data).pk
    )


def test_non_image_upload_is_refused_with_415(world):
    with pytest.raises(PhotoRejected) as excinfo:
        attachment_upload(actor=world.users[Role.INSPECTOR], data=b"%PDF-1.4 not a photo")
    assert excinfo.value.http_status == 415
    assert Attachment.objects.count() == 0


def test_report_claims_uploaded_photos_once(world):
    inspector = world.users[Role.INSPECTOR]
    photo = attachment_upload(actor=inspector, data=jpeg_bytes())
    case = world.report(attachment_ids=[photo.pk])
    photo.refresh_from_db()
    assert photo.case == case
    assert photo.event == case.events.get()
    with pytest.raises(InvalidInput) as excinfo:
        world.report(attachment_ids=[photo.pk])
    assert "attachments" in excinfo.value.field_errors


def test_photos_of_another_user_cannot_be_claimed(world):
    photo = attachment_upload(actor=world.users[Role.INTAKE_OPERATOR], data=jpeg_bytes((1, 2, 3)))
    with pytest.raises(InvalidInput):
        world.report(attachment_ids=[photo.pk])
