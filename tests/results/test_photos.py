"""Test-day photos of paper exams: one by one or in a zip, checked, stored only encrypted,
never shown back to the centre."""

import io
import os
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from langcert.core import crypto
from langcert.core.models import AuditEvent
from langcert.core.roles import Role
from langcert.results.models import TestDayPhoto as DayPhoto
from langcert.results.photos import photo_upload, photos_upload_zip

pytestmark = pytest.mark.django_db

PHOTO_LIMIT = 5 * 1024 * 1024


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def image_bytes(kind="JPEG", colour=(200, 120, 40), size=(16, 16)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, kind)
    return buffer.getvalue()


JPEG = image_bytes()
PNG = image_bytes("PNG")


def zip_bytes(files):
    """files: [(name, bytes or None for a folder)]."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            if data is None:
                archive.mkdir(name)
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def enter(entry_factory):
    counter = iter(range(1, 10_000))
    return lambda session, **fields: entry_factory(
        session, id_document_number=f"DOC{next(counter)}", **fields)


@pytest.fixture
def entries(enter, advanced_session):
    return [enter(advanced_session) for _ in range(3)]


@pytest.fixture
def exempt(enter, advanced_session):
    return enter(advanced_session, photo_consent=False, photo_exemption="religious")


def stored_bytes(entry):
    with default_storage.open(DayPhoto.objects.get(entry=entry).file, "rb") as stored:
        return stored.read()


def photo_events():
    return AuditEvent.objects.filter(action="results.photo_uploaded")


# --- One photo -------------------------------------------------------------------------


def test_a_photo_is_stored_encrypted_and_audited(centre_user, entries):
    entry = entries[0]
    photo = photo_upload(actor=centre_user, entry=entry, file_name="me.jpg", content=JPEG)
    assert (photo.content_type, photo.uploaded_by) == ("image/jpeg", centre_user)
    raw = stored_bytes(entry)
    assert not raw.startswith(b"\xff\xd8") and JPEG not in raw
    assert photo.file.startswith("private/test-day-photos/")
    assert crypto.read_encrypted(photo.file) == JPEG
    [event] = photo_events()
    assert (event.target_id, event.actor) == (str(entry.pk), centre_user)
    assert event.data == {"session": entry.session.code, "source": "file", "replaced": False}


def test_a_new_photo_replaces_the_old_file(
    centre_user, entries, django_capture_on_commit_callbacks
):
    entry = entries[0]
    old = photo_upload(actor=centre_user, entry=entry, file_name="a.jpg", content=JPEG).file
    with django_capture_on_commit_callbacks(execute=True):
        new = photo_upload(actor=centre_user, entry=entry, file_name="b.png", content=PNG)
    assert new.file != old and new.content_type == "image/png"
    assert not default_storage.exists(old) and default_storage.exists(new.file)
    assert DayPhoto.objects.count() == 1
    assert photo_events().latest("pk").data["replaced"] is True


@pytest.mark.parametrize(("content", "code"), [
    (b"GIF89a" + JPEG, "not_an_image"),
    (b"%PDF-1.7\n", "not_an_image"),
    (JPEG + b"\0" * PHOTO_LIMIT, "too_big"),
])
def test_a_file_that_is_not_a_usable_photo_is_refused(centre_user, entries, content, code):
    with pytest.raises(ValidationError) as caught:
        photo_upload(actor=centre_user, entry=entries[0], file_name="x.jpg", content=content)
    assert caught.value.code == code
    assert not DayPhoto.objects.exists() and not photo_events().exists()


def test_a_photo_of_exactly_5_mb_is_kept(centre_user, entries):
    content = JPEG + b"\0" * (PHOTO_LIMIT - len(JPEG))
    assert photo_upload(actor=centre_user, entry=entries[0], file_name="x.jpg", content=content)


def test_an_exempt_entry_gets_no_photo(centre_user, exempt):
    with pytest.raises(ValidationError) as caught:
        photo_upload(actor=centre_user, entry=exempt, file_name="x.jpg", content=JPEG)
    assert caught.value.code == "exempt"
    assert "exempt from the photo (Religious reasons)" in caught.value.messages[0]
    assert not DayPhoto.objects.exists()


def test_only_the_centre_or_the_board_upload(centre_user, other_centre_user, board_user, entries):
    with pytest.raises(PermissionDenied):
        photo_upload(actor=other_centre_user, entry=entries[0], file_name="x.jpg", content=JPEG)
    assert photo_upload(actor=board_user, entry=entries[0], file_name="x.jpg", content=JPEG)


def test_the_adaptive_test_takes_no_upload(centre_user, enter, adaptive_session):
    entry = enter(adaptive_session)
    with pytest.raises(ValidationError) as caught:
        photo_upload(actor=centre_user, entry=entry, file_name="x.jpg", content=JPEG)
    assert caught.value.code == "adaptive"


# --- Zips ------------------------------------------------------------------------------


def test_a_zip_with_folders_and_junk_stores_every_photo(centre_user, entries):
    first, second, _third = entries
    content = zip_bytes([
        ("photos/", None),
        (f"photos/{first.id_number_display.lower()}.JPG", JPEG),
        (f"photos/more/{second.id_number} .png", PNG),
        ("__MACOSX/photos/._x.jpg", b"\0\5\26\7junk"),
        (".DS_Store", b"junk"),
        ("photos/Thumbs.db", b"junk"),
    ])
    report = photos_upload_zip(actor=centre_user, session=first.session, content=content)
    assert report.ok, report.errors
    assert (report.stored, report.replaced) == (2, 0)
    assert crypto.read_encrypted(DayPhoto.objects.get(entry=first).file) == JPEG
    assert DayPhoto.objects.get(entry=second).content_type == "image/png"
    assert not stored_bytes(first).startswith(b"\xff\xd8")
    assert sorted(e.target_id for e in photo_events()) == sorted([str(first.pk),
                                                                  str(second.pk)])
    assert {e.data["source"] for e in photo_events()} == {"zip"}


def _zip_bomb():
    """One member that inflates to 201 MB of zeros from a few hundred kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("ABCD2345.jpg", "w", force_zip64=True) as member:
        chunk = b"\0" * (1024 * 1024)
        for _ in range(201):
            member.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize(("make", "where", "words"), [
    (lambda e, o, x: [("ZZZZ2345.jpg", JPEG)], "ZZZZ2345.jpg", "ID Number ZZZZ-2345"),
    (lambda e, o, x: [(f"{o.id_number}.jpg", JPEG)], "{other}.jpg", "No candidate of this"),
    (lambda e, o, x: [(f"{e.id_number}.jpg", b"not an image")], "{entry}.jpg",
     "not a JPEG or PNG"),
    (lambda e, o, x: [(f"{e.id_number}.jpg", JPEG + b"\0" * PHOTO_LIMIT)], "{entry}.jpg",
     "larger than 5 MB"),
    (lambda e, o, x: [(f"a/{e.id_number}.jpg", JPEG), (f"b/{e.id_number_display}.png", PNG)],
     "b/{entry_display}.png", "Second photo for the same ID Number (the first is a/"),
    (lambda e, o, x: [(f"{x.id_number}.jpg", JPEG)], "{exempt}.jpg", "exempt from the photo"),
])
def test_a_zip_with_one_bad_file_keeps_nothing_and_names_it(
    centre_user, entries, exempt, enter, session_factory, centre, make, where, words
):
    other = enter(session_factory(centre, "c1-advanced"))  # same centre, another session
    entry = entries[0]
    files = [(f"{entries[1].id_number}.jpg", JPEG), *make(entry, other, exempt)]
    report = photos_upload_zip(actor=centre_user, session=entry.session,
                               content=zip_bytes(files))
    [error] = report.errors
    assert error.name == where.format(other=other.id_number, entry=entry.id_number,
                                      entry_display=entry.id_number_display,
                                      exempt=exempt.id_number)
    assert words in error.message
    assert not DayPhoto.objects.exists() and not photo_events().exists()
    assert not default_storage.exists("private/test-day-photos") or not \
        default_storage.listdir("private/test-day-photos")[1]


