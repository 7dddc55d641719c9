"""Dates and times shown to a person: in their own time zone, in their language."""

import zoneinfo
from datetime import datetime

from django.utils import formats, translation


def local_datetime_text(moment: datetime, time_zone: str, language: str) -> str:
    """E.g. 'Monday 9 March 2026, 10:00 EDT (America/New_York)'.

    The offset is the one in force at `moment`, so a date across a daylight-saving change
    reads right whenever the text is produced.
    """
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    with translation.override(language):
        day = formats.date_format(local, "l j F Y")
    return f"{day}, {local:%H:%M} {local.tzname()} ({time_zone})"
