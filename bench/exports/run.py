"""Benchmark of the organisations' data downloads: 100,000 shared results to xlsx and csv.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 with trust auth, or the server
of ``DATABASE_URL``):

    .venv/bin/python -m bench.exports.run                       # 10,000 / 50,000 / 100,000
    .venv/bin/python -m bench.exports.run --sizes 2000 10000    # a quicker look

What one run does:

1. creates a throwaway database ``langcert_bench_exports_<random>`` and migrates it;
2. writes the largest size's worth of released C1 Advanced results with their candidates
   (in bulk, as ``bench.verification`` does) and shares every one with one organisation;
   Then ``ANALYZE``: production tables have planner statistics, a fresh bulk load not yet;
3. for each format and size: requests the download of that many shared results as the
   organisation's user would (``download_request``, the task left in the queue), then, in
   a fresh process, runs the task's work, ``download_prepare``, and times it: the query,
   every row written (xlsx in XlsxWriter's constant-memory mode), the file encrypted into
   storage a chunk at a time, and every result recorded in its candidate's access log and
   the audit log. Peak memory is that process's resident set high-water mark
   (``ru_maxrss``) less the same figure just before the work (Django loaded, warmed up on
   a 50-result file);
4. checks that each file reads back with one row per result, and that the access log got
   one row per result;
5. prints and writes the figures to ``bench/exports/RESULTS.md`` (``--out``), and drops
   the database (also on failure or Ctrl-C).

The target from the issue: report seconds and peak memory for 100,000 results; memory must
stay flat as the row count grows. "Flat" is judged here as: the peak at the largest size
is within ``FLAT_MARGIN_MB`` of the peak at the smallest size, whatever the format.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.delivery.run import admin, db_url, machine

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SIZES = [10_000, 50_000, 100_000]
FORMATS = ["xlsx", "csv"]
FLAT_MARGIN_MB = 16.0
MARK = "@@JSON@@"


# --- The Django side, in child processes -----------------------------------------------------
def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "langcert.settings")
    import django

    django.setup()


def child_prepare(count: int) -> dict:
    from bench.verification.djside import prepare
    from langcert.results.models import Result
    from langcert.verification.models import Organisation, Share

    prepare(count)  # results, an organisation, its primary user, 500 shares
    organisation = Organisation.objects.get(name="Bench University")
    shared = set(Share.objects.values_list("result_id", flat=True))
    Share.objects.bulk_create((Share(result_id=pk, organisation=organisation)
                               for pk in Result.objects.values_list("pk", flat=True)
                               if pk not in shared), batch_size=5000)
    return {"shared": Share.objects.count()}


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rows_in_file(download) -> int:
    from openpyxl import load_workbook

    from langcert.core import crypto

    content = crypto.read_encrypted(download.file)
    if download.format == "csv":
        return len(list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))) - 1
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return sheet.max_row - 1


def _member():
    from langcert.verification.models import OrganisationMember

    return OrganisationMember.objects.select_related("organisation", "user").get(
        is_primary=True)


def child_request(file_format: str, size: int) -> dict:
    """The organisation's user asks for the first `size` results in one file."""
    import time

    from langcert.results.models import Result
    from langcert.verification import downloads

    member = _member()
    first = Result.objects.order_by("pk").values("pk")[:size]
    started = time.perf_counter()
    download = downloads.download_request(
        actor=member.user, organisation=member.organisation, file_format=file_format,
        results=Result.objects.filter(pk__in=first), language="en")
    return {"download": download.pk, "request_seconds": time.perf_counter() - started}


def child_measure(download_id: int) -> dict:
    """The task's work on one requested download, in a fresh process, after a warm-up."""
    import time

    from django.core.files.storage import default_storage

    from langcert.verification import downloads
    from langcert.verification.models import AccessEvent, DataDownload

    download = DataDownload.objects.get(pk=download_id)
    warm = child_request(download.format, 50)["download"]
    downloads.download_prepare(download_id=warm)  # the code paths, the query plan
    AccessEvent.objects.all().delete()
    before = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    outcome = downloads.download_prepare(download_id=download.pk)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = _rss_mb()
    download.refresh_from_db()
    return {"format": download.format, "size": download.total, "outcome": outcome,
            "seconds": seconds, "cpu_seconds": cpu, "baseline_mb": before, "peak_mb": peak,
            "growth_mb": peak - before,
            "stored_mb": default_storage.size(download.file) / 2**20 if download.file else 0,
            "rows_read_back": _rows_in_file(download),
            "access_rows": AccessEvent.objects.count()}


