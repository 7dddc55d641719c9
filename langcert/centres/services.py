"""Writes for centres: enrolment (one by one or by file), Secret Numbers, photo consent.

Each service checks that the actor may act for the centre, owns its transaction, writes
its audit row and queues its emails to go out once the transaction commits.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from langcert.centres import documents
from langcert.centres.enrolment_files import EnrolmentFileError, read_enrolment_file
from langcert.centres.forms import EnrolmentRowForm
from langcert.centres.models import Candidate, Centre, Entry, Session
from langcert.centres.selectors import can_manage_centre
from langcert.core import identifiers
from langcert.core.audit import record_event
from langcert.core.mail import Attachment, queue_email


@dataclass(frozen=True)
class RowError:
    row: int  # line of the file, as a spreadsheet numbers it (the header is line 1)
    field: str  # the column's name in the file
    message: str

    @property
    def column(self) -> str:
        """The column as people read it: its label, then the header to use in the file."""
        field = EnrolmentRowForm.base_fields.get(self.field)
        return f"{field.label} ({self.field})" if field is not None and field.label else \
            self.field


@dataclass
class ImportReport:
    entries: list[Entry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error


class DuplicateEntry(ValidationError):
    pass


def _ensure_can_manage(actor: Any, centre: Centre) -> None:
    if not can_manage_centre(actor, centre):
        raise PermissionDenied


def _identity_key(data: dict[str, Any]) -> tuple[str, str, str]:
    return (
        data["first_name"].casefold(),
        data["last_name"].casefold(),
        data["date_of_birth"].isoformat(),
    )


def _check_target(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """Fill the target level from the job grid; adaptive exams must have one."""
    if not data.get("target_level") and data.get("job") is not None:
        data["target_level"] = data["job"].band.level
    if session.exam.is_adaptive and not data.get("target_level"):
        raise ValidationError({"target_level": _("Choose a target level or a job.")})
    if not session.exam.is_adaptive:
        data["target_level"] = ""
    return data


def _find_duplicate(session: Session, data: dict[str, Any]) -> str | None:
    """The field that makes this person a duplicate of an entry in the session, if any."""
    same_person = Entry.objects.filter(
        session=session,
        candidate__first_name__iexact=data["first_name"],
        candidate__last_name__iexact=data["last_name"],
        candidate__date_of_birth=data["date_of_birth"],
    )
    if same_person.exists():
        return "last_name"
    same_document = Entry.objects.filter(
        session=session, candidate__id_document_number=data["id_document_number"]
    )
    if same_document.exists():
        return "id_document_number"
    return None


def _new_id_number() -> str:
    while True:
        code = identifiers.random_code(identifiers.ID_NUMBER_LENGTH)
        if not Entry.objects.filter(id_number=code).exists():
            return code


def _candidate_for(session: Session, data: dict[str, Any]) -> Candidate:
    """The centre's existing record of this person, or a new one."""
    centre = session.centre
    existing = Candidate.objects.filter(
        centre=centre,
        first_name__iexact=data["first_name"],
        last_name__iexact=data["last_name"],
        date_of_birth=data["date_of_birth"],
    ).first()
    if existing is not None:
        # The centre typed the details again: the latest email and ID document win, so the
        # new Secret Number goes where the person reads mail now.
        existing.email = data["email"]
        existing.id_document_number = data["id_document_number"]
        existing.save(update_fields=["email", "id_document_number"])
        return existing
    return Candidate.objects.create(
        centre=centre,
        first_name=data["first_name"],
        last_name=data["last_name"],
        date_of_birth=data["date_of_birth"],
        gender=data["gender"],
        email=data["email"],
        id_document_number=data["id_document_number"],
        time_zone=data.get("time_zone") or centre.time_zone,
        language=data.get("language") or centre.language,
    )


def _send_confirmation(entry: Entry, secret: str) -> None:
    """Email the confirmation of entry, with its PDF, to the candidate."""
    candidate = entry.candidate
    pdf = documents.confirmation_of_entry_pdf(entry, secret)
    queue_email(
        key=f"confirmation-of-entry:{entry.pk}:{entry.secret_issued_at.isoformat()}",
        to=candidate.mail_address,
        template="confirmation_of_entry",
        context=documents.confirmation_context(entry, secret),
        language=candidate.language,
        attachment=Attachment(
            filename=documents.confirmation_filename(entry),
            content=pdf,
            mimetype="application/pdf",
        ),
        sensitive=True,
    )


