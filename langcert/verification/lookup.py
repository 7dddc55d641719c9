"""Looking a result up by Statement of Results number + date of birth.

Every lookup goes through `verify` (typed in a page, sent to the API) or `verify_many` (a
bulk call, a file checked in the browser), which gives each pair the outcome `verify`
would have, so the same limits apply everywhere (DESIGN.md, "Limits on guessing"):
a number whose check symbol is wrong is refused before any lookup and counts nothing;
a miss counts against the user, the organisation and the address, is audited, and says
nothing about whether the number exists.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from langcert.centres.models import Candidate
from langcert.core import identifiers, ratelimit
from langcert.core.audit import event_row, record_events_on
from langcert.core.compiled_query import CompiledQuery
from langcert.core.fast_insert import insert_rows
from langcert.results.models import Result
from langcert.results.selectors import released_results
from langcert.verification.models import AccessEvent, Organisation

MISS_WINDOW_SECONDS = 60 * 60
MISSES_PER_USER = 50
MISSES_PER_ORGANISATION = 200
MISSES_PER_ADDRESS = 50

TYPO_MESSAGE = _("This Statement of Results number is not valid: check it for a typing "
                 "mistake.")
LIMIT_MESSAGE = _("Too many searches found nothing. Wait an hour and try again.")
MISS_MESSAGE = _("No result matches this number and date of birth.")


class LookupRefused(Exception):
    """The lookup was not made: `code` is "typo" or "rate_limited"."""

    def __init__(self, code: str, retry_after: int = 0):
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return str(TYPO_MESSAGE if self.code == "typo" else LIMIT_MESSAGE)


@dataclass(frozen=True)
class Searcher:
    """Who looks: the organisation, the user (None for an API client) and the address."""

    organisation: Organisation
    user: Any
    ip: str | None
    channel: str  # "web", "api", "bulk_web", "bulk_api"


def _limit_keys(searcher: Searcher) -> list[tuple[str, str, int]]:
    keys = [("lookup-org", str(searcher.organisation.pk), MISSES_PER_ORGANISATION),
            ("lookup-ip", searcher.ip or "", MISSES_PER_ADDRESS)]
    if searcher.user is not None:
        keys.append(("lookup-user", str(searcher.user.pk), MISSES_PER_USER))
    return keys


def well_formed_number(typed: str) -> str:
    """The canonical number, or LookupRefused("typo") when the check symbol disagrees."""
    number = identifiers.normalise(typed)
    if not identifiers.is_valid_statement_number(number):
        raise LookupRefused("typo")
    return number


def verify(*, statement_number: str, date_of_birth: date, searcher: Searcher,
           columns: Sequence[str] = ()) -> Result | None:
    """The released result with this number and date of birth, or None (a miss).

    `columns` (field paths, e.g. result_data.RESULT_COLUMNS) loads only those of the result
    and its entry, candidate, session, exam and centre; by default everything is loaded."""
    number = well_formed_number(statement_number)
    keys = _limit_keys(searcher)
    if ratelimit.any_limited(keys):
        raise LookupRefused("rate_limited", retry_after=MISS_WINDOW_SECONDS)
    result = _find(number, date_of_birth, columns)
    if result is None:
        ratelimit.count_attempts([(scope, ident) for scope, ident, _n in keys],
                                 MISS_WINDOW_SECONDS)
        insert_rows(event_row(actor=searcher.user, action="verification.lookup_miss",
                              target=searcher.organisation, data={"channel": searcher.channel}))
        return None
    record_access(result=result, searcher=searcher, kind=AccessEvent.Kind.VIEW,
                  action="verification.lookup")
    return result


LookupOutcome = Result | LookupRefused | None  # a match, a refusal, a miss
NUMBERS_PER_QUERY = 500


def verify_many(pairs: Sequence[tuple[str, date]], *, searcher: Searcher,
                columns: Sequence[str] = ()) -> list[LookupOutcome]:
    """`verify` for each (number, date of birth) pair, in order, with the outcome each would
    have had in turn: typos refused, then a lookup while the misses so far stay under every
    limit; once a limit is reached, every later pair is refused as rate limited (a later
    typo too: nothing more is checked). Done in a few statements (the limits read and the
    possible misses reserved, a query per 500 numbers, the log rows in batches, the unused
    reservation given back) rather than a handful per pair. While the call runs, its
    reservation counts against the limits for others too: they cannot spend the same room."""
    keys = _limit_keys(searcher)
    numbers = [_number_or_refusal(typed) for typed, _birth in pairs]
    wanted = [number for number in numbers if isinstance(number, str)]
    # The misses this call may have, taken from the limits before looking anything up, so
    # that calls at the same moment cannot each spend the same room.
    room = ratelimit.reserve(keys, MISS_WINDOW_SECONDS, wanted=len(wanted))
    outcomes: list[LookupOutcome] = []
    hits, misses = [], 0
    try:
        found = _find_many(set(wanted), columns)
        limited = None
        for number, (_typed, birth) in zip(numbers, pairs, strict=True):
            if limited is None and not isinstance(number, LookupRefused) and misses >= room:
                limited = LookupRefused("rate_limited", retry_after=MISS_WINDOW_SECONDS)
            if limited is not None or isinstance(number, LookupRefused):
                outcomes.append(limited or number)
                continue
            result = found.get(number)
            if result is not None and result.entry.candidate.date_of_birth == birth:
                hits.append(result)
                outcomes.append(result)
            else:
                misses += 1
                outcomes.append(None)
    finally:
        ratelimit.give_back(keys, room - misses)
    _record_many(hits=hits, misses=misses, searcher=searcher)
    return outcomes


def _number_or_refusal(typed: str) -> str | LookupRefused:
    try:
        return well_formed_number(typed)
    except LookupRefused as typo:
        return typo


def _find_many(numbers: set[str], columns: Sequence[str]) -> dict[str, Result]:
    """The released results with these numbers, by number (dates of birth not checked)."""
    results, ordered, found = _lookup_results(columns), sorted(numbers), {}
    for start in range(0, len(ordered), NUMBERS_PER_QUERY):
        chunk = ordered[start:start + NUMBERS_PER_QUERY]
        found.update((r.statement_number, r) for r in results.filter(statement_number__in=chunk))
    return found


def _record_many(*, hits: list[Result], misses: int, searcher: Searcher) -> None:
    """The log rows `verify` writes for each hit and miss, written in batches (the misses
    are already counted against the limits)."""
    with transaction.atomic(savepoint=False):
        AccessEvent.objects.bulk_create(
            [AccessEvent(result=result, organisation=searcher.organisation,
                         user=searcher.user, kind=AccessEvent.Kind.VIEW) for result in hits])
        record_events_on(actor=searcher.user, action="verification.lookup", model=Result,
                         target_ids=[result.pk for result in hits],
                         data={"organisation": searcher.organisation.pk,
                               "channel": searcher.channel})
        record_events_on(actor=searcher.user, action="verification.lookup_miss",
                         model=Organisation, target_ids=[searcher.organisation.pk] * misses,
                         data={"channel": searcher.channel})


def _lookup_results(columns: Sequence[str]):
    """Released results with what a lookup shows of them: all of it, or only `columns`."""
    results = released_results().select_related(
        "entry__candidate", "entry__session__exam", "entry__session__centre")
    return results.only(*columns) if columns else results


@cache
def _lookup_query(columns: tuple[str, ...]) -> CompiledQuery:
    """The lookup of one number + date of birth, compiled once per thread: every lookup
    of a page or the API runs it, and Django takes ten times longer to compile its six
    tables than the database to answer (compiled_query)."""
    return CompiledQuery(
        Result,
        lambda number, birth: _lookup_results(columns).filter(
            statement_number=number, entry__candidate__date_of_birth=birth).order_by(),
        number=Result._meta.get_field("statement_number"),
        birth=Candidate._meta.get_field("date_of_birth"))


def _find(number: str, date_of_birth: date, columns: Sequence[str]) -> Result | None:
    # The number is unique: at most one row.
    return _lookup_query(tuple(columns)).first(number=number, birth=date_of_birth)


def record_access(*, result: Result, searcher: Searcher, kind: str, action: str) -> None:
    """An organisation saw or downloaded a result: audited, and in the candidate's log
    (both rows or neither, in one statement where the database allows)."""
    insert_rows(AccessEvent(result=result, organisation=searcher.organisation,
                            user=searcher.user, kind=kind),
                event_row(actor=searcher.user, action=action, target=result,
                          data={"organisation": searcher.organisation.pk,
                                "channel": searcher.channel}))
