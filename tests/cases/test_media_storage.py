"""Photos go through Django's storage API only, so several web machines can share a store
(issue 17 §4): MEDIA_STORAGE=s3 puts them in an S3-compatible bucket; the default stays on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from moto import mock_aws

from cases.attachments import attachment_upload
from grids.models import Role
from tests.cases.test_attachments import jpeg_bytes
from tests.helpers import client_for

BUCKET = "wangge-media-test"


def _photo_round_trip(world) -> tuple[bytes, bytes]:
    """Upload a photo and read it back through the API: (stored bytes, served bytes)."""
    inspector = world.users[Role.INSPECTOR]
    photo = attachment_upload(actor=inspector, data=jpeg_bytes())
    case = world.report(attachment_ids=[photo.pk])
    photo.refresh_from_db()
    assert photo.case == case
    with photo.file.storage.open(photo.file.name, "rb") as handle:
        stored = handle.read()
    response = client_for(inspector).get(reverse("attachment-file", args=[photo.pk]))
    assert response.status_code == 200
    return stored, b"".join(response.streaming_content)


def test_photos_need_no_local_folder_when_the_storage_is_elsewhere(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "not-used"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    stored, served = _photo_round_trip(world)
    assert stored[:2] == b"\xff\xd8"
    assert served == stored
    assert not (tmp_path / "not-used").exists()  # nothing wrote to MEDIA_ROOT directly


def _storages_from_environment(**env: str) -> dict:
    """config.settings' STORAGES as a process started with these variables builds it."""
    code = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES))"
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_the_default_stays_on_disk():
    storages = _storages_from_environment()
    assert storages["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_media_storage_s3_puts_photos_in_the_bucket(world, settings):
    storages = _storages_from_environment(
        MEDIA_STORAGE="s3",
        MEDIA_S3_BUCKET=BUCKET,
        MEDIA_S3_REGION="us-east-1",
        MEDIA_S3_ACCESS_KEY_ID="test",
        MEDIA_S3_SECRET_ACCESS_KEY="test",  # moto's fake account
    )
    assert storages["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storages["default"]["OPTIONS"]["bucket_name"] == BUCKET
    with mock_aws():  # an in-process S3 (moto): the real boto3 client, no network
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {**settings.STORAGES, "default": storages["default"]}
        stored, served = _photo_round_trip(world)
        assert served == stored
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert len(keys) == 2  # the photo and its thumbnail, under the prefix
    assert all(key.startswith("media/cases/") for key in keys)


@pytest.mark.parametrize("value", ["nfs", "S3 "])
def test_an_unknown_media_storage_is_refused(value):
    with pytest.raises(subprocess.CalledProcessError) as failed:
        _storages_from_environment(MEDIA_STORAGE=value)
    assert "MEDIA_STORAGE is filesystem or s3" in failed.value.stderr
