"""The documents of a result (statement, attestation, certificate), read back from real PDFs;
the photo rules of DESIGN.md ("Photos and consent"); the bulk zip rendered by the task."""

import io
import os
import stat
import struct
import zipfile
import zlib
from datetime import date, timedelta

import numpy as np
import pytest
import typst
from django.utils import timezone
from matplotlib.image import imread, imsave
from pypdf import PdfReader

from langcert.core import crypto, pdf
from langcert.core.audit import events_for
from langcert.delivery.models import Attempt
from langcert.results import documents
from langcert.results.batches import document_batch_create
from langcert.results.documents import DocumentKind, DocumentUnavailable
from langcert.results.models import ATTESTATION_AVAILABLE_FOR, DocumentBatch, Result
from langcert.results.models import TestDayPhoto as DayPhoto
from langcert.verification.models import Organisation
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db

STATEMENT, ATTESTATION, CERTIFICATE = (DocumentKind.STATEMENT, DocumentKind.ATTESTATION,
                                       DocumentKind.CERTIFICATE)


def flat(content: bytes) -> str:
    return " ".join(pdf_text(content).split())


def image_count(content: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(content)).pages)


def jpeg_photo() -> bytes:
    y, x = np.mgrid[0:320, 0:240] / 320
    buffer = io.BytesIO()
    imsave(buffer, np.dstack([x, y, 0.5 + 0 * x]), format="jpeg")
    return buffer.getvalue()


def png_photo(width: int = 60, height: int = 80, colour: tuple | None = None) -> bytes:
    """A small gradient PNG (or one plain colour), written with the standard library only."""
    def pixel(x: int, y: int) -> bytes:
        return bytes(colour or (x * 4 % 256, y * 3 % 256, 128))

    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def organisation(db):
    return Organisation.objects.create(name="Université Lumière", kind="university",
                                       status=Organisation.Status.APPROVED)


@pytest.fixture
def advanced_with_photo(advanced_result):
    DayPhoto.objects.create(entry=advanced_result.entry, content_type="image/jpeg",
                            file=crypto.store_encrypted("photos", jpeg_photo()))
    return advanced_result


# --- Statement of Results ------------------------------------------------------------------


def test_statement_of_the_worked_example(advanced_result):
    text = flat(documents.render_result_document(advanced_result, STATEMENT, language="en"))
    assert "Statement of Results" in text
    assert "Overall score 196" in text and "Pass at Grade B" in text
    for skill, score, level in (("Reading", 191, "C1"), ("Use of English", 196, "C1"),
                                ("Writing", 210, "C2"), ("Listening", 191, "C1"),
                                ("Speaking", 193, "C1")):
        assert f"{skill} {score} {level}" in text
    assert "CEFR level C1" in text
    assert advanced_result.statement_number_display in text
    assert "13 June 2026" in text and "Centre de test" in text and "C1 Advanced" in text
    assert "10 December 1990" in text  # date of birth
    assert advanced_result.entry.session.code in text


def test_statement_in_french_and_in_english(advanced_result):
    french = flat(documents.render_result_document(advanced_result, STATEMENT, language="fr"))
    english = flat(documents.render_result_document(advanced_result, STATEMENT, language="en"))
    for word in ("Compréhension écrite", "Expression écrite", "Compréhension orale",
                 "Réussite – grade B", "Date de naissance", "13 juin 2026"):
        assert word in french and word not in english
    for word in ("Reading", "Writing", "Pass at Grade B", "Date of birth", "13 June 2026"):
        assert word in english and word not in french


def test_delta_statement_shows_the_mark_and_the_result_word(entry_factory, session_factory,
                                                           centre):
    result = released(entry_factory(session_factory(centre, "delta-module-one")),
                      overall_score=72, outcome="pass_merit", cefr_level="",
                      skills=[{"skill": "written_exam", "score": 72, "cefr": None}])
    text = flat(documents.render_result_document(result, STATEMENT, language="en"))
    assert "Mark 72" in text and "Pass with Merit" in text and "DELTA Module One" in text
    assert "CEFR" not in text


