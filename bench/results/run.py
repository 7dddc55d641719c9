"""Benchmark of the results documents: Statements of Results with the test-day photo.

Run from the repository root:

    .venv/bin/python -m bench.results.run              # 1,000 documents, 2 processes
    .venv/bin/python -m bench.results.run --count 200  # a quicker look

What one run does:

1. creates a throwaway SQLite database and media folder in a temporary directory
   (``LANGCERT_VAR_DIR``, ``DEBUG`` settings), migrates it (the catalogue comes with it);
2. creates one centre, one C1 Advanced session and ``--count`` candidates with a released
   result (skill scores drawn at random, scored by the real rules), photo consent given,
   each with its own encrypted test-day JPEG of about 30 KB (25 generated images, each made
   unique per candidate by a JPEG comment, so no two documents embed the same bytes), and
   one organisation. Names, dates of birth, numbers and scores differ from one document to
   the next, so Typst's memoisation cannot reuse one document's layout for another;
3. renders every statement as the organisation's copy through
   ``render_result_document(...)``: the path of a download and of a batch worker (read the
   result, decrypt the photo, build the translated data, write the photo to a private
   folder, compile the real template with the real photo, delete the folder); half in
   English, half in French. Timed three ways, each in fresh processes (so no Typst cache
   is inherited) that warm up on one other document and then start together:
   - ``full, 1 process``: the whole path in one process (the target: <= 10 s for 1,000);
   - ``full, N processes``: the same split across ``--workers`` processes, as Celery
     workers would share a batch;
   - ``render_pdf only``: the data prepared beforehand, only ``render_pdf`` timed;
   Wall time is from the common start to the last process done; CPU time (all threads of
   the measuring processes) is reported too, since other work on the machine stretches
   the first and not the second;
4. checks, after the clock, that every PDF has one page and one image;
5. writes the figures to ``bench/results/RESULTS.md`` (``--out``) and removes the
   temporary directory.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import shutil
import struct
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

TARGET_SECONDS = 10.0
TARGET_COUNT = 1000
PHOTO_VARIANTS = 25
BATCH_SELECT = ("entry__candidate", "entry__session__exam", "entry__session__centre",
                "entry__test_day_photo")


# --- Set-up ----------------------------------------------------------------------------------


def _django(var_dir: str) -> None:
    os.environ.update(DJANGO_DEBUG="true", LANGCERT_VAR_DIR=var_dir,
                      DATABASE_URL=f"sqlite:///{var_dir}/bench.sqlite3",
                      MEDIA_ROOT=f"{var_dir}/media", DJANGO_SETTINGS_MODULE="langcert.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def base_photos(count: int) -> list[bytes]:
    """`count` different portrait-shaped JPEGs of about 30 KB (gradient, face, grain)."""
    import numpy as np
    from matplotlib.image import imsave

    photos = []
    for seed in range(count):
        rng = np.random.default_rng(seed)
        y, x = np.mgrid[0:400, 0:300] / 400
        face = ((x - 0.37) ** 2 / 0.05 + (y - 0.45) ** 2 / 0.09) < 1
        image = np.dstack([x, y, 0.5 + 0 * x]) * 0.6 + face[..., None] * [0.35, 0.25, 0.2]
        image += rng.normal(0, 0.045, image.shape)
        buffer = io.BytesIO()
        imsave(buffer, np.clip(image, 0, 1), format="jpeg", pil_kwargs={"quality": 85})
        photos.append(buffer.getvalue())
    return photos


def unique_jpeg(jpeg: bytes, number: int) -> bytes:
    """The same picture with a comment segment (FF FE) naming the candidate: other bytes."""
    comment = f"candidate {number}".encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + jpeg[2:]


def prepare(count: int) -> dict:
    """The database side: `count` + 1 released results with photos (the last one warms up)."""
    from django.core.management import call_command
    from django.utils import timezone

    from langcert.catalog.models import Exam
    from langcert.catalog.scoring import score_cambridge_scale
    from langcert.centres.models import Candidate, Centre, Entry, Session
    from langcert.core import crypto, identifiers
    from langcert.results.models import Result, TestDayPhoto
    from langcert.verification.models import Organisation

    call_command("migrate", verbosity=0)
    now = timezone.now()
    centre = Centre.objects.create(code="BENCH-DOCS", name="Bench centre",
                                   time_zone="Europe/Paris", language="fr")
    session = Session.objects.create(
        exam=Exam.objects.get(code="c1-advanced"), centre=centre,
        opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=33),
        results_release_at=now - timedelta(days=1))
    candidates = Candidate.objects.bulk_create([
        Candidate(centre=centre, first_name=f"Cand{n:04d}", last_name="Bench",
                  date_of_birth=date(1990, 1, 1) + timedelta(days=n), gender="F",
                  email=f"cand{n}@bench.example", id_document_number=f"B{n:06d}",
                  time_zone="Europe/Paris", language="fr" if n % 2 else "en")
        for n in range(count + 1)])
    entries = Entry.objects.bulk_create([
        Entry(candidate=candidate, session=session, id_number=identifiers.random_code(8),
              secret_hash="!bench", secret_issued_at=now, photo_consent=True)
        for candidate in candidates])
    scheme = session.exam.scoring_scheme
    rng = random.Random(12345)
    results = []
    for entry in entries:
        # Scores drawn per candidate, scored by the real rules: no two documents alike.
        scored = score_cambridge_scale(
            scheme, {skill: rng.randint(165, 210) for skill in scheme["skills"]})
        results.append(Result(
            entry=entry, source=Result.Source.IMPORT, overall_score=scored.overall,
            grade=scored.grade or "", outcome=scored.outcome, cefr_level=scored.cefr or "",
            skills=[{"skill": s.skill, "score": s.score, "cefr": s.cefr} for s in scored.skills],
            certificate=scored.certificate, exam_date=date(2026, 6, 13),
            status=Result.Status.RELEASED, earliest_release_at=now, release_at=now,
            released_at=now))
    results = Result.objects.bulk_create(results)
    variants = base_photos(PHOTO_VARIANTS)
    photos = [unique_jpeg(variants[n % PHOTO_VARIANTS], n) for n in range(len(entries))]
    TestDayPhoto.objects.bulk_create([
        TestDayPhoto(entry=entry, file=crypto.store_encrypted("photos", photo),
                     content_type="image/jpeg")
        for entry, photo in zip(entries, photos, strict=True)])
    organisation = Organisation.objects.create(name="Bench University", kind="university")
    ids = [result.pk for result in results]
    return {"ids": ids[:-1], "warmup": ids[-1], "organisation": organisation.pk,
            "photo_bytes": sum(map(len, photos)) / len(photos)}


# --- Measured part (in fresh processes) ------------------------------------------------------


def _child(var_dir, mode, ids, warmup, organisation_id, barrier, queue) -> None:
    _django(var_dir)
    from langcert.results import documents
    from langcert.results.models import Result
    from langcert.verification.models import Organisation

    organisation = Organisation.objects.get(pk=organisation_id)
    statement = documents.DocumentKind.STATEMENT

    def language(result):
        return result.entry.candidate.language

    # Warm up on another document: fonts, template, translations, connection.
    documents.render_result_document(Result.objects.get(pk=warmup), statement,
                                     language="en", organisation=organisation)
    prepared = []
    if mode == "typst":
        prepared = [documents.document_parts(result, statement, language=language(result),
                                             organisation=organisation)
                    for result in Result.objects.filter(pk__in=ids).select_related(*BATCH_SELECT)]
    barrier.wait()
    start, cpu, pdfs = time.monotonic(), time.process_time(), []
    if mode == "typst":
        from langcert.core.pdf import render_pdf

        for parts in prepared:
            pdfs.append(render_pdf(*parts, prelude=documents.PRELUDE))
    else:
        for result in Result.objects.filter(pk__in=ids).select_related(*BATCH_SELECT):
            pdfs.append(documents.render_result_document(
                result, statement, language=language(result), organisation=organisation))
    end, cpu = time.monotonic(), time.process_time() - cpu
    queue.put({"start": start, "end": end, "cpu": cpu, "count": len(pdfs), "bad": _bad(pdfs),
               "bytes": sum(map(len, pdfs))})


def _bad(pdfs: list[bytes]) -> int:
    """Documents without exactly one page and one image (checked after the clock)."""
    from pypdf import PdfReader

    bad = 0
    for content in pdfs:
        pages = PdfReader(io.BytesIO(content)).pages
        bad += len(pages) != 1 or len(pages[0].images) != 1
    return bad


def measure(var_dir: str, mode: str, processes: int, setup: dict) -> dict:
    """Wall time from the common start to the last process done."""
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(processes), context.Queue()
    ids = setup["ids"]
    chunks = [ids[i::processes] for i in range(processes)]
    workers = [context.Process(target=_child, args=(var_dir, mode, chunk, setup["warmup"],
                                                    setup["organisation"], barrier, queue))
               for chunk in chunks]
    for worker in workers:
        worker.start()
    reports = [queue.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    count = sum(r["count"] for r in reports)
    return {"mode": mode, "processes": processes, "seconds": wall, "count": count,
            "ms_per_doc": 1000 * wall / count, "bad": sum(r["bad"] for r in reports),
            "cpu_ms_per_doc": 1000 * sum(r["cpu"] for r in reports) / count,
            "kb_per_pdf": sum(r["bytes"] for r in reports) / count / 1024}


# --- Report ----------------------------------------------------------------------------------


def _verdict(row: dict) -> str:
    """`row`'s time scaled to the target's count, and whether it meets the target."""
    scaled = row["seconds"] * TARGET_COUNT / row["count"]
    return f"{scaled:.2f} s ({'met' if scaled <= TARGET_SECONDS else 'NOT met'})"


def report(rows: list[dict], setup: dict, args: argparse.Namespace) -> list[str]:
    one, split = rows[0], rows[1]
    lines = [
        "# Results documents benchmark", "",
        f"Generated by `python -m bench.results.run --count {args.count} --workers "
        f"{args.workers}` on {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
        f"SQLite in a temporary folder, DEBUG settings; load average {setup['load']:.1f} "
        "when the run began (other work on the machine slows wall times, not CPU times).", "",
        f"## {args.count:,} Statements of Results with the test-day photo", "",
        "Organisation copies (photo + stamp), real templates and `render_pdf`, each photo a "
        f"distinct JPEG of {setup['photo_bytes'] / 1024:.1f} KB on average, encrypted at rest; "
        "half English, half French; scores differ per candidate. Every PDF checked after the "
        "clock: one page, one image.",
        "",
        "| what is timed | processes | documents | total s | ms per document | "
        "CPU ms per document | documents/s | KB per PDF | bad PDFs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {"full": "read + decrypt + data + render_pdf", "typst": "render_pdf only"}
    for row in rows:
        lines.append(
            f"| {names[row['mode']]} | {row['processes']} | {row['count']} | "
            f"{row['seconds']:.2f} | {row['ms_per_doc']:.2f} | {row['cpu_ms_per_doc']:.2f} | "
            f"{row['count'] / row['seconds']:.0f} | {row['kb_per_pdf']:.1f} | {row['bad']} |")
    lines += [
        "", f"Target: {TARGET_COUNT:,} documents in <= {TARGET_SECONDS:.0f} s on this machine.",
        f"- one process: {_verdict(one)} for {TARGET_COUNT:,};",
        f"- split across {args.workers} processes (as Celery workers share the work): "
        f"{_verdict(split)} for {TARGET_COUNT:,}, speed-up "
        f"{one['seconds'] / split['seconds']:.2f}x."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=TARGET_COUNT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    var_dir = tempfile.mkdtemp(prefix="langcert-bench-docs-")
    try:
        _django(var_dir)
        started = time.monotonic()
        setup = prepare(args.count) | {"load": os.getloadavg()[0]}
        print(f"set-up: {args.count + 1} results with photos in "
              f"{time.monotonic() - started:.1f} s", flush=True)
        rows = []
        for mode, processes in (("full", 1), ("full", args.workers), ("typst", 1)):
            rows.append(measure(var_dir, mode, processes, setup))
            print(f"{mode} x{processes}: {rows[-1]['seconds']:.2f} s, "
                  f"{rows[-1]['ms_per_doc']:.2f} ms/doc, CPU {rows[-1]['cpu_ms_per_doc']:.2f} "
                  f"ms/doc, bad {rows[-1]['bad']}", flush=True)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    lines = report(rows, setup, args)
    print("\n".join(lines))
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 1 if any(row["bad"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
