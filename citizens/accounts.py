"""Citizen accounts: one-time codes by SMS, registering with a verified phone, logging in by
password or by code. Tokens are the handhelds' expiring API tokens (cases.api.auth).

Limits on codes (settings, all per phone and held in the phone's row, so every web process
sees them): a code lives CITIZEN_OTP_TTL_SECONDS, allows CITIZEN_OTP_MAX_ATTEMPTS wrong tries,
cannot be resent within CITIZEN_OTP_RESEND_SECONDS, and at most CITIZEN_OTP_MAX_PER_HOUR are
sent to one phone an hour. The API adds a per-address rate (DRF throttle scope citizen_otp).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from cases.api.auth import IssuedToken, token_issue
from cases.errors import InvalidInput
from citizens.errors import (
    AlreadyRegistered,
    InvalidCredentials,
    SmsUnavailable,
    TooManyRequests,
)
from citizens.models import CitizenProfile, OtpPurpose, PhoneCode
from citizens.sms import SmsError, get_sms_backend
from grids.models import User

# Mainland mobile numbers: 11 digits starting 13–19; "+86" / "86" and separators are dropped.
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_SEPARATORS = re.compile(r"[\s\-()]")
CODE_DIGITS = 6


def normalize_phone(raw: str) -> str:
    """The phone as stored (13812345678), or InvalidInput naming the field."""
    phone = _SEPARATORS.sub("", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    if not _MOBILE.match(phone):
        message = _("A mainland mobile number: 11 digits starting with 1.")
        raise InvalidInput(message, field_errors={"phone": [message]})
    return phone


def _code_hash(phone: str, purpose: str, code: str) -> str:
    return salted_hmac("citizens.otp", f"{phone}:{purpose}:{code}", algorithm="sha256").hexdigest()


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=int(getattr(settings, name)))


# --- one-time codes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeSent:
    expires_at: datetime
    resend_after: datetime
    # Development only (DEBUG): the code itself, so a tester can register without a phone.
    dev_code: str = ""


def _locked_code_row(phone: str, now: datetime) -> PhoneCode:
    """The phone's row, locked; made on first use (a concurrent first use waits its turn)."""
    try:
        with transaction.atomic():
            PhoneCode.objects.get_or_create(
                phone=phone,
                defaults={
                    "purpose": OtpPurpose.LOGIN,
                    "code_hash": "",
                    "sent_at": now - timedelta(days=1),
                    "expires_at": now - timedelta(days=1),
                    "used_at": now - timedelta(days=1),
                    "window_started_at": now,
                },
            )
    except IntegrityError:
        pass  # made by the concurrent request
    return PhoneCode.objects.select_for_update().get(phone=phone)


def _code_is_wanted(phone: str, purpose: str) -> bool:
    """Whether a code for this purpose could lead anywhere; answers look the same either way,
    so the endpoint does not tell who has an account."""
    registered = CitizenProfile.objects.filter(phone=phone).exists()
    return registered if purpose == OtpPurpose.LOGIN else not registered