def _create_entry(*, actor: Any, session: Session, data: dict[str, Any]) -> Entry:
    secret = identifiers.random_code(identifiers.SECRET_NUMBER_LENGTH)
    entry = Entry.objects.create(
        candidate=_candidate_for(session, data),
        session=session,
        id_number=_new_id_number(),
        secret_hash=make_password(secret),
        secret_issued_at=timezone.now(),
        target_level=data.get("target_level") or "",
        job=data.get("job"),
        photo_consent=bool(data.get("photo_consent")),
        photo_exemption=data.get("photo_exemption") or "",
        photo_consent_changed_at=timezone.now(),
        enrolled_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _send_confirmation(entry, secret)
    return entry


def entry_enrol(
    *, actor: Any, session: Session, data: dict[str, Any], request: HttpRequest | None = None
) -> Entry:
    """Enrol one person (cleaned EnrolmentForm data) into `session`.

    Raises ValidationError for a duplicate or a missing target level; nothing is written.
    """
    _ensure_can_manage(actor, session.centre)
    data = _check_target(session, dict(data))
    duplicate_field = _find_duplicate(session, data)
    if duplicate_field:
        raise DuplicateEntry({duplicate_field: _("This candidate is already in this session.")})
    try:
        with transaction.atomic():
            entry = _create_entry(actor=actor, session=session, data=data)
            record_event(
                actor=actor, action="entry.enrol", target=entry, request=request,
                data={"session": session.code, "source": "form"},
            )
    except IntegrityError as error:  # a concurrent enrolment of the same person won
        raise DuplicateEntry(_("This candidate is already in this session.")) from error
    return entry


def _check_rows(
    session: Session, rows: list[tuple[int, dict[str, str]]]
) -> tuple[list[dict], list[RowError]]:
    cleaned: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen_people: dict[tuple[str, str, str], int] = {}
    seen_documents: dict[str, int] = {}
    for number, row in rows:
        form = EnrolmentRowForm(row)
        if not form.is_valid():
            for field_name, messages in form.errors.items():
                errors.extend(RowError(number, field_name, str(m))
                              for m in messages)
            continue
        data = form.cleaned_data
        try:
            data = _check_target(session, dict(data))
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                errors.extend(RowError(number, field_name, m) for m in messages)
            continue
        person, document = _identity_key(data), data["id_document_number"]
        earlier = seen_people.get(person) or seen_documents.get(document)
        if earlier:
            message = _("Same candidate as row %(row)d.") % {"row": earlier}
            errors.append(RowError(number, "last_name", message))
            continue
        seen_people[person], seen_documents[document] = number, number
        duplicate_field = _find_duplicate(session, data)
        if duplicate_field:
            errors.append(RowError(number, duplicate_field,
                                   _("This candidate is already in this session.")))
            continue
        cleaned.append(data)
    return cleaned, errors


def entries_import(
    *,
    actor: Any,
    session: Session,
    file_name: str,
    content: bytes,
    request: HttpRequest | None = None,
) -> ImportReport:
    """Enrol every row of a CSV/XLSX file, or none: any error leaves the session unchanged."""
    _ensure_can_manage(actor, session.centre)
    try:
        rows = read_enrolment_file(file_name, content)
    except EnrolmentFileError as error:
        return ImportReport(file_error=str(error))
    cleaned, errors = _check_rows(session, rows)
    if errors:
        return ImportReport(errors=errors)
    with transaction.atomic():
        entries = [_create_entry(actor=actor, session=session, data=data) for data in cleaned]
        for entry in entries:
            record_event(
                actor=actor, action="entry.enrol", target=entry, request=request,
                data={"session": session.code, "source": "file"},
            )
    return ImportReport(entries=entries)


def entry_reissue_secret(
    *, actor: Any, entry: Entry, request: HttpRequest | None = None
) -> Entry:
    """Issue a new Secret Number (the old one stops working) and re-send the confirmation."""
    _ensure_can_manage(actor, entry.session.centre)
    secret = identifiers.random_code(identifiers.SECRET_NUMBER_LENGTH)
    with transaction.atomic():
        entry.secret_hash = make_password(secret)
        entry.secret_issued_at = timezone.now()
        entry.save(update_fields=["secret_hash", "secret_issued_at"])
        record_event(actor=actor, action="entry.reissue_secret", target=entry, request=request)
        _send_confirmation(entry, secret)
    return entry


def session_create(
    *,
    actor: Any,
    exam: Any,
    centre: Centre,
    opens_at: Any,
    closes_at: Any,
    results_release_at: Any,
    request: HttpRequest | None = None,
) -> Session:
    """Open a session of `exam` at `centre` (board staff, or the centre's own staff)."""
    _ensure_can_manage(actor, centre)
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": _("The window must close after it opens.")})
    if results_release_at < closes_at:
        raise ValidationError(
            {"results_release_at": _("Results cannot be released before the window closes.")}
        )
    with transaction.atomic():
        session = Session.objects.create(
            exam=exam, centre=centre, opens_at=opens_at, closes_at=closes_at,
            results_release_at=results_release_at,
        )
        record_event(actor=actor, action="session.create", target=session, request=request)
    return session


def _owns_entry(actor: Any, entry: Entry) -> bool:
    account_id = entry.candidate.account_id
    return (getattr(actor, "is_authenticated", False) and account_id is not None
            and account_id == actor.pk and entry.candidate.erased_at is None)


def entry_set_photo_consent(
    *,
    actor: Any,
    entry: Entry,
    consent: bool,
    exemption: str = "",
    request: HttpRequest | None = None,
) -> Entry:
    """Record the candidate's consent (or exemption) for showing the test-day photo.

    Centre staff set both; the candidate who owns the entry may give or withdraw consent
    at any time, but the exemption stays as the centre recorded it.
    """
    candidate_may = _owns_entry(actor, entry) and exemption == entry.photo_exemption
    if not candidate_may and not can_manage_centre(actor, entry.session.centre):
        raise PermissionDenied
    if exemption not in Entry.PhotoExemption.values:
        raise ValidationError({"photo_exemption": _("Unknown exemption.")})
    with transaction.atomic():
        entry.photo_consent = consent
        entry.photo_exemption = exemption
        entry.photo_consent_changed_at = timezone.now()
        entry.save(update_fields=["photo_consent", "photo_exemption", "photo_consent_changed_at"])
        record_event(
            actor=actor, action="entry.photo_consent", target=entry, request=request,
            data={"consent": consent, "exemption": exemption},
        )
    return entry
