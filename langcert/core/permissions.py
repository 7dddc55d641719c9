from functools import wraps
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from langcert.core.roles import Role

BOARD_APP_LABELS = {
    "core", "catalog", "centres", "verification", "itembank", "delivery", "oral",
    "django_celery_beat",
}


def role_required(*roles: str):
    """Only signed-in people with one of `roles` may open the view."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def user_by_identifier(identifier: str) -> Any:
    """The user an email address or an ID Number names, or None."""
    from langcert.centres.models import Entry
    from langcert.core import identifiers
    from langcert.core.models import User

    identifier = identifier.strip()
    if "@" in identifier:
        return User.objects.filter(email__iexact=identifier).first()
    entry = (Entry.objects.filter(id_number=identifiers.normalise(identifier))
             .select_related("candidate__account").first())
    return entry.candidate.account if entry is not None else None


class EmailBackend(ModelBackend):
    """Sign in by email, whatever its case, or by any ID Number of a Candidate Results
    Service account; board staff hold every permission of the platform's own apps in the
    admin."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = kwargs.get("email") or username
        if not identifier or not password:
            return None
        from langcert.core.models import User

        user = user_by_identifier(identifier)
        if user is None:
            User().set_password(password)  # same work either way: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def has_perm(self, user_obj, perm, obj=None):
        if user_obj.is_active and getattr(user_obj, "role", None) == Role.BOARD:
            return perm.split(".", 1)[0] in BOARD_APP_LABELS or perm.startswith("auth.view")
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if user_obj.is_active and getattr(user_obj, "role", None) == Role.BOARD:
            return app_label in BOARD_APP_LABELS
        return super().has_module_perms(user_obj, app_label)