def otp_request(
    *, phone: str, purpose: str, ip: str | None = None, now: datetime | None = None
) -> CodeSent:
    """Send a new one-time code to the phone (replacing any earlier one)."""
    phone = normalize_phone(phone)
    if purpose not in OtpPurpose.values:
        raise InvalidInput(
            _("Unknown purpose."), field_errors={"purpose": [_("register or login.")]}
        )
    now = now or timezone.now()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    sent = False
    with transaction.atomic():
        row = _locked_code_row(phone, now)
        resend_after = row.sent_at + _seconds("CITIZEN_OTP_RESEND_SECONDS")
        if now < resend_after:
            wait = int((resend_after - now).total_seconds()) + 1
            raise TooManyRequests(
                _("A code was sent a moment ago; ask again in %(n)d seconds.") % {"n": wait},
                field_errors={"phone": [_("Wait before asking for another code.")]},
                retry_after_seconds=wait,
            )
        if now - row.window_started_at >= timedelta(hours=1):
            row.window_started_at, row.sent_in_window = now, 0
        if row.sent_in_window >= settings.CITIZEN_OTP_MAX_PER_HOUR:
            wait = int((row.window_started_at + timedelta(hours=1) - now).total_seconds()) + 1
            raise TooManyRequests(
                _("Too many codes for this phone; try again later."),
                field_errors={"phone": [_("Too many codes for this phone this hour.")]},
                retry_after_seconds=wait,
            )
        row.purpose = purpose
        row.code_hash = _code_hash(phone, purpose, code)
        row.sent_at = now
        row.expires_at = now + _seconds("CITIZEN_OTP_TTL_SECONDS")
        row.attempts = 0
        row.used_at = None
        row.sent_in_window += 1
        row.requested_ip = ip
        row.save()
        if _code_is_wanted(phone, purpose):
            minutes = max(1, settings.CITIZEN_OTP_TTL_SECONDS // 60)
            text = _(
                "Your Wangge verification code is %(code)s, valid for %(minutes)d minutes. "
                "Do not share it."
            ) % {"code": code, "minutes": minutes}
            try:
                get_sms_backend().send(phone=phone, text=text)
            except SmsError as exc:
                # Nothing is kept: the cooldown must not block a retry of a code never sent.
                raise SmsUnavailable(_("The code could not be sent; try again.")) from exc
            sent = True
    return CodeSent(
        expires_at=row.expires_at,
        resend_after=now + _seconds("CITIZEN_OTP_RESEND_SECONDS"),
        dev_code=code if sent and settings.DEBUG else "",
    )


def otp_check(*, phone: str, purpose: str, code: str, now: datetime | None = None) -> None:
    """Use the phone's code once, or raise InvalidInput saying why (a wrong try is counted)."""
    now = now or timezone.now()
    code = (code or "").strip()
    failure: str | None = None
    with transaction.atomic():
        row = PhoneCode.objects.select_for_update().filter(phone=phone).first()
        if row is None or row.used_at is not None or row.purpose != purpose:
            failure = _("No code is waiting for this phone; ask for one.")
        elif row.expires_at <= now:
            failure = _("The code has expired; ask for a new one.")
        elif row.attempts >= settings.CITIZEN_OTP_MAX_ATTEMPTS:
            failure = _("Too many wrong codes; ask for a new one.")
        elif not constant_time_compare(row.code_hash, _code_hash(phone, purpose, code)):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = settings.CITIZEN_OTP_MAX_ATTEMPTS - row.attempts
            failure = (
                _("Wrong code; %(n)d tries left.") % {"n": left}
                if left
                else _("Too many wrong codes; ask for a new one.")
            )
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
    # Raised after the block so that the counted wrong try is committed.
    if failure is not None:
        raise InvalidInput(failure, field_errors={"code": [failure]})


# --- register and log in ----------------------------------------------------------------------


@dataclass(frozen=True)
class CitizenSession:
    user: User
    token: IssuedToken
    created: bool = False


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(
            _("Choose another password."), field_errors={"password": list(exc.messages)}
        ) from exc


def citizen_register(
    *,
    phone: str,
    code: str,
    password: str,
    name: str = "",
    device: str = "",
    now: datetime | None = None,
) -> CitizenSession:
    """A new citizen account for a phone proven by its code; logged in at once."""
    phone = normalize_phone(phone)
    now = now or timezone.now()
    if CitizenProfile.objects.filter(phone=phone).exists():
        raise AlreadyRegistered(
            _("This phone already has an account; log in."),
            field_errors={"phone": [_("Already registered.")]},
        )
    candidate = User(username="citizen", first_name=name.strip()[:150], phone=phone)
    _check_password(password, candidate)
    otp_check(phone=phone, purpose=OtpPurpose.REGISTER, code=code, now=now)
    try:
        with transaction.atomic():
            user = User(
                username=f"citizen-{secrets.token_hex(6)}",
                first_name=name.strip()[:150],
                phone=phone,
            )
            user.set_password(password)
            user.save()
            CitizenProfile.objects.create(
                user=user, phone=phone, phone_verified_at=now, created_at=now
            )
    except IntegrityError:
        # The same phone registered by a concurrent request a moment ago.
        raise AlreadyRegistered(
            _("This phone already has an account; log in."),
            field_errors={"phone": [_("Already registered.")]},
        ) from None
    return CitizenSession(user=user, token=token_issue(user=user, device=device), created=True)


def citizen_login(
    *,
    phone: str,
    password: str = "",
    code: str = "",
    device: str = "",
    now: datetime | None = None,
) -> CitizenSession:
    """Log in with the phone and its password, or the phone and a one-time code."""
    phone = normalize_phone(phone)
    if bool(password) == bool(code):
        message = _("Give a password or a one-time code.")
        raise InvalidInput(message, field_errors={"password": [message], "code": [message]})
    profile = CitizenProfile.objects.select_related("user").filter(phone=phone).first()
    user: User | None = None
    if code:
        if profile is None:
            # Same answer as a wrong code: the endpoint does not tell who has an account.
            message = _("No code is waiting for this phone; ask for one.")
            raise InvalidInput(message, field_errors={"code": [message]})
        otp_check(phone=phone, purpose=OtpPurpose.LOGIN, code=code, now=now)
        user = profile.user
    else:
        # Wrong passwords lock the account (and the address) for a while: the view checks and
        # counts them (config.lockout), under the name `citizen_login_name` gives.
        if profile is None:
            User().set_password(password)  # the same work as a real check: no timing tell
        elif profile.user.check_password(password):
            user = profile.user
    if user is None:
        raise InvalidCredentials(_("Wrong phone or password."))
    if not user.is_active:
        raise InvalidCredentials(_("This account is disabled."))
    return CitizenSession(user=user, token=token_issue(user=user, device=device))


def citizen_login_name(phone: str) -> str:
    """The name failed password log-ins for this phone are counted under: the account's
    username (shared with every other log-in of the account), or the phone when it has none."""
    phone = normalize_phone(phone)
    username = (
        CitizenProfile.objects.filter(phone=phone).values_list("user__username", flat=True).first()
    )
    return username or f"phone:{phone}"


def is_citizen(user: object) -> bool:
    pk = getattr(user, "pk", None)
    if not getattr(user, "is_authenticated", False) or pk is None:
        return False
    return CitizenProfile.objects.filter(user_id=pk).exists()