def child(argv: list[str]) -> int:
    _django()
    if argv[0] == "prepare":
        out = child_prepare(int(argv[1]))
    elif argv[0] == "request":
        out = child_request(argv[1], int(argv[2]))
    else:
        out = child_measure(int(argv[1]))
    sys.stdout.write(MARK + json.dumps(out))
    return 0


# --- The orchestrator ------------------------------------------------------------------------
def bench_env(database: str, tmp: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "LANGCERT_")) and k != "REDIS_URL"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "langcert.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FILE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": db_url(database),
        "LANGCERT_VAR_DIR": str(tmp / "var"),
        "MEDIA_ROOT": str(tmp / "media"),
        # The download task stays in the (in-memory) queue: the bench runs its work itself.
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
    })
    return env


def admin_in(database: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(db_url(database), autocommit=True) as conn:
        conn.execute(sql)


def run_child(env: dict[str, str], *argv: str) -> dict:
    done = subprocess.run([PYTHON, "-m", "bench.exports.run", "--child", *argv], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    if done.returncode or MARK not in done.stdout:
        raise RuntimeError(f"child {argv} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return json.loads(done.stdout.split(MARK, 1)[1])


def verdict(rows: list[dict]) -> tuple[bool, list[str]]:
    lines, ok = [], True
    for file_format in FORMATS:
        mine = sorted((r for r in rows if r["format"] == file_format), key=lambda r: r["size"])
        spread = mine[-1]["growth_mb"] - mine[0]["growth_mb"]
        flat = spread <= FLAT_MARGIN_MB
        ok &= flat
        lines.append(f"- {file_format}: peak memory {mine[0]['growth_mb']:.1f} MB at "
                     f"{mine[0]['size']:,} rows, {mine[-1]['growth_mb']:.1f} MB at "
                     f"{mine[-1]['size']:,} rows ({spread:+.1f} MB): "
                     f"{'flat (met)' if flat else 'NOT flat'}; {mine[-1]['size']:,} rows in "
                     f"{mine[-1]['seconds']:.1f} s.")
    return ok, lines


def report(rows: list[dict], command: str) -> str:
    ok, lines = verdict(rows)
    table = ["| format | results | request s | prepare s | CPU s | ms/result | peak MB "
             "(over baseline) | baseline MB | stored MB | rows read back | access rows |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        table.append(f"| {r['format']} | {r['size']:,} | {r['request_seconds']:.1f} | "
                     f"{r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
                     f"{1000 * r['seconds'] / r['size']:.3f} | {r['growth_mb']:.1f} | "
                     f"{r['baseline_mb']:.0f} | {r['stored_mb']:.1f} | {r['rows_read_back']:,} | "
                     f"{r['access_rows']:,} |")
    return "\n".join([
        "# Data downloads of shared results: results", "",
        f"Written by `{command}` (see its docstring) on "
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}, PostgreSQL.", "",
        "*request*: `download_request` (checks, the download and its result list written); "
        "*prepare*: the task's work (`download_prepare`): query, file, encryption into "
        "storage, access and audit rows. Peak memory: resident high-water mark of the process "
        "during *prepare*, over the mark just before it.", "",
        *table, "", *lines, "",
        f"Memory stays flat as the row count grows: {'met' if ok else 'NOT met'}.", ""])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        return child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    database = f"langcert_bench_exports_{secrets.token_hex(4)}"
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="langcert-bench-exports-") as folder:
        env = bench_env(database, Path(folder))
        admin(f'CREATE DATABASE "{database}"')
        try:
            subprocess.run([PYTHON, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                           check=True, capture_output=True)
            print(f"database {database}: {run_child(env, 'prepare', str(max(args.sizes)))}",
                  flush=True)
            # Production tables have planner statistics (autovacuum); a fresh bulk load not yet.
            admin_in(database, "ANALYZE")
            for file_format in FORMATS:
                for size in sorted(args.sizes):
                    asked = run_child(env, "request", file_format, str(size))
                    rows.append(run_child(env, "measure", str(asked["download"])) | asked)
                    r = rows[-1]
                    print(f"{file_format} {size:,}: prepare {r['seconds']:.1f} s, peak "
                          f"+{r['growth_mb']:.1f} MB, {r['rows_read_back']:,} rows read back",
                          flush=True)
        finally:
            admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    bad = [r for r in rows if r["rows_read_back"] != r["size"] or r["access_rows"] != r["size"]]
    command = "python -m bench.exports.run" + (" " + " ".join(argv) if argv else "")
    text = report(rows, command)
    print(text)
    Path(args.out).write_text(text, encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
