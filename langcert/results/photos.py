"""Test-day photos of paper exams, uploaded by the centre one by one or in a zip.

Photos are read in memory, checked by their first bytes, and stored only encrypted: the
plain image never touches the disk. A zip is applied all together or not at all, with a
report naming every file that cannot be used. For the adaptive certification the photo
taken at the proctoring checks is used, so its sessions take no upload.
"""

import io
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from langcert.centres.models import Entry, Session
from langcert.centres.selectors import can_manage_centre
from langcert.core import crypto, identifiers
from langcert.core.audit import record_event
from langcert.results.models import TestDayPhoto

FOLDER = "test-day-photos"
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_TOTAL_BYTES = 200 * 1024 * 1024
SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
JUNK_NAMES = {"thumbs.db", "desktop.ini"}
UNREADABLE_MEMBER = (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError,
                     zlib.error, ValueError)


@dataclass(frozen=True)
class FileError:
    name: str  # the file's name inside the zip, or "" for the zip as a whole
    message: str


@dataclass
class ZipReport:
    errors: list[FileError] = field(default_factory=list)
    stored: int = 0
    replaced: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Photo:
    entry: Entry
    data: bytes
    content_type: str


def image_type(data: bytes) -> str | None:
    """'image/jpeg' or 'image/png' from the file's first bytes, None for anything else."""
    return next((kind for magic, kind in SIGNATURES.items() if data.startswith(magic)), None)


def _ensure_can_upload(actor: Any, session: Session) -> None:
    if not can_manage_centre(actor, session.centre):
        raise PermissionDenied
    if session.exam.is_adaptive:
        raise ValidationError(
            _("For the adaptive certification, the photo taken at the proctoring checks is "
              "used: there is nothing to upload."), code="adaptive")


def exemption_message(entry: Entry) -> str:
    return _("This candidate is exempt from the photo (%(reason)s): no photo is kept.") % {
        "reason": entry.get_photo_exemption_display()}


def check_photo(entry: Entry, data: bytes) -> Photo:
    """The photo, ready to store; ValidationError (with a code) when it cannot be used."""
    if entry.photo_exemption:
        raise ValidationError(exemption_message(entry), code="exempt")
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(_("This photo is larger than 5 MB."), code="too_big")
    kind = image_type(data)
    if kind is None:
        raise ValidationError(_("This file is not a JPEG or PNG photo."), code="not_an_image")
    return Photo(entry, data, kind)


def _store_all(photos: list[Photo]) -> list[str]:
    """Encrypt the photos into storage; on any failure remove those already stored."""
    names: list[str] = []
    try:
        for photo in photos:
            names.append(crypto.store_encrypted(FOLDER, photo.data))
    except Exception:
        for name in names:
            crypto.delete_encrypted(name)
        raise
    return names


def _save(actor: Any, photo: Photo, name: str, source: str, request: HttpRequest | None) -> bool:
    """Point the entry at its new encrypted file (inside a transaction); True if replaced."""
    existing = TestDayPhoto.objects.select_for_update().filter(entry=photo.entry).first()
    if existing is None:
        TestDayPhoto.objects.create(entry=photo.entry, file=name,
                                    content_type=photo.content_type, uploaded_by=actor)
    else:
        old = existing.file
        existing.file, existing.content_type = name, photo.content_type
        existing.uploaded_by = actor
        existing.save(update_fields=["file", "content_type", "uploaded_by", "uploaded_at"])
        transaction.on_commit(lambda: crypto.delete_encrypted(old))
    record_event(actor=actor, action="results.photo_uploaded", target=photo.entry,
                 request=request, data={"session": photo.entry.session.code, "source": source,
                                        "replaced": existing is not None})
    return existing is not None


def _save_all(actor: Any, photos: list[Photo], source: str, request: HttpRequest | None) -> int:
    """Store and record every photo, or none; the number of photos that replaced one."""
    names = _store_all(photos)
    try:
        with transaction.atomic():
            return sum(_save(actor, photo, name, source, request)
                       for photo, name in zip(photos, names, strict=True))
    except Exception:
        for name in names:
            crypto.delete_encrypted(name)
        raise


