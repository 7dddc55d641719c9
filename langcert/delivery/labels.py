"""Texts the test scripts show, translated on the server and handed to the page."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def check_labels() -> dict[str, str]:
    return {
        "no_camera": _("We cannot use your camera. Connect one, allow the browser to use it, "
                       "then press “Take the photo” again."),
        "no_microphone": _("We cannot use your microphone. Connect one, allow the browser to "
                           "use it, then try again."),
        "network": _("The photo could not be sent. Check your connection and try again."),
        "mic_ok": _("We heard you. All checks are done."),
    }


def device_labels() -> dict[str, str]:
    return {
        "browser": _("Browser"), "camera": _("Camera"), "microphone": _("Microphone"),
        "speakers": _("Speakers or headphones"), "connection": _("Connection"),
        "ok": _("OK"), "problem": _("Problem"),
        "passed": _("Your computer is ready for the test."),
        "failed": _("Fix the problems marked below, then run the check again."),
        "running": _("Checking…"),
    }


def confirm_word() -> str:
    """The word the candidate types to send the test, in the active language."""
    return pgettext("word typed to send the test", "CONFIRM")


def confirm_words() -> set[str]:
    """That word in every language of the site (CONFIRM, CONFIRMER): any of them sends."""
    words = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words.add(confirm_word().upper())
    return words


def player_labels() -> dict:
    word = confirm_word()
    return {
        "question": _("Question"),
        "section": _("Section %(n)s of %(total)s"),
        "plays_left": _("Plays left: %(n)s"),
        "time_up": _("Time is up for this question. Next question in %(n)s…"),
        "restarted": _("The section starts again with new questions. Question numbers go on."),
        "confirm_restart": _("Restart this section? Its questions will be replaced by new ones."),
        "error": _("Something went wrong. Press “Restart the section”."),
        "confirm_word": word,
        "confirm_words": sorted(confirm_words()),
        "type_word": _("Type %(word)s exactly as shown."),
        "not_sent": _("Not sent"),
        "sending": _("Sending…"),
        "waiting": _("Not sent yet: your answers are kept in this browser and will be sent "
                     "automatically when the connection returns (within 24 hours)."),
        "sent": _("Sent"),
        "back_home": _("Back to my test page"),
        "practice_score": _("%(points)s point(s) out of %(max)s."),
        "item": {
            "gap": _("Gap"),
            "bank": _("Words:"),
            "remove": _("Remove"),
            "orderHelp": _("Click the parts in order. Click a placed part to take it back."),
        },
    }
