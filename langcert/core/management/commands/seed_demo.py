"""Demo data: one user of each role, two centres, sessions and enrolled candidates.

Idempotent: running it again finds what exists and creates only what is missing.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone, translation

from langcert.candidates_portal.models import ResultsAccount
from langcert.catalog.models import Exam, JobRole, Language
from langcert.centres import services as centre_services
from langcert.centres.models import Centre, Entry, Session
from langcert.core import identifiers
from langcert.core import services as core_services
from langcert.core.models import User
from langcert.core.roles import Role
from langcert.oral.models import Availability, EvaluatorProfile, Prompt
from langcert.results.imports import results_import
from langcert.results.models import Result
from langcert.results.services import release_due_results
from langcert.verification.models import Organisation, OrganisationMember, Share

DEMO_PASSWORD = "langcert-demo-2026"
# The demo candidate's Secret Number for the written test (real ones are random).
DEMO_SECRET = "DEMO-TEST"

DEMO_USERS = [
    ("board@langcert.example", Role.BOARD, "Bérénice", "Moreau", "Europe/Paris", "fr"),
    ("centre@langcert.example", Role.CENTRE, "Claire", "Dubois", "Europe/Paris", "fr"),
    ("evaluator@langcert.example", Role.EVALUATOR, "Edward", "Hughes", "Europe/London", "en"),
    ("verifier@university.example", Role.ORGANISATION, "Olivia", "Grant", "America/New_York",
     "en"),
    ("candidate@langcert.example", Role.CANDIDATE, "Camille", "Martin", "Europe/Paris", "fr"),
]

DEMO_PROMPTS = [
    ("introduction", "B1", "Tell me about your job and a typical working day."),
    ("introduction", "B2", "What do you enjoy most in your work, and why?"),
    ("role_play", "B1", "You phone a hotel to change the dates of a booking."),
    ("role_play", "B2", "A client complains about a late delivery: handle the call."),
    ("discussion", "B1", "Is it better to work from home or at the office?"),
    ("discussion", "B2", "How will artificial intelligence change jobs like yours?"),
]

DEMO_CANDIDATES = [
    ("Camille", "Martin", date(1998, 4, 17), "F", "candidate@langcert.example", "Comptable"),
    ("Julien", "Lefèvre", date(1991, 11, 2), "M", "julien.lefevre@example.org", "Chef de projet"),
    ("Amina", "Benali", date(2001, 6, 23), "F", "amina.benali@example.org", "Réceptionniste"),
    ("Lucas", "Bernard", date(1987, 1, 9), "M", "lucas.bernard@example.org",
     "Directeur commercial"),
]


# C1 Advanced marks, by candidate surname: Benali, Bernard, Lefèvre, Martin (the guide's
# worked example: 196, Grade B), covering Grade A, Grade C, a B2 level and an absence.
DEMO_ADVANCED_MARKS = [
    ("203", "205", "199", "208", "201"),
    ("176", "170", "181", "169", "174"),
    ("185", "188", "absent", "190", "186"),
    ("191", "196", "210", "191", "193"),
]


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print one login per role."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates accounts with a public password: it only "
                               "runs with DJANGO_DEBUG=true.")
        with transaction.atomic():
            users = {row[1]: self.user(*row) for row in DEMO_USERS}
            organisation = self.organisation(users[Role.ORGANISATION])
            paris, boston = self.centres(users[Role.CENTRE])
            sessions = self.sessions(users[Role.BOARD], paris, boston)
            demo_entry = self.entries(users[Role.CENTRE], sessions[0], users[Role.CANDIDATE])
            self.evaluator(users[Role.EVALUATOR])
            self.results(users, sessions[1], organisation)
        call_command("load_itembank", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Approved organisation: {organisation.name}")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        with translation.override("en"):
            for email, role, *_ in DEMO_USERS:
                self.stdout.write(f"  {Role(role).label:<20} {email}")
        self.stdout.write(
            f"Written test: http://127.0.0.1:8000/test/ with ID Number "
            f"{demo_entry.id_number_display} and Secret Number {DEMO_SECRET}"
        )

    def user(self, email, role, first, last, tz, language) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = core_services.user_create(
                actor=None, email=email, role=role, password=DEMO_PASSWORD,
                first_name=first, last_name=last, time_zone=tz, language=language,
            )
        return user

    def evaluator(self, user: User) -> None:
        """English and French interviews, every weekday morning, and a few prompts."""
        profile, created = EvaluatorProfile.objects.get_or_create(
            user=user, defaults={"meeting_link": "https://meet.langcert.example/edward"})
        if not created:
            return
        profile.languages.set(Language.objects.filter(code__in=["en", "fr"]))
        monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
        for language in profile.languages.all():
            for day in range(5):
                Availability.objects.create(
                    evaluator=profile, language=language, repeat=Availability.Repeat.WEEKLY,
                    first_date=monday + timedelta(days=day), start_time=time(9, 0),
                    end_time=time(12, 0), time_zone=user.time_zone)
        english = Language.objects.get(code="en")
        for part, level, text in DEMO_PROMPTS:
            Prompt.objects.create(language=english, part=part, level=level, text=text)

    def organisation(self, verifier: User) -> Organisation:
        organisation, _ = Organisation.objects.get_or_create(
            name="University of Northfield",
            defaults={
                "kind": Organisation.Kind.UNIVERSITY,
                "website": "https://www.northfield.example",
                "address": "1 College Green, Northfield, MA 01001, USA",
                "country": "US",
                "status": Organisation.Status.APPROVED,
            },
        )
        OrganisationMember.objects.get_or_create(
            user=verifier,
            defaults={"organisation": organisation, "is_primary": True,
                      "job_title": "Admissions officer"},
        )
        return organisation

    def centres(self, staff: User) -> tuple[Centre, Centre]:
        paris, _ = Centre.objects.get_or_create(
            code="FR-PAR-01",
            defaults={"name": "Centre d’Étude de Langues de Paris", "city": "Paris",
                      "country": "FR", "time_zone": "Europe/Paris", "language": "fr"},
        )
        boston, _ = Centre.objects.get_or_create(
            code="US-BOS-01",
            defaults={"name": "Boston Language Centre", "city": "Boston", "country": "US",
                      "time_zone": "America/New_York", "language": "en"},
        )
        paris.staff.add(staff)
        return paris, boston

    def sessions(self, board: User, paris: Centre, boston: Centre) -> list[Session]:
        now = timezone.now()
        plans = [
            (paris, "adaptive-en", now - timedelta(days=2), now + timedelta(days=12)),
            (paris, "c1-advanced", now - timedelta(days=40), now - timedelta(days=39)),
            (boston, "b2-first", now + timedelta(days=20), now + timedelta(days=21)),
        ]
        sessions = []
        for centre, exam_code, opens, closes in plans:
            exam = Exam.objects.get(code=exam_code)
            session = Session.objects.filter(centre=centre, exam=exam).first()
            if session is None:
                local = ZoneInfo(centre.time_zone)
                release = datetime.combine(
                    (closes + timedelta(days=14)).astimezone(local).date(),
                    datetime.min.time().replace(hour=10), tzinfo=local,
                )
                session = centre_services.session_create(
                    actor=board, exam=exam, centre=centre, opens_at=opens, closes_at=closes,
                    results_release_at=release,
                )
            sessions.append(session)
        return sessions

    def results(self, users: dict, session: Session, organisation: Organisation) -> None:
        """The C1 Advanced session's marks, imported and released as the board does it; the
        demo candidate's result shared with the demo organisation."""
        if Result.objects.filter(entry__session=session).exists():
            return
        self.entries(users[Role.CENTRE], session, users[Role.CANDIDATE])
        rows = ["ID Number,Reading,Use of English,Writing,Listening,Speaking"]
        for entry, marks in zip(session.entries.order_by("candidate__last_name"),
                                DEMO_ADVANCED_MARKS, strict=False):
            rows.append(",".join([entry.id_number, *marks]))
        report = results_import(actor=users[Role.BOARD], exam=session.exam,
                                file_name="demo-c1-advanced.csv",
                                content="\n".join(rows).encode())
        if not report.ok:
            raise CommandError(f"Demo marks refused: {report.errors}")
        release_due_results()
        account = users[Role.CANDIDATE]
        ResultsAccount.objects.get_or_create(
            user=account, defaults={"country": "FR", "first_language": "fr",
                                    "terms_accepted_at": timezone.now(),
                                    "email_confirmed_at": timezone.now()})
        result = Result.objects.get(entry__session=session, entry__candidate__account=account)
        Share.objects.get_or_create(result=result, organisation=organisation)

    def entries(self, staff: User, session: Session, candidate_user: User) -> Entry:
        """Enrol the demo candidates; the demo candidate's entry gets a known secret."""
        for first, last, born, gender, email, job_name in DEMO_CANDIDATES:
            exists = Entry.objects.filter(
                session=session, candidate__first_name=first, candidate__last_name=last
            ).exists()
            if exists:
                continue
            job = JobRole.objects.get(name_fr=job_name)
            entry = centre_services.entry_enrol(
                actor=staff,
                session=session,
                data={
                    "first_name": first, "last_name": last, "date_of_birth": born,
                    "gender": gender, "email": email, "id_document_number": f"DEMO{born:%y%m%d}",
                    "time_zone": "", "language": "", "job": job, "target_level": "",
                    "photo_consent": True, "photo_exemption": "",
                },
            )
            if email == candidate_user.email:
                entry.candidate.account = candidate_user
                entry.candidate.save(update_fields=["account"])
        demo_entry = Entry.objects.get(session=session, candidate__email=candidate_user.email)
        demo_entry.secret_hash = make_password(identifiers.normalise(DEMO_SECRET))
        demo_entry.save(update_fields=["secret_hash"])
        return demo_entry