def photo_upload(
    *, actor: Any, entry: Entry, file_name: str, content: bytes,
    request: HttpRequest | None = None,
) -> TestDayPhoto:
    """Keep one entry's test-day photo, encrypted; a new photo replaces the old one.

    Raises PermissionDenied for someone who does not run the session's centre and
    ValidationError (codes adaptive, exempt, too_big, not_an_image) for a photo that
    cannot be kept.
    """
    _ensure_can_upload(actor, entry.session)
    photo = check_photo(entry, content)
    _save_all(actor, [photo], "file", request)
    return TestDayPhoto.objects.get(entry=entry)


# --- Zips ------------------------------------------------------------------------------


def is_junk(name: str) -> bool:
    """Folders and what operating systems add to zips (__MACOSX/, ._files, .DS_Store)."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return (not parts or name.endswith(("/", "\\"))
            or any(part.startswith((".", "__MACOSX")) for part in parts)
            or parts[-1].lower() in JUNK_NAMES)


def id_number_of(name: str) -> str:
    """The ID Number a member is named by: 'photos/abcd-2345.JPG' -> 'ABCD2345'."""
    return identifiers.normalise(PurePosixPath(name.replace("\\", "/")).stem)


def _open_zip(content: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The zip and its useful members; ValidationError for a damaged zip or a zip bomb."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise ValidationError(_("This is not a readable zip file.")) from error
    if len(members) > MAX_ZIP_MEMBERS:
        raise ValidationError(_("The zip holds more than %(count)s files.")
                              % {"count": number_format(MAX_ZIP_MEMBERS, force_grouping=True)})
    if sum(member.file_size for member in members) > MAX_ZIP_TOTAL_BYTES:
        raise ValidationError(_("The files in the zip add up to more than 200 MB."))
    useful = [m for m in members if not m.is_dir() and not is_junk(m.filename)]
    if not useful:
        raise ValidationError(_("The zip holds no photo."))
    return archive, useful


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """At most one byte more than a photo may hold: a lying header cannot inflate more."""
    try:
        with archive.open(member) as opened:
            return opened.read(MAX_PHOTO_BYTES + 1)
    except UNREADABLE_MEMBER as error:
        raise ValidationError(_("This file in the zip is damaged or protected by a password "
                                "and cannot be read.")) from error


def _entry_for_member(entries: dict[str, Entry], name: str, seen: dict[str, str]) -> Entry:
    id_number = id_number_of(name)
    entry = entries.get(id_number)
    if entry is None:
        raise ValidationError(_("No candidate of this session has the ID Number %(id)s: name "
                                "each photo by the candidate's ID Number.")
                              % {"id": identifiers.display(id_number) or "—"})
    if id_number in seen:
        raise ValidationError(_("Second photo for the same ID Number (the first is %(name)s).")
                              % {"name": seen[id_number]})
    seen[id_number] = name
    return entry


def check_zip(session: Session, content: bytes) -> tuple[list[Photo], list[FileError]]:
    """Every photo of the zip, checked, and every file that cannot be used."""
    try:
        archive, members = _open_zip(content)
    except ValidationError as error:
        return [], [FileError("", error.messages[0])]
    entries = {entry.id_number: entry for entry in session.entries.all()}
    photos: list[Photo] = []
    errors: list[FileError] = []
    seen: dict[str, str] = {}
    for member in members:
        try:
            entry = _entry_for_member(entries, member.filename, seen)
            photos.append(check_photo(entry, _read_member(archive, member)))
        except ValidationError as error:
            errors.append(FileError(member.filename, error.messages[0]))
    return photos, errors


def photos_upload_zip(
    *, actor: Any, session: Session, content: bytes, request: HttpRequest | None = None
) -> ZipReport:
    """Keep every photo of a zip (one per entry, named by its ID Number), or none."""
    _ensure_can_upload(actor, session)
    photos, errors = check_zip(session, content)
    if errors:
        return ZipReport(errors=errors)
    replaced = _save_all(actor, photos, "zip", request)
    return ZipReport(stored=len(photos), replaced=replaced)
