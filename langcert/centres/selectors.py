"""Reads for centres, filtered by who is asking: centre staff see their centres only."""

from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from langcert.centres.models import Centre, Entry, Session
from langcert.core import identifiers
from langcert.core.roles import Role


def centres_for(user: Any) -> QuerySet[Centre]:
    if not getattr(user, "is_authenticated", False):
        return Centre.objects.none()
    if user.role == Role.BOARD:
        return Centre.objects.all()
    if user.role == Role.CENTRE:
        return Centre.objects.filter(staff=user)
    return Centre.objects.none()


def can_manage_centre(user: Any, centre: Centre) -> bool:
    return centres_for(user).filter(pk=centre.pk).exists()


def sessions_for(user: Any) -> QuerySet[Session]:
    return (
        Session.objects.filter(centre__in=centres_for(user))
        .select_related("exam", "centre")
        .annotate(entry_count=Count("entries"))
    )


def session_for(user: Any, public_id: Any) -> Session:
    return get_object_or_404(sessions_for(user), public_id=public_id)


def entries_for(user: Any) -> QuerySet[Entry]:
    return Entry.objects.filter(session__centre__in=centres_for(user)).select_related(
        "candidate", "session__exam", "session__centre", "job"
    )


def entry_for(user: Any, public_id: Any) -> Entry:
    return get_object_or_404(entries_for(user), public_id=public_id)


def entries_of_session(session: Session) -> QuerySet[Entry]:
    return session.entries.select_related("candidate", "job").order_by(
        "candidate__last_name", "candidate__first_name"
    )


def entries_of_account(user: Any) -> QuerySet[Entry]:
    """A Candidate Results Service account's entries."""
    return Entry.objects.filter(candidate__account=user).select_related(
        "session__exam", "session__centre"
    )


def secret_matches(entry: Entry, typed: str) -> bool:
    """Whether a typed Secret Number is the entry's current one (case and dashes ignored)."""
    from django.contrib.auth.hashers import check_password

    return check_password(identifiers.normalise(typed), entry.secret_hash)
