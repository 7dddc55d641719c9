"""The Django side of the delivery load benchmark, run in a subprocess by ``run.py``.

    python -m bench.delivery.djside prepare N PREFIX   # N ready candidates, JSON on stdout
    python -m bench.delivery.djside verify             # answered deliveries per ID Number

The environment (DATABASE_URL, DJANGO_SECRET_KEY, ...) is set by ``run.py``; this module
only talks to the throwaway benchmark database it is pointed at.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, timedelta


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "langcert.settings")
    import django

    django.setup()


def prepare(count: int, prefix: str) -> list[dict[str, str]]:
    """One centre, one open adaptive-en session, `count` entries whose attempts have passed
    every check. Returns [{"id_number", "secret"}] with each candidate's known Secret Number."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from langcert.catalog.models import Exam
    from langcert.centres import services as centre_services
    from langcert.centres.models import Centre, Entry
    from langcert.core import identifiers
    from langcert.core import services as core_services
    from langcert.core.roles import Role
    from langcert.delivery.models import Attempt

    # What makes enrolment slow plays no part in the test, so it is skipped in this process
    # only: the confirmation of entry (a PDF, then an email), and hashing a random Secret
    # Number with Argon2 (a quarter of a second each) that is replaced just below.
    centre_services._send_confirmation = lambda entry, secret: None
    centre_services.make_password = lambda raw: "!bench-unusable"
    now = timezone.now()
    centre = Centre.objects.create(code=f"BENCH-{prefix}"[:16], name=f"Bench centre {prefix}",
                                   time_zone="Europe/Paris", language="en")
    staff = core_services.user_create(actor=None, role=Role.CENTRE,
                                      email=f"bench-{prefix.lower()}@bench.example",
                                      password="a-Strong-bench-pass-42")
    centre.staff.add(staff)
    session = centre_services.session_create(
        actor=staff, exam=Exam.objects.get(code="adaptive-en"), centre=centre,
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1),
        results_release_at=now + timedelta(days=30))
    # All candidates share one Secret Number: hashing 200 distinct ones with Argon2 would
    # only slow the setup down, and each entry still has its own hash and ID Number.
    secret = identifiers.random_code(identifiers.SECRET_NUMBER_LENGTH)
    secret_hash = make_password(secret)
    people = []
    for n in range(count):
        data = {
            "first_name": f"Cand{n:04d}", "last_name": f"Bench{prefix}",
            "date_of_birth": date(1990, 1, 1) + timedelta(days=n),
            "gender": "F" if n % 2 else "M", "email": f"cand{n}@bench.example",
            "id_document_number": f"B{prefix}{n:05d}", "time_zone": "", "language": "",
            "job": None, "target_level": "B2", "photo_consent": True, "photo_exemption": "",
        }
        entry = centre_services.entry_enrol(actor=staff, session=session, data=data)
        people.append(entry.pk)
    with transaction.atomic():
        Entry.objects.filter(pk__in=people).update(secret_hash=secret_hash)
        Attempt.objects.bulk_create([
            Attempt(entry_id=pk, tech_check_passed_at=now, rules_accepted_at=now,
                    face_photo="bench/not-a-photo", id_photo="bench/not-a-photo",
                    microphone_checked_at=now)
            for pk in people
        ])
    rows = Entry.objects.filter(pk__in=people).order_by("pk").values_list("id_number", flat=True)
    return [{"id_number": id_number, "secret": secret} for id_number in rows]


def verify(id_numbers: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Per ID Number: deliveries answered, all deliveries, and the attempt's status."""
    from django.db.models import Count, Q

    from langcert.delivery.models import Attempt, Delivery

    attempts = Attempt.objects.select_related("entry")
    if id_numbers is not None:
        attempts = attempts.filter(entry__id_number__in=id_numbers)
    counts = {
        row["section__attempt"]: row
        for row in Delivery.objects.filter(section__attempt__in=attempts)
        .values("section__attempt")
        .annotate(answered=Count("id", filter=Q(status=Delivery.Status.ANSWERED)),
                  total=Count("id"))
    }
    out = {}
    for attempt in attempts:
        row = counts.get(attempt.pk, {})
        out[attempt.entry.id_number] = {"answered": row.get("answered", 0),
                                        "deliveries": row.get("total", 0),
                                        "status": attempt.status}
    return out


def main(argv: list[str]) -> int:
    _django()
    command = argv[0]
    if command == "prepare":
        result = prepare(int(argv[1]), argv[2])
    elif command == "verify":
        result = verify(json.loads(sys.stdin.read()) if "--stdin" in argv else None)
    else:
        raise SystemExit(f"unknown command {command}")
    sys.stdout.write("\n@@JSON@@" + json.dumps(result, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
