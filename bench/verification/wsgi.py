"""WSGI entry point of the verification load benchmark only (never used in production).

The production application, with the guessing limits lifted for this process: the bench
sends thousands of misses from one address and one organisation, which the real limits
(lookup.MISSES_PER_*, 50-200 an hour) would stop after a few seconds. The counting itself
(cache increments, audit rows) still happens on every request, so the work measured is the
production work; only the thresholds differ.
"""

from django.conf import settings

from langcert.wsgi import application  # noqa: F401 (the entry point gunicorn loads)

UNLIMITED = 10**9


def _lift_limits() -> None:
    from langcert.verification import lookup  # once the application has set Django up

    lookup.MISSES_PER_USER = lookup.MISSES_PER_ORGANISATION = UNLIMITED
    lookup.MISSES_PER_ADDRESS = UNLIMITED
    settings.API_REQUESTS_PER_MINUTE = UNLIMITED


_lift_limits()
