"""API tokens die with the password and with the account: an old token worked for up to seven
days after a password change. Every path that changes a password or deactivates a user revokes
all of the user's tokens; a hash upgraded at log-in does not."""

from __future__ import annotations

import pytest
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.management import call_command
from rest_framework.test import APIClient

from cases.api.auth import agency_key_issue, token_issue
from cases.models import ApiToken
from grids.models import Role, User

pytestmark = pytest.mark.django_db

PASSWORD = "pw-123456!"
NEW_PASSWORD = "a-new-and-long-passphrase-2026"


@pytest.fixture
def inspector(district, make_user):
    return make_user(Role.INSPECTOR, region=district["370203001001001"], username="wgy")


@pytest.fixture
def admin_client(db, client):
    admin = User.objects.create_superuser("root", "root@example.cn", PASSWORD)
    client.force_login(admin)
    return client


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user).token}")
    return client


def assert_works(client: APIClient) -> None:
    assert client.get("/api/v1/me/").status_code == 200


def assert_revoked(client: APIClient) -> None:
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_set_password_revokes_every_token(inspector):
    handheld, desktop = token_client(inspector), token_client(inspector)
    assert_works(handheld)
    inspector.set_password(NEW_PASSWORD)
    inspector.save()
    assert_revoked(handheld)
    assert_revoked(desktop)
    assert not ApiToken.objects.filter(user=inspector, revoked_at__isnull=True).exists()
    # A new log-in with the new password works.
    fresh = APIClient().post(
        "/api/v1/auth/login/", {"username": "wgy", "password": NEW_PASSWORD}, format="json"
    )
    assert fresh.status_code == 200


def test_the_admin_password_form_revokes_tokens(inspector, admin_client):
    handheld = token_client(inspector)
    response = admin_client.post(
        f"/admin/grids/user/{inspector.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert_revoked(handheld)


def test_disabling_password_log_in_revokes_tokens(inspector):
    handheld = token_client(inspector)
    inspector.set_unusable_password()
    inspector.save()
    assert_revoked(handheld)


def test_django_password_forms_revoke_tokens(inspector):
    first = token_client(inspector)
    form = PasswordChangeForm(
        inspector,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert form.is_valid(), form.errors
    form.save()
    assert_revoked(first)
    second = token_client(inspector)
    form = SetPasswordForm(
        inspector, {"new_password1": PASSWORD + "x", "new_password2": PASSWORD + "x"}
    )
    assert form.is_valid(), form.errors
    form.save()
    assert_revoked(second)


def test_manage_py_changepassword_revokes_tokens(inspector, monkeypatch):
    handheld = token_client(inspector)
    monkeypatch.setattr(
        "django.contrib.auth.management.commands.changepassword.getpass.getpass",
        lambda prompt="": NEW_PASSWORD,
    )
    call_command("changepassword", "wgy")
    assert_revoked(handheld)


def test_deactivation_revokes_tokens_and_reactivation_does_not_revive_them(inspector, admin_client):
    handheld = token_client(inspector)
    inspector.is_active = False
    inspector.save(update_fields=["is_active"])
    assert_revoked(handheld)
    inspector.is_active = True
    inspector.save()
    assert_revoked(handheld)


def test_deactivating_in_the_admin_revokes_tokens(inspector, admin_client):
    handheld = token_client(inspector)
    form = admin_client.get(f"/admin/grids/user/{inspector.pk}/change/")
    assert form.status_code == 200
    data = {
        "username": "wgy",
        "first_name": "",
        "last_name": "",
        "email": "",
        "phone": "",
        "is_staff": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
        "posts-TOTAL_FORMS": "0",
        "posts-INITIAL_FORMS": "0",
        "posts-MIN_NUM_FORMS": "0",
        "posts-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(f"/admin/grids/user/{inspector.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    inspector.refresh_from_db()
    assert not inspector.is_active
    assert_revoked(handheld)


def test_other_saves_keep_tokens(inspector):
    handheld = token_client(inspector)
    inspector.first_name = "王"
    inspector.save()
    inspector.save(update_fields=["last_login"])
    assert_works(handheld)


def test_a_hash_upgraded_at_log_in_is_not_a_password_change(inspector, settings):
    handheld = token_client(inspector)
    # The tests hash with MD5; make PBKDF2 the preferred hasher, so the next log-in upgrades.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    old_hash = User.objects.get(pk=inspector.pk).password
    response = APIClient().post(
        "/api/v1/auth/login/", {"username": "wgy", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert User.objects.get(pk=inspector.pk).password != old_hash
    assert_works(handheld)


def test_a_user_deactivated_by_a_bulk_update_is_refused_all_the_same(inspector):
    handheld = token_client(inspector)
    User.objects.filter(pk=inspector.pk).update(is_active=False)
    assert_revoked(handheld)


def test_a_deactivated_agency_account_loses_its_key(district):
    issued = agency_key_issue(name="12345 政务服务热线", source="hotline_12345")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.key)
    assert client.post("/api/v1/intake/", {}, format="json").status_code == 400
    User.objects.filter(pk=issued.row.user_id).update(is_active=False)
    assert client.post("/api/v1/intake/", {}, format="json").status_code == 401