@pytest.mark.parametrize(("content", "words"), [
    (b"PK\x03\x04 broken", "not a readable zip file"),
    (JPEG, "not a readable zip file"),
    (lambda: zip_bytes([("__MACOSX/._a.jpg", b"x"), ("folder/", None)]), "holds no photo"),
    (lambda: zip_bytes([(f"{n}.jpg", b"x") for n in range(2001)]), "more than 2,000 files"),
    (_zip_bomb, "add up to more than 200 MB"),
])
def test_a_zip_that_cannot_be_used_is_refused_as_a_whole(centre_user, entries, content, words):
    content = content() if callable(content) else content
    report = photos_upload_zip(actor=centre_user, session=entries[0].session, content=content)
    [error] = report.errors
    assert error.name == "" and words in error.message
    assert not DayPhoto.objects.exists()


def test_a_damaged_member_is_reported(centre_user, entries):
    content = bytearray(zip_bytes([(f"{entries[0].id_number}.jpg", JPEG * 4)]))
    start = content.index(b"\xff\xd8") if b"\xff\xd8" in content else 60
    content[start + 10:start + 30] = b"\x00" * 20  # corrupt the compressed data
    report = photos_upload_zip(actor=centre_user, session=entries[0].session,
                               content=bytes(content))
    [error] = report.errors
    assert error.name == f"{entries[0].id_number}.jpg"
    assert not DayPhoto.objects.exists()


def test_a_zip_for_another_centre_is_refused(other_centre_user, entries):
    with pytest.raises(PermissionDenied):
        photos_upload_zip(actor=other_centre_user, session=entries[0].session,
                          content=zip_bytes([(f"{entries[0].id_number}.jpg", JPEG)]))