def released(entry, **fields) -> Result:
    now = timezone.now()
    values = {"source": Result.Source.IMPORT, "exam_date": date(2026, 6, 13),
              "status": Result.Status.RELEASED, "earliest_release_at": now,
              "release_at": now, "released_at": now - timedelta(hours=1),
              "certificate": True, **fields}
    return Result.objects.create(entry=entry, **values)


# --- Attestation and certificate -----------------------------------------------------------


def test_attestation_gives_the_cefr_profile(adaptive_released_result):
    result = adaptive_released_result
    text = flat(documents.render_result_document(result, ATTESTATION, language="en"))
    assert "Attestation of results" in text and result.statement_number_display in text
    for skill, level in (("Vocabulary", "B2"), ("Grammar and syntax", "B2"),
                         ("Expressions", "C1"), ("Reading", "B1"), ("Listening", "B2")):
        assert f"{skill} {level}" in text
    for criterion, level in (("Vocabulary range and control", "B2"),
                             ("Grammar and syntax", "B1"), ("Fluency", "B2"),
                             ("Pronunciation and intonation", "C1"), ("Interaction", "B2")):
        assert f"{criterion} {level}" in text
    for label in ("Written level B2", "Oral level B2", "Final level B2", "Target level B2"):
        assert label in text
    assert "Certificate awarded" in text and "2 October 2026" in text
    assert "valid for 3 years" in text


def test_certificate_only_when_earned(adaptive_released_result):
    result = adaptive_released_result
    text = flat(documents.render_result_document(result, CERTIFICATE, language="en"))
    assert "Certificate" in text and "Ada CANDIDATE" in text and "B2" in text
    assert result.statement_number_display in text and "2 October 2026" in text
    result.certificate = False
    assert documents.available_documents(result) == [ATTESTATION]
    with pytest.raises(DocumentUnavailable):
        documents.render_result_document(result, CERTIFICATE, language="en")
    text = flat(documents.render_result_document(result, ATTESTATION, language="en"))
    assert "no certificate awarded" in text


def test_scale_certificate_states_the_level_and_the_grade(advanced_result):
    assert documents.available_documents(advanced_result) == [STATEMENT, CERTIFICATE]
    text = flat(documents.render_result_document(advanced_result, CERTIFICATE, language="en"))
    assert "C1" in text and "Pass at Grade B" in text and "C1 Advanced" in text


def test_attestation_expires_after_three_years_the_certificate_never(adaptive_released_result,
                                                                     time_machine):
    result = adaptive_released_result
    time_machine.move_to(result.released_at + ATTESTATION_AVAILABLE_FOR - timedelta(days=1))
    assert documents.available_documents(result) == [ATTESTATION, CERTIFICATE]
    time_machine.move_to(result.released_at + ATTESTATION_AVAILABLE_FOR + timedelta(days=1))
    assert documents.available_documents(result) == [CERTIFICATE]
    with pytest.raises(DocumentUnavailable):
        documents.render_result_document(result, ATTESTATION, language="en")
    later = result.released_at + timedelta(days=50 * 365)
    assert documents.render_result_document(result, CERTIFICATE, language="en",
                                            now=later).startswith(b"%PDF")


@pytest.mark.parametrize("status", [Result.Status.WITHDRAWN, Result.Status.APPROVED,
                                    Result.Status.HELD, Result.Status.PENDING_REVIEW])
def test_no_document_unless_released(advanced_result, status):
    advanced_result.status = status
    assert documents.available_documents(advanced_result) == []
    for kind in DocumentKind.values:
        with pytest.raises(DocumentUnavailable):
            documents.render_result_document(advanced_result, kind, language="en")


def test_file_name_has_no_personal_data(advanced_result):
    name = documents.document_filename(advanced_result, STATEMENT, "fr")
    assert name == f"statement-{advanced_result.statement_number}-fr.pdf"


# --- Photo and stamp -------------------------------------------------------------------------


