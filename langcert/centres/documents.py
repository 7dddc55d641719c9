"""The confirmation of entry: a PDF with the "Results information" box, and its email."""

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from langcert.centres.models import Entry
from langcert.core import identifiers
from langcert.core.pdf import render_pdf
from langcert.core.timefmt import local_datetime_text
from langcert.delivery.notifications import test_link


def confirmation_context(entry: Entry, secret: str) -> dict[str, Any]:
    candidate, session = entry.candidate, entry.session
    language = candidate.language
    return {
        "candidate_name": candidate.full_name,
        "exam": session.exam.name,
        "session_code": session.code,
        "centre": session.centre.name,
        "id_number": identifiers.display(entry.id_number),
        "secret_number": identifiers.display(secret),
        "window_opens": local_datetime_text(session.opens_at, candidate.time_zone, language),
        "window_closes": local_datetime_text(session.closes_at, candidate.time_zone, language),
        "release": local_datetime_text(
            session.results_release_at, candidate.time_zone, language
        ),
        "target_level": entry.target_level,
        "test_url": test_link(entry.id_number) if session.exam.is_adaptive else "",
    }


def confirmation_filename(entry: Entry) -> str:
    return f"confirmation-{entry.id_number}.pdf"


def confirmation_of_entry_pdf(entry: Entry, secret: str) -> bytes:
    context = confirmation_context(entry, secret)
    with translation.override(entry.candidate.language):
        labels = {
            "title": _("Confirmation of entry"),
            "candidate": _("Candidate"),
            "exam": _("Exam"),
            "session": _("Session"),
            "centre": _("Centre"),
            "window": _("Test window"),
            "from_to": _("from %(start)s to %(end)s")
            % {"start": context["window_opens"], "end": context["window_closes"]},
            "target": _("Target level"),
            "results_box": _("Results information"),
            "id_number": _("ID Number"),
            "secret_number": _("Secret Number"),
            "release": _("Results available from"),
            "keep": _(
                "Keep this document. You need your ID Number and Secret Number to register "
                "for the Candidate Results Service. The Secret Number is not a password: "
                "you choose your password when you register."
            ),
            "lost": _(
                "Lost it? Ask your centre: they will send you a new Secret Number and the "
                "old one will stop working."
            ),
        }
    return render_pdf("confirmation_of_entry", {**context, "labels": labels})
