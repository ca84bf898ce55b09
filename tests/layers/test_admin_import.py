"""The admin's dataset import: the check runs as a Celery job with a progress bar, the report
shows bad rows (nothing to confirm) or offers the import, which is a second job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from layers.models import Feature, Layer, LayerImport
from tests.layers.conftest import point_features

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/layers/layer/import/"
POINTS = [(120.305, 36.085), (120.315, 36.095), (120.325, 36.085)]


@pytest.fixture
def admin_client(client, settings, tmp_path: Path, categories):
    from grids.models import User

    settings.LAYER_IMPORT_DIR = tmp_path / "layer-imports"
    client.force_login(User.objects.create_superuser("root", password="pw-123456!"))
    return client


def upload(features: list) -> SimpleUploadedFile:
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return SimpleUploadedFile("hydrants.geojson", body.encode())


def form(features: list, **extra: str) -> dict:
    return {
        "file": upload(features),
        "code": "hydrants",
        "name": "消火栓",
        "category": "municipal",
        "frequency": "monthly",
        "encoding": "utf-8",
        "key_field": "id",
        **extra,
    }


def test_the_admin_checks_then_imports_on_confirmation(
    admin_client, tmp_path: Path, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(IMPORT_URL, form(point_features(POINTS)))
    assert response.status_code == 302
    page = admin_client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en")
    job = page.context["job"]
    assert job["state"] == "checked"
    assert (job["report"]["total"], job["report"]["problem_count"]) == (3, 0)
    assert 'data-testid="import-confirm"' in page.content.decode()
    assert not Layer.objects.exists()

    token = admin_client.session["layers_import"]["token"]
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(IMPORT_URL, {"confirm": "1", "token": token})
    page = admin_client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["job"]["state"] == "done"
    assert "Layer hydrants: 3 features (3 added" in page.content.decode()
    layer = Layer.objects.get(code="hydrants")
    assert (layer.feature_count, layer.update_frequency) == (3, "monthly")
    assert LayerImport.objects.get().file_name == "hydrants.geojson"
    assert not list((tmp_path / "layer-imports").iterdir())  # the file went with the import
    # The same confirmation again writes nothing more.
    admin_client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert Feature.objects.count() == 3
    assert LayerImport.objects.count() == 1


def test_a_bad_file_shows_its_rows_and_cannot_be_confirmed(
    admin_client, eager_celery, django_capture_on_commit_callbacks
):
    features = point_features(POINTS)
    features[1]["geometry"] = None
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(IMPORT_URL, form(features), HTTP_ACCEPT_LANGUAGE="en")
    page = admin_client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "feature 2: the feature has no geometry" in page
    assert 'data-testid="import-confirm"' not in page
    token = admin_client.session["layers_import"]["token"]
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert not Layer.objects.exists()


def test_the_page_shows_a_progress_bar_until_a_worker_takes_the_job(admin_client):
    admin_client.post(IMPORT_URL, form(point_features(POINTS)))  # no worker: stays queued
    page = admin_client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="import-bar"' in page
    assert "layers/import-progress.js" in page
    assert admin_client.get(IMPORT_URL + "status/").json() == {
        "state": "queued",
        "label": "",
        "done": 0,
        "total": 0,
    }


def test_the_form_refuses_other_files_and_bad_codes(admin_client):
    response = admin_client.post(
        IMPORT_URL,
        {
            **form(point_features(POINTS), code="no spaces"),
            "file": SimpleUploadedFile("a.txt", b"x"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "file" in errors
    assert "code" in errors


def test_staff_without_the_permission_cannot_import(client, categories):
    from grids.models import User

    client.force_login(User.objects.create_user("clerk", password="pw-123456!", is_staff=True))
    assert client.get(IMPORT_URL).status_code == 403