def test_organisation_copy_has_the_photo_and_the_stamp(advanced_with_photo, organisation):
    now = timezone.now()
    for kind in (STATEMENT, CERTIFICATE):
        content = documents.render_result_document(advanced_with_photo, kind, language="en",
                                                   organisation=organisation, now=now)
        assert image_count(content) == 1
        stamp = f"Generated for Université Lumière on {now:%-d %B %Y}"
        assert stamp in flat(content)


def test_candidate_copy_never_has_the_photo_nor_the_stamp(advanced_with_photo):
    for kind in (STATEMENT, CERTIFICATE):
        content = documents.render_result_document(advanced_with_photo, kind, language="en")
        assert image_count(content) == 0 and "Generated for" not in flat(content)


def test_no_photo_once_consent_is_withdrawn(advanced_with_photo, organisation):
    entry = advanced_with_photo.entry
    entry.photo_consent = False
    entry.save()
    content = documents.render_result_document(advanced_with_photo, STATEMENT, language="en",
                                               organisation=organisation)
    assert image_count(content) == 0
    assert "Generated for Université Lumière" in flat(content)


def test_no_photo_for_an_exam_that_shows_none(entry_factory, session_factory, centre,
                                              organisation):
    entry = entry_factory(session_factory(centre, "a2-key"))
    DayPhoto.objects.create(entry=entry, content_type="image/jpeg",
                            file=crypto.store_encrypted("photos", jpeg_photo()))
    result = released(entry, overall_score=135, grade="B", outcome="grade_b", cefr_level="A2",
                      skills=[{"skill": s, "score": 135, "cefr": "A2"}
                              for s in ("reading", "writing", "listening", "speaking")])
    content = documents.render_result_document(result, STATEMENT, language="en",
                                               organisation=organisation)
    assert image_count(content) == 0


def test_adaptive_copy_shows_the_proctoring_photo(adaptive_released_result, organisation):
    Attempt.objects.create(entry=adaptive_released_result.entry,
                           face_photo=crypto.store_encrypted("photos/face", png_photo()))
    content = documents.render_result_document(adaptive_released_result, ATTESTATION,
                                               language="fr", organisation=organisation)
    assert image_count(content) == 1


def test_photo_is_compiled_from_a_private_folder_removed_afterwards(monkeypatch):
    seen = {}
    compiler = pdf._compiler()

    class Spy:
        def compile(self, source, *, root, **options):
            seen["folder"], seen["folder_mode"] = root, stat.S_IMODE(os.stat(root).st_mode)
            seen["file_mode"] = stat.S_IMODE(os.stat(os.path.join(root, "photo.png")).st_mode)
            return compiler.compile(source, root=root, **options)

    monkeypatch.setattr(pdf, "_compiler", Spy)
    data = {"title": "t", "language": "en", "centre": "c", "reference": "r",
            "photo": "photo.png", "stamp": "s", "labels": {}}
    source = pdf.template_source("results_style") + b"\n#masthead()"
    monkeypatch.setattr(pdf, "template_source", lambda name, prelude=None: source)
    content = pdf.render_pdf("any", data, {"photo.png": png_photo()})
    assert image_count(content) == 1
    assert seen["folder_mode"] == 0o700 and seen["file_mode"] == 0o600
    assert not os.path.exists(seen["folder"])
    # Also when the compilation fails.
    with pytest.raises(typst.TypstError):
        pdf.render_pdf("any", data, {"photo.png": b"not an image"})
    assert not os.path.exists(seen["folder"])
    with pytest.raises(ValueError):
        pdf.render_pdf("any", data, {"../photo.png": png_photo()})


