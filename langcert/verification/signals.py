"""Remember an organisation user's previous login, for "N new candidates have shared their
results since you last logged in"."""

from typing import Any

from langcert.core.roles import Role
from langcert.verification.models import OrganisationMember


def remember_previous_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Copy the login before this one into the membership. Connected ahead of Django's
    `update_last_login` (see apps.py), so `user.last_login` still holds that login."""
    if getattr(user, "role", None) != Role.ORGANISATION:
        return
    OrganisationMember.objects.filter(user=user).update(previous_login_at=user.last_login)
