"""The Django side of the verification benchmark, run in a subprocess by ``run.py``.

    python -m bench.verification.djside prepare N   # N released results, an organisation
    python -m bench.verification.djside counts      # what the run wrote (access log, audit)

The environment (DATABASE_URL, DJANGO_SECRET_KEY, ...) is set by ``run.py``; this module
only talks to the throwaway benchmark database it is pointed at.
"""

from __future__ import annotations

import json
import os
import random
import sys
from datetime import date, timedelta

MISS_SHARE = 0.5  # half the misses are real numbers with a wrong date of birth


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "langcert.settings")
    import django

    django.setup()


def _people(count: int, rng: random.Random) -> list[dict]:
    return [{"first_name": rng.choice(["Ada", "Alan", "Grace", "Linus", "Marie", "Niels"]),
             "last_name": f"Bench{n:06d}", "gender": rng.choice("FM"),
             "date_of_birth": date(1960, 1, 1) + timedelta(days=rng.randrange(16000)),
             "email": f"bench{n}@bench.example", "id_document_number": f"BN{n:08d}"}
            for n in range(count)]


def prepare(count: int) -> dict:
    """One centre, one C1 Advanced session, `count` candidates with a released result (the
    rows written in bulk: enrolment's PDFs, emails and Argon2 hashes play no part in a
    lookup), an approved organisation with API access, a credential, 500 shares."""
    from django.db import transaction
    from django.utils import timezone

    from langcert.catalog.models import Exam
    from langcert.centres import services as centre_services
    from langcert.centres.models import Candidate, Centre, Entry
    from langcert.core import identifiers
    from langcert.core import services as core_services
    from langcert.core.roles import Role
    from langcert.results.models import Result
    from langcert.verification import api_clients
    from langcert.verification.models import Organisation, OrganisationMember, Share

    rng = random.Random(8)
    now = timezone.now()
    with transaction.atomic():
        centre = Centre.objects.create(code="BENCH-API", name="Bench centre",
                                       time_zone="Europe/Paris", language="en")
        board = core_services.user_create(actor=None, role=Role.BOARD,
                                          email="board@bench.example", password=None)
        session = centre_services.session_create(
            actor=board, exam=Exam.objects.get(code="c1-advanced"), centre=centre,
            opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=33),
            results_release_at=now - timedelta(days=2))
        candidates = Candidate.objects.bulk_create(
            Candidate(centre=centre, time_zone="Europe/Paris", language="en", **person)
            for person in _people(count, rng))
        id_numbers: set[str] = set()
        while len(id_numbers) < count:
            id_numbers.add(identifiers.random_code(identifiers.ID_NUMBER_LENGTH))
        entries = Entry.objects.bulk_create(
            Entry(candidate=c, session=session, id_number=number, secret_hash="!bench",
                  secret_issued_at=now, photo_consent=False)
            for c, number in zip(candidates, sorted(id_numbers), strict=True))
        skills = [{"skill": s, "score": 196, "cefr": "C1"}
                  for s in ("reading", "use_of_english", "writing", "listening", "speaking")]
        results = Result.objects.bulk_create(
            Result(entry=e, source=Result.Source.IMPORT, overall_score=196, grade="B",
                   outcome="grade_b", cefr_level="C1", skills=skills, certificate=True,
                   exam_date=date(2026, 6, 13), status=Result.Status.RELEASED,
                   earliest_release_at=now - timedelta(days=2),
                   release_at=now - timedelta(days=2), released_at=now - timedelta(days=2))
            for e in entries)
        organisation = Organisation.objects.create(
            name="Bench University", kind=Organisation.Kind.UNIVERSITY, country="GB",
            status=Organisation.Status.APPROVED, api_access="approved")
        primary = core_services.user_create(actor=None, role=Role.ORGANISATION,
                                            email="primary@bench.example", password=None)
        OrganisationMember.objects.create(organisation=organisation, user=primary,
                                          is_primary=True)
        Share.objects.bulk_create(Share(result=r, organisation=organisation)
                                  for r in results[:500])
    credential, secret = api_clients.credential_create(actor=primary, organisation=organisation)
    births = {c.pk: c.date_of_birth for c in candidates}
    hits = [{"statement_number": r.statement_number_display,
             "date_of_birth": births[r.entry.candidate_id].isoformat()} for r in results]
    misses = []
    for n, result in enumerate(results):
        if n < count * MISS_SHARE:  # a real number, the wrong date of birth
            birth = births[result.entry.candidate_id] + timedelta(days=1)
            misses.append({"statement_number": result.statement_number_display,
                           "date_of_birth": birth.isoformat()})
        else:  # a well-formed number nobody has
            misses.append({"statement_number": identifiers.display(
                identifiers.new_statement_number()), "date_of_birth": "1990-01-01"})
    rng.shuffle(hits)
    rng.shuffle(misses)
    return {"client_id": credential.application.client_id, "secret": secret,
            "hits": hits, "misses": misses}


def counts() -> dict:
    from langcert.core.models import AuditEvent
    from langcert.verification.models import AccessEvent

    return {"access_events": AccessEvent.objects.count(),
            "lookups": AuditEvent.objects.filter(action="verification.lookup").count(),
            "misses": AuditEvent.objects.filter(action="verification.lookup_miss").count()}


def main(argv: list[str]) -> int:
    _django()
    if argv[0] == "prepare":
        out = prepare(int(argv[1]))
    elif argv[0] == "counts":
        out = counts()
    else:
        raise SystemExit(f"unknown command {argv[0]}")
    sys.stdout.write("@@JSON@@" + json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
