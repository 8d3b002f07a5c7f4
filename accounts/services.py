"""Account services: registration and login."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import tokens
from accounts.models import User
from common.errors import DomainError, InvalidInput


class EmailTaken(InvalidInput):
    code = "email_taken"
    title = "Email already registered"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    title = "Invalid credentials"


def user_register(*, email: str, password: str, full_name: str = "") -> User:
    """Create a customer account. Password rules are Django's validators."""
    email = User.objects.normalize_email(email).strip().lower()
    candidate = User(email=email, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise InvalidInput(
            "The password does not meet the rules.",
            code="validation_error",
            extra={"errors": {"password": list(exc.messages)}},
        ) from exc
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken("An account with this email already exists.", extra={"errors": {"email": ["taken"]}})
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, full_name=full_name)
    except IntegrityError as exc:  # a concurrent registration of the same email won
        raise EmailTaken("An account with this email already exists.") from exc


def user_login(*, email: str, password: str) -> dict[str, str]:
    """Check credentials and start a new token family."""
    user = authenticate(username=email.strip().lower(), password=password)
    if user is None or not isinstance(user, User):
        raise InvalidCredentials("No active account with these credentials.")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return tokens.tokens_for_login(user)
