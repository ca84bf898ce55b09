"""The demo citizen account that seed_demo adds (README): phone 13800138000 and the demo
password. Idempotent: seeding again resets the password and keeps the account."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from citizens.models import CitizenProfile
from grids.models import User

DEMO_CITIZEN_PHONE = "13800138000"
DEMO_CITIZEN_USERNAME = "demo-citizen"


def seed_demo_citizen(*, password: str) -> User:
    now = timezone.now()
    user, _created = User.objects.update_or_create(
        username=DEMO_CITIZEN_USERNAME,
        defaults={
            "password": make_password(password),
            "first_name": "市民",
            "phone": DEMO_CITIZEN_PHONE,
            "is_active": True,
            "is_staff": False,
            "is_superuser": False,
        },
    )
    CitizenProfile.objects.update_or_create(
        phone=DEMO_CITIZEN_PHONE,
        defaults={"user": user},
        create_defaults={"user": user, "phone_verified_at": now, "created_at": now},
    )
    return user