# --- The centre page -------------------------------------------------------------------


def photos_url(session):
    return reverse("results:centre_photos", args=[session.public_id])


@pytest.fixture
def centre_client(client, centre_user):
    client.force_login(centre_user)
    client.cookies["django_language"] = "en"
    return client


def test_the_page_lists_each_entry_and_never_shows_a_photo(centre_client, centre_user, entries,
                                                           exempt):
    photo_upload(actor=centre_user, entry=entries[0], file_name="a.jpg", content=JPEG)
    response = centre_client.get(photos_url(entries[0].session))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Once the upload is confirmed, delete the photos from your computer: LangCert " \
           "keeps the only copy, encrypted." in html
    assert html.count("✓ Photo received") == 1 and html.count(">Missing<") == 2
    assert "Exempt (Religious reasons)" in html
    assert "<img" not in html and "test-day-photos" not in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_one_photo_through_the_page(centre_client, entries):
    entry = entries[1]
    response = centre_client.post(photos_url(entry.session), {
        "action": "photo", "entry": str(entry.public_id),
        "photo": SimpleUploadedFile("me.jpg", JPEG, "image/jpeg")})
    assert response.status_code == 302
    assert crypto.read_encrypted(DayPhoto.objects.get(entry=entry).file) == JPEG
    page = centre_client.get(response["Location"]).content.decode()
    assert f"Photo received for {entry.id_number_display}" in page


def test_a_bad_photo_through_the_page_is_explained(centre_client, entries, exempt):
    url = photos_url(entries[0].session)
    response = centre_client.post(url, {"action": "photo", "entry": str(entries[0].public_id),
                                        "photo": SimpleUploadedFile("me.gif", b"GIF89a...")})
    assert response.status_code == 400
    assert "not a JPEG or PNG photo" in response.content.decode()
    response = centre_client.post(url, {"action": "photo", "entry": str(exempt.public_id),
                                        "photo": SimpleUploadedFile("me.jpg", JPEG)})
    assert response.status_code == 400 and "exempt" in response.content.decode()
    assert not DayPhoto.objects.exists()


def test_a_zip_through_the_page_with_its_report(centre_client, entries, monkeypatch):
    session = entries[0].session
    bad = zip_bytes([(f"{entries[0].id_number}.jpg", JPEG), ("NOPE2345.jpg", JPEG)])
    response = centre_client.post(photos_url(session), {
        "action": "zip", "archive": SimpleUploadedFile("photos.zip", bad)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "1 file cannot be used. No photo was kept." in html and "NOPE2345.jpg" in html
    assert not DayPhoto.objects.exists()

    # More than Django keeps in memory by default (2.5 MB): still never a temporary file.
    def no_temporary_file(*args, **kwargs):
        raise AssertionError("a photo reached a temporary file on disk")

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", no_temporary_file)
    big = zip_bytes([(f"{entries[0].id_number}.jpg", JPEG),
                     ("padding/.hidden", os.urandom(3 * 1024 * 1024))])
    assert len(big) > 2.5 * 1024 * 1024
    response = centre_client.post(photos_url(session), {
        "action": "zip", "archive": SimpleUploadedFile("photos.zip", big)})
    assert response.status_code == 302
    assert DayPhoto.objects.count() == 1
    assert "1 photo received." in centre_client.get(photos_url(session)).content.decode()


def test_other_centres_staff_get_404_and_other_roles_403(client, other_centre_user, make_user,
                                                         entries, board_user):
    url = photos_url(entries[0].session)
    client.force_login(other_centre_user)
    assert client.get(url).status_code == 404
    response = client.post(url, {"action": "zip", "archive": SimpleUploadedFile(
        "p.zip", zip_bytes([(f"{entries[0].id_number}.jpg", JPEG)]))})
    assert response.status_code == 404
    for role in (Role.ORGANISATION, Role.CANDIDATE, Role.EVALUATOR):
        client.force_login(make_user(role))
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(board_user)
    assert client.get(url).status_code == 200
    assert not DayPhoto.objects.exists()


def test_no_photo_page_for_the_adaptive_test(centre_client, adaptive_session, advanced_session):
    assert centre_client.get(photos_url(adaptive_session)).status_code == 404
    adaptive = centre_client.get(reverse("centres:session", args=[adaptive_session.public_id]))
    assert photos_url(adaptive_session) not in adaptive.content.decode()
    paper = centre_client.get(reverse("centres:session", args=[advanced_session.public_id]))
    assert photos_url(advanced_session) in paper.content.decode()


def test_a_post_without_the_csrf_token_is_refused(centre_user, entries):
    client = Client(enforce_csrf_checks=True)
    client.force_login(centre_user)
    response = client.post(photos_url(entries[0].session), {
        "action": "photo", "entry": str(entries[0].public_id),
        "photo": SimpleUploadedFile("me.jpg", JPEG)})
    assert response.status_code == 403 and b"CSRF" in response.content
    assert not DayPhoto.objects.exists()
