"""Writes for people and their accounts."""

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from langcert.core.audit import record_event
from langcert.core.models import DEFAULT_TIME_ZONE, User


def user_create(
    *,
    actor: Any,
    email: str,
    role: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    time_zone: str = DEFAULT_TIME_ZONE,
    language: str = "fr",
    request: HttpRequest | None = None,
) -> User:
    """Create a person's account. Without a password, they set one through the reset link."""
    with transaction.atomic():
        user = User.objects.create_user(
            email=email,
            password=password,
            role=role,
            first_name=first_name,
            last_name=last_name,
            time_zone=time_zone,
            language=language,
        )
        if password is None:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        record_event(actor=actor, action="user.create", target=user, request=request,
                     data={"role": role})
    return user
