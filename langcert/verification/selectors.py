"""Reads of the Results Verification Service: the organisation of a user, its shared
results (filtered, sorted), and which results a user may open.

Every read starts from `released_results()`: a withdrawn result, or one of a person whose
data was erased, never reaches an organisation.
"""

from datetime import date
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from langcert.catalog.labels import outcome_label, skill_label
from langcert.catalog.models import Exam
from langcert.core.roles import Role
from langcert.results import documents
from langcert.results.models import Result
from langcert.results.selectors import photo_may_be_shown, released_results, test_day_photo_name
from langcert.verification.models import Organisation, OrganisationMember, Share
from langcert.verification.result_data import result_fields

PAGE_SIZE = 50
# Sort keys shown in the page's links -> database ordering (ties broken by newest share).
SORTS = {
    "name": ("result__entry__candidate__last_name", "result__entry__candidate__first_name"),
    "exam": ("result__entry__session__exam__name",),
    "date": ("shared_at",),
}
DEFAULT_SORT = "-date"


def membership_of(user: Any) -> OrganisationMember:
    """The user's membership of an approved organisation; refused otherwise (a user of
    an organisation still pending or rejected sees nothing)."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.ORGANISATION:
        raise PermissionDenied
    member = (OrganisationMember.objects.select_related("organisation", "user")
              .filter(user=user).first())
    if member is None or member.organisation.status != Organisation.Status.APPROVED:
        raise PermissionDenied
    return member


def shared_results(organisation: Organisation) -> QuerySet[Share]:
    """The organisation's active shares of released results."""
    return (Share.objects.filter(organisation=organisation, revoked_at__isnull=True,
                                 result__in=released_results())
            .select_related("result__entry__candidate", "result__entry__session__exam"))


def new_shares_count(member: OrganisationMember) -> int:
    """Candidates who shared since the user's previous login (all of them on a first)."""
    shares = shared_results(member.organisation)
    if member.previous_login_at is not None:
        shares = shares.filter(shared_at__gt=member.previous_login_at)
    return shares.count()


def exams_shared_with(organisation: Organisation) -> QuerySet[Exam]:
    """The exams of the organisation's shared results: the choices of the exam filter."""
    exam_ids = shared_results(organisation).values("result__entry__session__exam_id")
    return Exam.objects.filter(pk__in=exam_ids).order_by("name")


def filter_shares(shares: QuerySet[Share], *, name: str = "", exam: Exam | None = None,
                  shared_from: date | None = None, shared_to: date | None = None,
                  sort: str = DEFAULT_SORT) -> QuerySet[Share]:
    """Shares whose candidate's names contain every word of `name`, of `exam`, shared
    between the two days (in the active time zone), in `sort` order."""
    for word in name.split():
        shares = shares.filter(Q(result__entry__candidate__last_name__icontains=word)
                               | Q(result__entry__candidate__first_name__icontains=word))
    if exam is not None:
        shares = shares.filter(result__entry__session__exam=exam)
    if shared_from is not None:
        shares = shares.filter(shared_at__date__gte=shared_from)
    if shared_to is not None:
        shares = shares.filter(shared_at__date__lte=shared_to)
    descending = sort.startswith("-")
    fields = SORTS.get(sort.lstrip("-"), SORTS["date"])
    ordering = [f"-{field}" if descending else field for field in fields]
    return shares.order_by(*ordering, "-shared_at", "-pk")


def active_share(organisation: Organisation, result: Result) -> Share | None:
    return Share.objects.filter(organisation=organisation, result=result,
                                revoked_at__isnull=True).first()


def viewable_result(organisation: Organisation, public_id: UUID | str,
                    found: list[str]) -> tuple[Result, Share | None]:
    """A released result the organisation may open, with its active share if any:
    shared with it, or found by its own search in this browser session (`found`);
    404 for anything else."""
    result = (released_results().filter(public_id=public_id)
              .select_related("entry__candidate", "entry__session__exam",
                              "entry__session__centre").first())
    if result is None:
        raise Http404
    share = active_share(organisation, result)
    if share is None and str(result.public_id) not in found:
        raise Http404
    return result, share


def result_detail(result: Result, *, shared: bool) -> dict[str, Any]:
    """What the result page shows: the named fields (share-only ones blank without a
    share), skills, oral criteria, the outcome and whether there is a photo to show."""
    entry = result.entry
    kinds = documents.available_documents(result)
    outcome = (outcome_label(result.outcome, result.cefr_level)
               if result.source == Result.Source.IMPORT and result.outcome else "")
    return {
        "result": result,
        "fields": result_fields(result, shared=shared),
        "shared": shared,
        "skills": [{"label": skill_label(s["skill"]), "score": s["score"], "cefr": s["cefr"]}
                   for s in result.skills],
        "oral": [{"label": skill_label(code), "cefr": level}
                 for code, level in result.oral_criteria.items()],
        "outcome": outcome,
        # The photo itself is decrypted only by the photo view, when the browser asks.
        "has_photo": photo_may_be_shown(entry) and bool(test_day_photo_name(entry)),
        # The PDF view serves the first kind: the statement, or an adaptive attestation.
        "document": documents.DocumentKind(kinds[0]).label if kinds else "",
    }