def test_a_reused_compiler_never_shows_the_previous_documents_photo(monkeypatch):
    # Each thread keeps one Typst compiler; the photo always has the same name in a new
    # folder, so a stale cached file would put one candidate's face on another's document.
    monkeypatch.setattr(pdf, "template_source",
                        lambda name, prelude=None: b'#image("photo.png", width: 2cm)')
    for colour in ((255, 0, 0), (0, 0, 255), (0, 255, 0)):
        content = pdf.render_pdf("any", {}, {"photo.png": png_photo(colour=colour)})
        (image,) = PdfReader(io.BytesIO(content)).pages[0]["/Resources"]["/XObject"].values()
        assert image.get_object().get_data()[:3] == bytes(colour)


# --- Layout ---------------------------------------------------------------------------------


def test_statement_page_renders_as_a_full_a4_page(advanced_with_photo, organisation):
    # A broken layout (content pushed off the page, a box drawn over it, a blank page)
    # shows in the share of inked pixels long before anyone prints the document.
    parts = documents.document_parts(advanced_with_photo, STATEMENT, language="en",
                                     organisation=organisation)
    png = pdf.render_png(*parts, prelude=documents.PRELUDE, ppi=36)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pixels = imread(io.BytesIO(png), format="png")[..., :3].mean(axis=2)
    height, width = pixels.shape
    assert abs(width - 298) <= 2 and abs(height - 421) <= 2  # A4 at 36 ppi
    inked = pixels < 0.9
    assert 0.02 < inked.mean() < 0.4
    top, bottom = inked[: height // 2], inked[height // 2:]
    assert top.mean() > 0.03 and bottom.mean() > 0.005  # header and body, stamp and footer


def test_every_document_fits_on_one_page(advanced_with_photo, adaptive_released_result,
                                         organisation):
    for result, kinds in ((advanced_with_photo, (STATEMENT, CERTIFICATE)),
                          (adaptive_released_result, (ATTESTATION, CERTIFICATE))):
        for kind in kinds:
            content = documents.render_result_document(result, kind, language="fr",
                                                       organisation=organisation)
            assert len(PdfReader(io.BytesIO(content)).pages) == 1, kind


# --- Batches --------------------------------------------------------------------------------


def test_batch_renders_a_zip_of_each_natural_document(
    advanced_result, adaptive_released_result, board_user, django_capture_on_commit_callbacks
):
    results = [advanced_result, adaptive_released_result]
    with django_capture_on_commit_callbacks(execute=True):
        batch = document_batch_create(actor=board_user, results=results, language="en")
    batch.refresh_from_db()
    assert batch.status == DocumentBatch.Status.READY and batch.finished_at is not None
    assert batch.done == batch.total == 2
    with zipfile.ZipFile(io.BytesIO(crypto.read_encrypted(batch.file))) as archive:
        names = sorted(archive.namelist())
        assert names == sorted([
            f"statement-{advanced_result.statement_number}-en.pdf",
            f"attestation-{adaptive_released_result.statement_number}-en.pdf"])
        statement = archive.read(f"statement-{advanced_result.statement_number}-en.pdf")
    assert "Pass at Grade B" in flat(statement) and image_count(statement) == 0
    requested = events_for(batch).get(action="results.batch_requested")
    assert requested.actor == board_user and requested.data == {"count": 2}


def test_organisation_batch_has_photos_and_leaves_out_withdrawn_results(
    advanced_with_photo, adaptive_released_result, board_user, organisation,
    django_capture_on_commit_callbacks
):
    adaptive_released_result.status = Result.Status.WITHDRAWN
    adaptive_released_result.save()
    with django_capture_on_commit_callbacks(execute=True):
        batch = document_batch_create(actor=board_user, organisation=organisation,
                                      results=[advanced_with_photo, adaptive_released_result],
                                      language="fr")
    batch.refresh_from_db()
    assert batch.status == DocumentBatch.Status.READY and batch.done == batch.total == 2
    with zipfile.ZipFile(io.BytesIO(crypto.read_encrypted(batch.file))) as archive:
        (name,) = archive.namelist()
        content = archive.read(name)
    assert image_count(content) == 1 and "Université Lumière" in flat(content)
    assert events_for(batch).get(action="results.batch_ready").data == {"rendered": 1,
                                                                        "skipped": 1}
